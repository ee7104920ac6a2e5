"""Two versions of one key against the local S3 endpoint (versioned bucket): whatever order their
invocations finish in, the processed copy and the report end as the newest version's (docs/adr/0019).

The slow reader is a gate on the older invocation's own client, just before a request of its goes out:
it holds until the test has let the newer version through, so each interleaving happens by construction,
not by how long a delay lasts on a loaded machine.
"""

from __future__ import annotations

import json
import threading

import boto3
import pytest

import csvlake.s3
from csvlake.config import Config
from csvlake.errors import Conflict, Superseded
from csvlake.local import runner
from csvlake.pipeline import process
from csvlake.ports import Expect, ObjectRef
from csvlake.s3 import CLIENT_CONFIG, S3Store
from support import keys_in

BUCKET = runner.BUCKET
KEY = "raw/a.csv"
OUTPUTS = ("processed/a.csv", "reports/a.json")


def table(rows: int, label: str) -> bytes:
    return ("id,label\n" + "".join(f"{i},{label} {i % 977}\n" for i in range(rows))).encode()


class Gate:
    """Holds the first request of `operation` whose URL contains `where` until `open` is called."""

    def __init__(self, endpoint: str, operation: str, where: str) -> None:
        self.client = boto3.client("s3", endpoint_url=endpoint, config=CLIENT_CONFIG, region_name=runner.REGION)
        self.reached, self._open, self._where = threading.Event(), threading.Event(), where
        self.client.meta.events.register(f"before-send.s3.{operation}", self._hold)

    def _hold(self, request, **_) -> None:
        if self._where in request.url and not self.reached.is_set():
            self.reached.set()
            assert self._open.wait(60), "the test never opened the gate"

    def open(self) -> None:
        self._open.set()


class Invocation(threading.Thread):
    """One invocation of the pipeline for `ref` in a thread; `outcome` is its status or "superseded"."""

    def __init__(self, store: S3Store, ref: ObjectRef) -> None:
        super().__init__(daemon=True)
        self.store, self.ref, self.outcome = store, ref, None
        self.start()

    def run(self) -> None:
        try:
            self.outcome = process(self.store, self.ref, Config(block_size=1024**2)).status
        except Superseded:
            self.outcome = "superseded"


