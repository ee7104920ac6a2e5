"""Directories as object stores: `<root>/<bucket>/<key>` for the tests, and `csvlake process`'s --out."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ..errors import ObjectGone, StoreError
from ..ports import ObjectRef
from .progress import Progress


def _etag(stat: os.stat_result) -> str:
    return f"{int(stat.st_mtime_ns):x}-{stat.st_size:x}"


class DirectoryStore:
    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def path(self, bucket: str, key: str) -> Path:
        parts = key.split("/")
        # S3 keys are names, not paths: refuse those that a file system would resolve elsewhere.
        if any(part in ("", ".", "..") for part in parts[:-1]) or parts[-1] in ("", ".", ".."):
            raise StoreError(f"key {key!r} cannot be stored in a directory")
        return self.root / bucket / Path(*parts)

    def open(self, ref: ObjectRef) -> tuple[BinaryIO, ObjectRef]:
        path = self.path(ref.bucket, ref.key)
        try:
            stream = path.open("rb")
        except FileNotFoundError as exc:
            raise ObjectGone(str(path)) from exc
        stat = os.fstat(stream.fileno())
        return stream, ObjectRef(
            ref.bucket, ref.key, stat.st_size, ref.etag or _etag(stat), ref.version_id, ref.sequencer
        )

    @contextlib.contextmanager
    def writer(self, bucket: str, key: str, content_type: str) -> Iterator[BinaryIO]:
        path = self.path(bucket, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as stream:
                yield stream
            os.replace(temp, path)  # appears whole or not at all
        except BaseException:
            os.unlink(temp)
            raise

    def get(self, bucket: str, key: str, unless_etag: str | None = None) -> tuple[bytes | None, str] | None:
        path = self.path(bucket, key)
        try:
            etag = _etag(path.stat())
            return (None if etag == unless_etag else path.read_bytes()), etag
        except (FileNotFoundError, NotADirectoryError):
            return None

    def put(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        with self.writer(bucket, key, content_type) as stream:
            stream.write(data)

    def delete(self, bucket: str, key: str) -> None:
        self.path(bucket, key).unlink(missing_ok=True)

    def copy(self, ref: ObjectRef, bucket: str, key: str) -> None:
        with self.path(ref.bucket, ref.key).open("rb") as source, self.writer(bucket, key, "") as target:
            shutil.copyfileobj(source, target)


class LocalStore(DirectoryStore):
    """The --out folder as the bucket: outputs at `<out>/<key>`, and each source, `raw/<name>`,
    read where it lies instead of being copied there first."""

    def __init__(self, out: Path, sources: dict[str, Path], progress: Progress) -> None:
        super().__init__(out)
        self.sources = sources
        self.progress = progress
        self.umask = os.umask(0o022)
        os.umask(self.umask)

    def path(self, bucket: str, key: str) -> Path:
        return self.sources.get(key) or super().path("", key)

    # A file system error is a failure of the store, as an S3 error is for S3Store: the pipeline
    # re-raises it instead of blaming the file, and `process` stops with one line.

    def open(self, ref: ObjectRef) -> tuple[BinaryIO, ObjectRef]:
        try:
            stream, ref = super().open(ref)
        except OSError as exc:
            raise StoreError(f"cannot read {self.path(ref.bucket, ref.key)}: {exc.strerror or exc}") from exc
        return self.progress.track(stream, ref.size), ref

    @contextlib.contextmanager
    def writer(self, bucket: str, key: str, content_type: str) -> Iterator[BinaryIO]:
        self.progress.writer_opened()
        try:
            with super().writer(bucket, key, content_type) as stream:
                yield stream
            # The temporary file it was written as is private (0600): give it a new file's usual mode.
            os.chmod(self.path(bucket, key), 0o666 & ~self.umask)
        except OSError as exc:
            raise StoreError(f"cannot write {self.path(bucket, key)}: {exc.strerror or exc}") from exc
