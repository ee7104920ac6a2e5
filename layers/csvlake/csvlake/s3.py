"""The S3 adapter: the only module that talks to boto3."""

from __future__ import annotations

import concurrent.futures
import contextlib
import enum
import threading
from collections.abc import Callable, Iterator, Mapping
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

from .errors import Conflict, ObjectGone, StoreError, Superseded
from .ports import Expect, Head, ObjectRef

# CopyObject copies up to 5 GB in one request; above, a multipart copy (no precondition: ADR 0019).
COPY_LIMIT = 5 * 1000**3
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


def _conditions(expect: Expect | None) -> dict[str, str]:
    """A precondition as S3's conditional-write headers (If-None-Match: * creates, If-Match replaces)."""
    if expect is None:
        return {}
    return {"IfNoneMatch": "*"} if expect.etag is None else {"IfMatch": _quoted(expect.etag)}


@contextlib.contextmanager
def _conditional(what: str, expect: Expect | None) -> Iterator[None]:
    """_store_errors, a failed precondition raised as Conflict: 412 when it does not hold, 409 when a
    concurrent conditional write won, 404 when the object to replace has gone meanwhile."""
    try:
        with _store_errors(what):
            yield
    except ObjectGone as exc:
        if expect is None:
            raise
        raise Conflict(f"{what}: the object has gone since it was checked") from exc
    except S3Error as exc:
        if exc.code in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
            raise Conflict(f"{what}: {exc.detail}") from exc
        raise


