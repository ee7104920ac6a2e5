"""What the core needs from an object store (S3 and the local directory implement it), and the ref to one object."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol


@dataclass(frozen=True)
class ObjectRef:
    """One S3 object version named by an event; `key` is already URL-decoded."""

    bucket: str
    key: str
    size: int | None = None
    etag: str | None = None
    version_id: str | None = None
    sequencer: str | None = None


@dataclass(frozen=True)
class Head:
    """What a store says of an object without reading it: its ETag, version and user metadata."""

    etag: str
    version_id: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Expect:
    """A write's precondition: the object still has ETag `etag`, or, with `etag` None, does not exist."""

    etag: str | None


class ObjectStore(Protocol):
    """Where objects are read and written: S3 in Lambda, a directory for the CLI and tests.

    Failures of the store itself are raised as errors.StoreError (ObjectGone for a missing object).
    Writes take `stamp`, user metadata kept with the object, and `expect`, a precondition checked by
    the store as it commits the write; one that does not hold raises errors.Conflict.
    """

    def open(self, ref: ObjectRef) -> tuple[BinaryIO, ObjectRef]:
        """A stream of the object's bytes, and the ref completed with the version being read.

        Raises Superseded if `ref` names a version or ETag that is no longer the object's latest.
        """

    def head(self, bucket: str, key: str) -> Head | None:
        """The object's ETag, version and metadata; None if there is no such object."""

    def writer(
        self,
        bucket: str,
        key: str,
        content_type: str,
        stamp: Mapping[str, str] | None = None,
        expect: Callable[[], Expect] | None = None,
    ) -> contextlib.AbstractContextManager[BinaryIO]:
        """A stream whose object appears only when the block exits without an exception; `expect` is
        called then, just before the object is committed (a stream cannot be sent twice)."""

    def get(self, bucket: str, key: str, unless_etag: str | None = None) -> tuple[bytes | None, str] | None:
        """A small object's bytes and ETag; None if there is no such object, and (None, ETag) if
        its ETag is still `unless_etag` (a cache's copy is current)."""

    def put(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: str,
        stamp: Mapping[str, str] | None = None,
        expect: Expect | None = None,
    ) -> None: ...

    def copy(
        self,
        ref: ObjectRef,
        bucket: str,
        key: str,
        stamp: Mapping[str, str] | None = None,
        expect: Expect | None = None,
    ) -> None: ...

    def delete(self, bucket: str, key: str, expect: Expect | None = None) -> None:
        """Remove an object if it exists (an output left by an earlier version of the file)."""
