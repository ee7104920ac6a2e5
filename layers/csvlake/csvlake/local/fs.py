"""Directories as object stores: `<root>/<bucket>/<key>` for the tests, and `csvlake process`'s --out."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from ..errors import Conflict, ObjectGone, StoreError
from ..ports import Expect, Head, ObjectRef
from .progress import Progress

# Conditional writes as S3 makes them: the check and the write under one lock, so within a process
# (the CLI, the tests) they are atomic. Stamps (S3's user metadata) are kept here by path, with the
# ETag of the file they were written with: a file changed since, by another process, has none.
_LOCK = threading.RLock()
_STAMPS: dict[str, tuple[str, dict[str, str]]] = {}


def _etag(stat: os.stat_result) -> str:
    return f"{int(stat.st_mtime_ns):x}-{stat.st_size:x}"


def _current_etag(path: Path) -> str | None:
    try:
        return _etag(path.stat())
    except (FileNotFoundError, NotADirectoryError):
        return None


def _check(path: Path, expect: Expect | None) -> None:
    if expect is not None and _current_etag(path) != expect.etag:
        raise Conflict(f"{path}: {'exists' if expect.etag is None else 'changed'} since it was checked")


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

    def head(self, bucket: str, key: str) -> Head | None:
        path = self.path(bucket, key)
        with _LOCK:
            etag = _current_etag(path)
            if etag is None:
                return None
            stamped = _STAMPS.get(str(path.absolute()))
        return Head(etag, None, stamped[1] if stamped and stamped[0] == etag else {})

    @contextlib.contextmanager
    def writer(
        self,
        bucket: str,
        key: str,
        content_type: str,
        stamp: Mapping[str, str] | None = None,
        expect: Callable[[], Expect] | None = None,
    ) -> Iterator[BinaryIO]:
        path = self.path(bucket, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as stream:
                yield stream
            with _LOCK:
                _check(path, expect() if expect else None)
                os.replace(temp, path)  # appears whole or not at all
                self._stamp(path, stamp)
        except BaseException:
            os.unlink(temp)
            raise

    def _stamp(self, path: Path, stamp: Mapping[str, str] | None) -> None:
        name = str(path.absolute())
        if stamp:
            _STAMPS[name] = (_etag(path.stat()), dict(stamp))
        else:
            _STAMPS.pop(name, None)

    def get(self, bucket: str, key: str, unless_etag: str | None = None) -> tuple[bytes | None, str] | None:
        path = self.path(bucket, key)
        try:
            etag = _etag(path.stat())
            return (None if etag == unless_etag else path.read_bytes()), etag
        except (FileNotFoundError, NotADirectoryError):
            return None

    def put(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: str,
        stamp: Mapping[str, str] | None = None,
        expect: Expect | None = None,
    ) -> None:
        with self.writer(bucket, key, content_type, stamp, (lambda: expect) if expect else None) as stream:
            stream.write(data)

    def delete(self, bucket: str, key: str, expect: Expect | None = None) -> None:
        path = self.path(bucket, key)
        with _LOCK:
            _check(path, expect)
            path.unlink(missing_ok=True)
            self._stamp(path, None)

    def copy(
        self,
        ref: ObjectRef,
        bucket: str,
        key: str,
        stamp: Mapping[str, str] | None = None,
        expect: Expect | None = None,
    ) -> None:
        with (
            self.path(ref.bucket, ref.key).open("rb") as source,
            self.writer(bucket, key, "", stamp, (lambda: expect) if expect else None) as target,
        ):
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
    def writer(
        self,
        bucket: str,
        key: str,
        content_type: str,
        stamp: Mapping[str, str] | None = None,
        expect: Callable[[], Expect] | None = None,
    ) -> Iterator[BinaryIO]:
        self.progress.writer_opened()
        try:
            with super().writer(bucket, key, content_type, stamp, expect) as stream:
                yield stream
            # The temporary file it was written as is private (0600): give it a new file's usual mode.
            os.chmod(self.path(bucket, key), 0o666 & ~self.umask)
        except OSError as exc:
            raise StoreError(f"cannot write {self.path(bucket, key)}: {exc.strerror or exc}") from exc
