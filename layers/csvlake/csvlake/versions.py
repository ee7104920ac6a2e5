"""Newest version wins: a raw object's outputs are written only by its current version, whatever order
the invocations of its versions finish in (docs/adr/0019-newest-version-wins.md).

Every output is stamped with the source version it was made from. Before each write, the guard reads
the output's stamp, then checks that its source is still the raw key's current version, then writes on
the condition that the output has not changed since it was read. A newer version's output can only
appear after that version was uploaded, so either the check sees the newer version, or the condition
fails and the guard looks again: an older version never overwrites or deletes a newer one's outputs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO

from .errors import Conflict, Superseded
from .ports import Expect, Head, ObjectRef, ObjectStore

# Conditional writes that lose to another writer look again this many times before the event is retried.
ATTEMPTS = 5
_VERSION, _ETAG, _SEQUENCER = "csvlake-source-version", "csvlake-source-etag", "csvlake-source-sequencer"


@dataclass(frozen=True)
class Stamp:
    """The source version an output was made from, kept in the output's metadata. The event's
    sequencer is kept to say which event made it; what decides is the raw key's current version
    (docs/adr/0019 says why the sequencer does not)."""

    version_id: str | None = None
    etag: str | None = None
    sequencer: str | None = None

    @classmethod
    def of(cls, ref: ObjectRef) -> Stamp:
        return cls(ref.version_id, ref.etag, ref.sequencer)

    @classmethod
    def read(cls, metadata: Mapping[str, str]) -> Stamp | None:
        """The stamp in an object's metadata; None for an object csvlake did not stamp."""
        if not metadata.get(_VERSION) and not metadata.get(_ETAG):
            return None
        return cls(metadata.get(_VERSION) or None, metadata.get(_ETAG) or None, metadata.get(_SEQUENCER) or None)

    def metadata(self) -> dict[str, str]:
        return {_VERSION: self.version_id or "", _ETAG: self.etag or "", _SEQUENCER: self.sequencer or ""}

    def same_version(self, other: Stamp) -> bool:
        """Both name one version: by version id in a versioned bucket, else by ETag."""
        if self.version_id and other.version_id:
            return self.version_id == other.version_id
        return bool(self.etag) and self.etag == other.etag


class Guard:
    """The store as one invocation sees it: reads pass through; every write of an output of `raw` is
    stamped and made only while `raw`'s version is the current one, else Superseded is raised.

    The version is the one the pipeline opened (`open` of the raw key); before any open, the event's,
    or the current one if the event named none.
    """

    def __init__(self, store: ObjectStore, raw: ObjectRef) -> None:
        self.store, self.raw = store, raw
        self.source: Stamp | None = Stamp.of(raw) if raw.version_id or raw.etag else None

    def open(self, ref: ObjectRef) -> tuple[BinaryIO, ObjectRef]:
        stream, resolved = self.store.open(ref)
        if (ref.bucket, ref.key) == (self.raw.bucket, self.raw.key):
            self.source = Stamp(resolved.version_id, resolved.etag, self.raw.sequencer)
        return stream, resolved

    def get(self, bucket: str, key: str, unless_etag: str | None = None) -> tuple[bytes | None, str] | None:
        return self.store.get(bucket, key, unless_etag)

    def head(self, bucket: str, key: str) -> Head | None:
        return self.store.head(bucket, key)

    def _current(self) -> Stamp:
        """Our source, checked to be the raw key's current version."""
        head = self.store.head(self.raw.bucket, self.raw.key)
        where = f"s3://{self.raw.bucket}/{self.raw.key}"
        if head is None:
            raise Superseded(f"{where} was deleted since it was read")
        current = Stamp(head.version_id, head.etag, self.raw.sequencer)
        if self.source is None:  # nothing opened and the event named no version: the current one
            self.source = current
        elif not current.same_version(self.source):
            raise Superseded(f"{where}: version {self.source.version_id or self.source.etag} is no longer the latest")
        return self.source

    def expect(self, bucket: str, key: str) -> Expect:
        """The condition under which this version may write output `key`; raises Superseded if the raw
        key's current version is another. The output is read before the raw key: see the module's
        docstring for why that order closes the race."""
        existing = self.store.head(bucket, key)
        self._current()
        return Expect(existing.etag if existing else None)

    def _stamp(self) -> dict[str, str]:
        return (self.source or self._current()).metadata()

    def _retried(self, write: Callable[[], None]) -> None:
        for attempt in range(ATTEMPTS):
            try:
                return write()
            except Conflict:
                if attempt == ATTEMPTS - 1:
                    raise

    @contextlib.contextmanager
    def writer(self, bucket: str, key: str, content_type: str) -> Iterator[BinaryIO]:
        try:
            with self.store.writer(bucket, key, content_type, self._stamp(), lambda: self.expect(bucket, key)) as out:
                yield out
        except Conflict:
            # A stream cannot be sent again: superseded, or the event is retried.
            self.expect(bucket, key)
            raise

    def put(self, bucket: str, key: str, data: bytes, content_type: str, expect: Expect | None = None) -> None:
        """Write output `key`; with `expect`, a dataset's object (`_last_schema`) under the caller's
        own compare-and-swap, unstamped, while this version is current."""
        if expect is not None:
            self._current()
            return self.store.put(bucket, key, data, content_type, expect=expect)
        stamp = self._stamp()
        self._retried(lambda: self.store.put(bucket, key, data, content_type, stamp, self.expect(bucket, key)))

    def copy(self, ref: ObjectRef, bucket: str, key: str) -> None:
        stamp = self._stamp()
        self._retried(lambda: self.store.copy(ref, bucket, key, stamp, self.expect(bucket, key)))

    def delete(self, bucket: str, key: str) -> None:
        def delete() -> None:
            expect = self.expect(bucket, key)
            if expect.etag is not None:
                self.store.delete(bucket, key, expect)

        self._retried(delete)
