"""The S3 adapter: the only module that talks to boto3."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from .events import ObjectRef
from .pipeline import ObjectGone, StoreError, Superseded

# Parts of 16 MiB, four in flight: the upload overlaps parsing while bounding memory to ~100 MB.
TRANSFER = TransferConfig(multipart_threshold=16 * 1024**2, multipart_chunksize=16 * 1024**2, max_concurrency=4)
# Standard retry mode retries throttling, 5xx and connection errors with backoff (boto3 docs).
CLIENT_CONFIG = BotoConfig(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=10, read_timeout=60)


def client():
    """An S3 client; the endpoint comes from boto3's own AWS_ENDPOINT_URL(_S3) settings."""
    return boto3.client("s3", config=CLIENT_CONFIG)


class UploadAborted(Exception):
    """The pipeline failed; the multipart upload is aborted so no partial object appears."""


class _Pipe:
    """A one-way byte pipe: the pipeline writes, the transfer manager reads, in another thread."""

    def __init__(self) -> None:
        self._queue: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=8)
        self._buffer = b""
        self._done = False
        self._written = 0
        self.reader_failed = threading.Event()
        self.closed = False

    def write(self, data) -> int:
        data = bytes(data)
        while data:
            if self.reader_failed.is_set():
                raise UploadAborted("the upload failed")
            try:
                self._queue.put(data, timeout=0.2)
            except queue.Full:
                continue
            self._written += len(data)
            break
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True  # the transfer manager's side

    def seekable(self) -> bool:
        return False

    def finish(self, error: BaseException | None = None) -> None:
        while not self.reader_failed.is_set():
            try:
                self._queue.put(error, timeout=0.2)
                return
            except queue.Full:
                continue

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) < size):
            item = self._queue.get()
            if isinstance(item, BaseException):
                raise item
            if item is None:
                self._done = True
            else:
                self._buffer += item
        if size < 0:
            size = len(self._buffer)
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


def _quoted(etag: str) -> str:
    # Entity tags are quoted (RFC 9110); moto's HeadObject, unlike S3, matches only that form.
    return f'"{etag}"'


def _code(exc: BaseException | None) -> str:
    return exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""


@contextlib.contextmanager
def _store_errors(what: str) -> Iterator[None]:
    """boto3's exceptions, in the core's terms: gone, or a store failure worth a retry."""
    try:
        yield
    except ClientError as exc:
        code = _code(exc)
        if code in ("NoSuchKey", "404", "NoSuchVersion"):
            raise ObjectGone(f"{what}: {code}") from exc
        raise StoreError(f"{what}: {exc}") from exc
    except BotoCoreError as exc:
        raise StoreError(f"{what}: {exc}") from exc


class _Body:
    """The GetObject stream, its read errors (reset connections, timeouts) raised as StoreError."""

    def __init__(self, body, what: str) -> None:
        self._body = body
        self._what = what

    def read(self, size: int = -1) -> bytes:
        with _store_errors(self._what):
            return self._body.read(size)


class S3Store:
    def __init__(self, s3=None) -> None:
        self.s3 = s3 or client()

    def open(self, ref: ObjectRef) -> tuple[BinaryIO, ObjectRef]:
        what = f"reading s3://{ref.bucket}/{ref.key}"
        args = {"Bucket": ref.bucket, "Key": ref.key}
        if ref.version_id:
            # An old version stays readable in a versioned bucket; only the latest may write outputs.
            with _store_errors(what):
                latest = self.s3.head_object(**args).get("VersionId")
            if latest != ref.version_id:
                raise Superseded(f"{what}: version {ref.version_id} is no longer the latest ({latest})")
            args["VersionId"] = ref.version_id
        elif ref.etag:
            args["IfMatch"] = _quoted(ref.etag)
        try:
            with _store_errors(what):
                response = self.s3.get_object(**args)
        except StoreError as exc:
            if _code(exc.__cause__) in ("PreconditionFailed", "412"):
                raise Superseded(f"{what}: the object no longer has ETag {ref.etag}") from exc
            raise
        resolved = ObjectRef(
            bucket=ref.bucket,
            key=ref.key,
            size=response["ContentLength"],
            etag=response["ETag"].strip('"'),
            version_id=response.get("VersionId") or ref.version_id,
            sequencer=ref.sequencer,
        )
        return _Body(response["Body"], what), resolved

    @contextlib.contextmanager
    def writer(self, bucket: str, key: str, content_type: str) -> Iterator[BinaryIO]:
        pipe = _Pipe()
        failure: list[BaseException] = []

        def upload() -> None:
            try:
                self.s3.upload_fileobj(pipe, bucket, key, ExtraArgs={"ContentType": content_type}, Config=TRANSFER)
            except BaseException as exc:
                failure.append(exc)
                pipe.reader_failed.set()

        thread = threading.Thread(target=upload, name=f"upload {key}", daemon=True)
        thread.start()
        try:
            yield pipe
        except BaseException as exc:
            # Raising inside the transfer manager's read makes it abort the multipart upload.
            pipe.finish(UploadAborted(str(exc)))
            thread.join()
            if failure and not isinstance(failure[0], UploadAborted):
                with _store_errors(f"writing s3://{bucket}/{key}"):
                    raise failure[0] from exc
            raise
        pipe.finish()
        thread.join()
        if failure:
            with _store_errors(f"writing s3://{bucket}/{key}"):
                raise failure[0]

    def put(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        with _store_errors(f"writing s3://{bucket}/{key}"):
            self.s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)

    def copy(self, ref: ObjectRef, bucket: str, key: str) -> None:
        source = {"Bucket": ref.bucket, "Key": ref.key}
        extra = {}
        if ref.version_id:
            source["VersionId"] = ref.version_id
        elif ref.etag:
            extra["CopySourceIfMatch"] = _quoted(ref.etag)
        # The managed copy switches to multipart copy above 5 GB, the limit of one CopyObject.
        with _store_errors(f"copying s3://{ref.bucket}/{ref.key} to s3://{bucket}/{key}"):
            self.s3.copy(source, bucket, key, ExtraArgs=extra, Config=TRANSFER)
