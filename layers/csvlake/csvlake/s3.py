"""The S3 adapter: the only module that talks to boto3."""

from __future__ import annotations

import collections
import contextlib
import enum
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
)

from .errors import ObjectGone, StoreError, Superseded
from .ports import ObjectRef

# Parts of 8 MiB from 16 MiB objects on, four in flight: the upload overlaps the work in little memory
# and leaves little to send after the last chunk (docs/adr/0014-memory-a-third-of-naive.md).
TRANSFER = TransferConfig(multipart_threshold=16 * 1024**2, multipart_chunksize=8 * 1024**2, max_concurrency=4)
# Standard retry mode retries throttling, 5xx and connection errors with backoff (boto3 docs).
# Payloads unsigned: over HTTPS botocore already sends uploads so, their checksum guarding the bytes;
# this stops it hashing every uploaded byte for plain-HTTP endpoints (docs/adr/0013-fourth-round-less-cpu.md).
CLIENT_CONFIG = BotoConfig(
    retries={"total_max_attempts": 5, "mode": "standard"},
    connect_timeout=10,
    read_timeout=60,
    s3={"payload_signing_enabled": False},
)


def client(endpoint_url: str | None = None):
    """An S3 client; without `endpoint_url`, the endpoint comes from boto3's own AWS_ENDPOINT_URL(_S3) settings."""
    # A profile that does not exist fails here, before any request: the CLI says so in one line too.
    with _store_errors("configuring S3"):
        return boto3.client("s3", endpoint_url=endpoint_url, config=CLIENT_CONFIG)


class Problem(enum.Enum):
    """How S3 failed, as what a person can do about it: the CLI words its one-line errors by it."""

    NO_OBJECT = enum.auto()
    NO_BUCKET = enum.auto()
    ACCESS_DENIED = enum.auto()
    NO_CREDENTIALS = enum.auto()
    BAD_REQUEST = enum.auto()  # a parameter botocore refuses before sending, such as a bucket name
    UNREACHABLE = enum.auto()
    OTHER = enum.auto()


class S3Error(StoreError):
    """S3 failed: `problem` says how, `detail` says it in S3's or botocore's words, `code` is S3's
    error code (empty when no answer came)."""

    def __init__(self, message: str, problem: Problem, detail: str, code: str = "") -> None:
        super().__init__(message)
        self.problem, self.detail, self.code = problem, detail, code


# The codes of an object that is not there: gone for the core, nothing to retry.
_GONE = ("NoSuchKey", "404", "NoSuchVersion")
_PROBLEMS = {
    "NotFound": Problem.NO_OBJECT,
    "NoSuchBucket": Problem.NO_BUCKET,
    "AccessDenied": Problem.ACCESS_DENIED,
    "403": Problem.ACCESS_DENIED,
    "Forbidden": Problem.ACCESS_DENIED,
}


def _error(what: str, exc: ClientError | BotoCoreError) -> StoreError:
    """botocore's exception in csvlake's terms: the one place that reads S3's error codes."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        if code in _GONE:
            return ObjectGone(f"{what}: {code}")
        problem, detail = _PROBLEMS.get(code, Problem.OTHER), f"{code}: {error.get('Message', exc)}"
        return S3Error(f"{what}: {exc}", problem, detail, code)
    if isinstance(exc, ParamValidationError):
        # Its last line names the parameter, then the rule it breaks: the name is enough.
        return S3Error(f"{what}: {exc}", Problem.BAD_REQUEST, str(exc).splitlines()[-1].split(": ")[0])
    if isinstance(exc, NoCredentialsError):
        problem = Problem.NO_CREDENTIALS
    elif isinstance(exc, EndpointConnectionError):
        problem = Problem.UNREACHABLE
    else:
        problem = Problem.OTHER
    return S3Error(f"{what}: {exc}", problem, str(exc))


@contextlib.contextmanager
def _store_errors(what: str) -> Iterator[None]:
    """boto3's exceptions raised as _error's, `what` saying what was being done."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise _error(what, exc) from exc


class UploadAborted(Exception):
    """The pipeline failed; the multipart upload is aborted so no partial object appears."""


class _Pipe:
    """Bytes handed from the pipeline's thread to the transfer manager's, through a bounded queue."""

    def __init__(self) -> None:
        self._queue: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=8)
        self._pieces: collections.deque[memoryview] = collections.deque()
        self._buffered = 0
        self._done = False
        self.reader_failed = threading.Event()

    def put(self, item: bytes | BaseException | None) -> None:
        while not self.reader_failed.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue
        if item is not None and not isinstance(item, BaseException):
            raise UploadAborted("the upload failed")

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or self._buffered < size):
            item = self._queue.get()
            if isinstance(item, BaseException):
                raise item
            if item is None:
                self._done = True
            else:
                self._pieces.append(memoryview(item))
                self._buffered += len(item)
        size = self._buffered if size < 0 else min(size, self._buffered)
        self._buffered -= size
        # The pieces joined once, the last one cut where the part ends: one copy of each byte.
        out = []
        while size:
            piece = self._pieces.popleft()
            if len(piece) > size:
                self._pieces.appendleft(piece[size:])
                piece = piece[:size]
            out.append(piece)
            size -= len(piece)
        return b"".join(out)