class _Upload:
    """The stream the pipeline writes an object into.

    Up to the multipart threshold it stays in memory and goes out in one PutObject. A larger object
    goes out as a multipart upload whose parts are sent from a few threads as they fill, so parsing
    and uploading overlap; CompleteMultipartUpload carries the precondition, which the transfer
    manager cannot pass. An exception aborts the upload, so no partial object appears.
    """

    closed = False

    def __init__(self, s3, bucket: str, key: str, content_type: str, stamp, expect) -> None:
        self._s3, self._bucket, self._key = s3, bucket, key
        self._create = {"ContentType": content_type, "Metadata": dict(stamp or {})}
        self._expect: Callable[[], Expect] | None = expect
        self._what = f"writing s3://{bucket}/{key}"
        self._head: list[bytes] = []
        self._buffered = self._written = 0
        self._upload_id: str | None = None
        self._parts: list[concurrent.futures.Future] = []
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._slots = threading.BoundedSemaphore(TRANSFER.max_concurrency)

    def write(self, data) -> int:
        data = bytes(data)
        self._head.append(data)
        self._buffered += len(data)
        self._written += len(data)
        if self._upload_id is None and self._written > TRANSFER.multipart_threshold:
            with _store_errors(self._what):
                response = self._s3.create_multipart_upload(Bucket=self._bucket, Key=self._key, **self._create)
            self._upload_id = response["UploadId"]
            self._pool = concurrent.futures.ThreadPoolExecutor(TRANSFER.max_concurrency, f"upload {self._key}")
        if self._upload_id is not None and self._buffered >= TRANSFER.multipart_chunksize:
            self._send()
        return len(data)

    def _send(self) -> None:
        """The bytes buffered sent as the next part, once fewer than max_concurrency are in flight."""
        assert self._pool is not None
        body = b"".join(self._head)
        self._head, self._buffered = [], 0
        self._slots.acquire()
        for part in self._parts:
            if part.done() and part.exception():  # a failed part stops the pipeline now, not at the end
                self._slots.release()
                raise part.exception()
        self._parts.append(self._pool.submit(self._part, len(self._parts) + 1, body))

    def _part(self, number: int, body: bytes) -> dict:
        try:
            with _store_errors(self._what):
                response = self._s3.upload_part(
                    Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=body
                )
            return {"PartNumber": number, "ETag": response["ETag"]}
        finally:
            self._slots.release()

    def commit(self) -> None:
        if self._upload_id is None:
            expect = self._expect() if self._expect else None
            with _conditional(self._what, expect):
                self._s3.put_object(
                    Bucket=self._bucket, Key=self._key, Body=b"".join(self._head), **self._create, **_conditions(expect)
                )
            return
        try:
            if self._head:
                self._send()
            parts = [part.result() for part in self._parts]
            expect = self._expect() if self._expect else None
            with _conditional(self._what, expect):
                self._s3.complete_multipart_upload(
                    Bucket=self._bucket,
                    Key=self._key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": parts},
                    **_conditions(expect),
                )
        except BaseException:
            self.abort()
            raise
        self._pool.shutdown()

    def abort(self) -> None:
        if self._upload_id is None:
            return
        assert self._pool is not None
        self._pool.shutdown(cancel_futures=True)
        # Best effort: the error that made the upload fail is the one to report.
        with contextlib.suppress(StoreError), _store_errors(f"aborting {self._what}"):
            self._s3.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id)

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
    def writer(
        self,
        bucket: str,
        key: str,
        content_type: str,
        stamp: Mapping[str, str] | None = None,
        expect: Callable[[], Expect] | None = None,
    ) -> Iterator[BinaryIO]:
        upload = _Upload(self.s3, bucket, key, content_type, stamp, expect)
        try:
            yield upload
        except BaseException:
            upload.abort()
            raise
        upload.commit()

    def head(self, bucket: str, key: str) -> Head | None:
        try:
            with _store_errors(f"reading s3://{bucket}/{key}"):
                response = self.s3.head_object(Bucket=bucket, Key=key)
        except ObjectGone:
            return None
        version = response.get("VersionId")
        # An unversioned bucket's objects have version "null", which names no version of their own.
        return Head(response["ETag"].strip('"'), None if version == "null" else version, response.get("Metadata", {}))

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

    def put(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: str,
        stamp: Mapping[str, str] | None = None,
        expect: Expect | None = None,
    ) -> None:
        extra = {"Metadata": dict(stamp)} if stamp else {}
        with _conditional(f"writing s3://{bucket}/{key}", expect):
            self.s3.put_object(
                Bucket=bucket, Key=key, Body=data, ContentType=content_type, **extra, **_conditions(expect)
            )

    def delete(self, bucket: str, key: str, expect: Expect | None = None) -> None:
        with _conditional(f"deleting s3://{bucket}/{key}", expect):
            # S3 answers 204 for a missing key too; with If-Match, only the ETag checked is deleted.
            self.s3.delete_object(Bucket=bucket, Key=key, **_conditions(expect))

    def copy(
        self,
        ref: ObjectRef,
        bucket: str,
        key: str,
        stamp: Mapping[str, str] | None = None,
        expect: Expect | None = None,
    ) -> None:
        source = {"Bucket": ref.bucket, "Key": ref.key}
        extra = {}
        if ref.version_id:
            source["VersionId"] = ref.version_id
        elif ref.etag:
            extra["CopySourceIfMatch"] = _quoted(ref.etag)
        what = f"copying s3://{ref.bucket}/{ref.key} to s3://{bucket}/{key}"
        if stamp:
            extra.update(Metadata=dict(stamp), MetadataDirective="REPLACE")
        if ref.size is not None and ref.size <= COPY_LIMIT:
            with _conditional(what, expect):
                if stamp:  # new metadata replaces the source's content type too: keep it
                    extra["ContentType"] = self.s3.head_object(**source).get("ContentType", "binary/octet-stream")
                self.s3.copy_object(CopySource=source, Bucket=bucket, Key=key, **extra, **_conditions(expect))
            return
        # The managed copy switches to multipart copy above 5 GB, the limit of one CopyObject; its
        # CompleteMultipartUpload takes no precondition (the guard has checked just before).
        extra.pop("MetadataDirective", None)
        with _store_errors(what):
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
