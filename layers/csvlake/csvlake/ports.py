"""What the core needs from an object store (S3 and the local directory implement it), and the ref to one object."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
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


class ObjectStore(Protocol):
    """Where objects are read and written: S3 in Lambda, a directory for the CLI and tests.

    Failures of the store itself are raised as errors.StoreError (ObjectGone for a missing object).
    """

    def open(self, ref: ObjectRef) -> tuple[BinaryIO, ObjectRef]:
        """A stream of the object's bytes, and the ref completed with the version being read.

        Raises Superseded if `ref` names a version or ETag that is no longer the object's latest.
        """

    def writer(self, bucket: str, key: str, content_type: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """A stream whose object appears only when the block exits without an exception."""

    def get(self, bucket: str, key: str, unless_etag: str | None = None) -> tuple[bytes | None, str] | None:
        """A small object's bytes and ETag; None if there is no such object, and (None, ETag) if
        its ETag is still `unless_etag` (a cache's copy is current)."""

    def put(self, bucket: str, key: str, data: bytes, content_type: str) -> None: ...

    def copy(self, ref: ObjectRef, bucket: str, key: str) -> None: ...

    def delete(self, bucket: str, key: str) -> None:
        """Remove an object if it exists (an output left by an earlier version of the file)."""