class _Upload:
    """The stream the pipeline writes an object into.

    Up to the multipart threshold it stays in memory and goes out in one PutObject. A larger object
    streams through the transfer manager's multipart upload, which reads a pipe from another thread,
    so parsing and uploading overlap; an exception aborts the upload, so no partial object appears.
    """

    closed = False

    def __init__(self, s3, bucket: str, key: str, content_type: str) -> None:
        self._s3, self._bucket, self._key, self._content_type = s3, bucket, key, content_type
        self._what = f"writing s3://{bucket}/{key}"
        self._head: list[bytes] = []
        self._written = 0
        self._pipe: _Pipe | None = None
        self._thread: threading.Thread | None = None
        self._failure: list[BaseException] = []

    def write(self, data) -> int:
        data = bytes(data)
        if self._pipe is None:
            self._head.append(data)
            if self._written + len(data) > TRANSFER.multipart_threshold:
                self._start()
        else:
            self._pipe.put(data)
        self._written += len(data)
        return len(data)

    def _start(self) -> None:
        pipe = self._pipe = _Pipe()

        def upload() -> None:
            try:
                self._s3.upload_fileobj(
                    pipe, self._bucket, self._key, ExtraArgs={"ContentType": self._content_type}, Config=TRANSFER
                )
            except BaseException as exc:
                self._failure.append(exc)
                pipe.reader_failed.set()

        self._thread = threading.Thread(target=upload, name=f"upload {self._key}", daemon=True)
        self._thread.start()
        for piece in self._head:
            pipe.put(piece)
        self._head = []

    def commit(self) -> None:
        if self._pipe is None:
            with _store_errors(self._what):
                self._s3.put_object(
                    Bucket=self._bucket, Key=self._key, Body=b"".join(self._head), ContentType=self._content_type
                )
            return
        self._finish(None)

    def abort(self, cause: BaseException) -> None:
        if self._pipe is not None:
            # Raising inside the transfer manager's read makes it abort the multipart upload.
            self._finish(UploadAborted(str(cause)))

    def _finish(self, end: BaseException | None) -> None:
        assert self._pipe is not None and self._thread is not None
        self._pipe.put(end)
        self._thread.join()
        if self._failure and not isinstance(self._failure[0], UploadAborted):
            with _store_errors(self._what):
                raise self._failure[0]

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False


def _quoted(etag: str) -> str:
    # Entity tags are quoted (RFC 9110); moto's HeadObject, unlike S3, matches only that form.
    return f'"{etag}"'


class _Body:
    """The GetObject stream, its read errors (reset connections, timeouts) raised as StoreError."""

    def __init__(self, body, what: str) -> None:
        self._body = body
        self._what = what

    def read(self, size: int = -1) -> bytes:
        with _store_errors(self._what):
            return self._body.read(size)


class S3Store:
    """The object store on S3; every csvlake read and write of an S3 object goes through it."""

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
        except S3Error as exc:
            if exc.code in ("PreconditionFailed", "412"):
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
        upload = _Upload(self.s3, bucket, key, content_type)
        try:
            yield upload
        except BaseException as exc:
            upload.abort(exc)
            raise
        upload.commit()

    def get(self, bucket: str, key: str, unless_etag: str | None = None) -> tuple[bytes | None, str] | None:
        what = f"reading s3://{bucket}/{key}"
        extra = {"IfNoneMatch": _quoted(unless_etag)} if unless_etag else {}
        try:
            with _store_errors(what):
                response = self.s3.get_object(Bucket=bucket, Key=key, **extra)
                return response["Body"].read(), response["ETag"].strip('"')
        except ObjectGone:
            return None
        except S3Error as exc:
            if exc.code in ("304", "NotModified"):
                return None, unless_etag or ""
            raise

    def put(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        with _store_errors(f"writing s3://{bucket}/{key}"):
            self.s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)

    def delete(self, bucket: str, key: str) -> None:
        with _store_errors(f"deleting s3://{bucket}/{key}"):
            self.s3.delete_object(Bucket=bucket, Key=key)  # S3 answers 204 for a missing key too

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

    def keys(self, bucket: str) -> Iterator[str]:
        """Every key in the bucket."""
        with _store_errors(f"listing s3://{bucket}"):
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for obj in page.get("Contents", []):
                    yield obj["Key"]

    def upload(self, path: Path, bucket: str, key: str) -> None:
        # boto3's default parts, as the AWS CLI's: the object gets the ETag `aws s3 cp` would give it.
        with _store_errors(f"uploading {path} to s3://{bucket}/{key}"):
            self.s3.upload_file(str(path), bucket, key)

    def download(self, bucket: str, key: str, path: Path) -> None:
        with _store_errors(f"downloading s3://{bucket}/{key} to {path}"):
            self.s3.download_file(bucket, key, str(path))