@pytest.fixture
def versioned(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return s3


def upload(s3, data: bytes) -> ObjectRef:
    put = s3.put_object(Bucket=BUCKET, Key=KEY, Body=data)
    return ObjectRef(BUCKET, KEY, len(data), put["ETag"].strip('"'), put["VersionId"])


def outputs(s3) -> dict[str, bytes]:
    return {k: s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in OUTPUTS}


def assert_newest(s3, newest: ObjectRef, expected: dict[str, bytes]) -> None:
    assert outputs(s3) == expected
    source = json.loads(expected["reports/a.json"])["source"]
    assert (source["version_id"], source["etag"]) == (newest.version_id, newest.etag)
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_the_older_version_read_slowly_and_finishing_last_leaves_the_newer_ones_outputs(versioned, endpoint):
    s3 = versioned
    older = upload(s3, table(300, "old"))
    slow = Gate(endpoint, "GetObject", f"/{KEY}")
    first = Invocation(S3Store(slow.client), older)
    assert slow.reached.wait(60)  # version 1 is being read
    newer = upload(s3, table(500, "new"))
    assert process(S3Store(s3), newer, Config()).status == "processed"
    expected = outputs(s3)

    slow.open()
    first.join(60)

    assert first.outcome == "superseded"
    assert_newest(s3, newer, expected)


def test_the_newer_version_read_slowly_and_finishing_last_overwrites_nothing_of_the_older(versioned, endpoint):
    s3 = versioned
    older = upload(s3, table(300, "old"))
    slow_older = Gate(endpoint, "GetObject", f"/{KEY}")
    first = Invocation(S3Store(slow_older.client), older)
    assert slow_older.reached.wait(60)
    newer = upload(s3, table(500, "new"))
    slow_newer = Gate(endpoint, "GetObject", f"/{KEY}")
    second = Invocation(S3Store(slow_newer.client), newer)
    assert slow_newer.reached.wait(60)

    slow_older.open()  # version 1 finishes first: the raw key is version 2 by then
    first.join(60)
    assert first.outcome == "superseded"
    assert keys_in(s3, BUCKET) == {KEY}  # it wrote nothing
    slow_newer.open()
    second.join(60)

    assert second.outcome == "processed"
    assert_newest(s3, newer, outputs(s3))
    assert json.loads(outputs(s3)["reports/a.json"])["rows"]["read"] == 500


@pytest.mark.parametrize(
    ("operation", "where", "rows"),
    [
        pytest.param("PutObject", "/reports/a.json", 300, id="PutObject of the report"),
        # moto honours If-None-Match on CompleteMultipartUpload (not If-Match: see ADR 0019).
        pytest.param("CompleteMultipartUpload", "/processed/a.csv", 400_000, id="CompleteMultipartUpload"),
    ],
)
def test_a_newer_version_landing_between_the_older_ones_check_and_write_wins(
    versioned, endpoint, monkeypatch, operation, where, rows
):
    # S3's smallest parts: a processed copy of a few MB goes up as a multipart upload.
    monkeypatch.setattr(csvlake.s3, "TRANSFER", csvlake.s3.TransferConfig(5 * 1024**2, multipart_chunksize=5 * 1024**2))
    s3 = versioned
    older = upload(s3, table(rows, "old"))
    held = Gate(endpoint, operation, where)
    first = Invocation(S3Store(held.client), older)
    assert held.reached.wait(120)  # version 1 checked it may write; its write has not reached S3
    newer = upload(s3, table(rows + 100, "new"))
    assert process(S3Store(s3), newer, Config(block_size=1024**2)).status == "processed"
    expected = outputs(s3)

    held.open()  # the write's condition fails; version 1 looks again and finds itself superseded
    first.join(120)

    assert first.outcome == "superseded"
    assert_newest(s3, newer, expected)


@pytest.mark.parametrize("first_of_dataset", [True, False], ids=["no last schema yet", "a last schema"])
def test_files_of_one_dataset_landing_at_once_both_reach_its_last_schema(s3, bucket, endpoint, first_of_dataset):
    if not first_of_dataset:
        s3.put_object(Bucket=bucket, Key="raw/sales/0.csv", Body=b"id\n1\n")
        process(S3Store(s3), ObjectRef(bucket, "raw/sales/0.csv"), Config())
    s3.put_object(Bucket=bucket, Key="raw/sales/a.csv", Body=b"id,name\n1,a\n")
    s3.put_object(Bucket=bucket, Key="raw/sales/b.csv", Body=b"id,city\n1,b\n")
    # a has read the last schema and is about to replace it when b lands its own.
    held = Gate(endpoint, "PutObject", "/reports/sales/_last_schema")
    a = Invocation(S3Store(held.client), ObjectRef(bucket, "raw/sales/a.csv"))
    assert held.reached.wait(60)
    assert process(S3Store(s3), ObjectRef(bucket, "raw/sales/b.csv"), Config()).status == "processed"
    held.open()
    a.join(60)

    assert a.outcome == "processed"
    state = json.loads(s3.get_object(Bucket=bucket, Key="reports/sales/_last_schema")["Body"].read())
    assert state["source"]["key"] == "raw/sales/a.csv"
    assert state["previous"]["source"]["key"] == "raw/sales/b.csv"  # b's update is not lost


def test_the_local_endpoint_refuses_the_writes_whose_conditions_fail(s3, bucket):
    """What the integration tests rely on moto for. moto 5.2.5 also accepts, without checking, If-Match on
    CompleteMultipartUpload and both conditions on CopyObject, which S3 checks (ADR 0019)."""
    store = S3Store(s3)
    store.put(bucket, "k", b"1", "text/plain", {"csvlake-source-etag": "e1"}, Expect(None))
    etag = store.head(bucket, "k").etag
    assert store.head(bucket, "k").metadata == {"csvlake-source-etag": "e1"}
    with pytest.raises(Conflict):
        store.put(bucket, "k", b"2", "text/plain", expect=Expect(None))
    with pytest.raises(Conflict):
        store.put(bucket, "k", b"2", "text/plain", expect=Expect("0" * 32))
    with pytest.raises(Conflict):
        store.delete(bucket, "k", Expect("0" * 32))
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"1"
    store.put(bucket, "k", b"2", "text/plain", expect=Expect(etag))
    store.delete(bucket, "k", Expect(store.head(bucket, "k").etag))
    assert store.head(bucket, "k") is None
