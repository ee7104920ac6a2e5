"""A directory as an object store: `<root>/<bucket>/<key>`, for the CLI and the tests."""

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
