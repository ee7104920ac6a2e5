"""Newest version wins (docs/adr/0019): an older version of a raw object never overwrites or deletes a
newer one's outputs, in any order the invocations finish; files of one dataset lose no schema update.

The interleavings are made deterministic by a directory store that runs another invocation at a chosen
moment of this one (after its read, between its check and its write), as a slow reader would let happen.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from csvlake.config import Config
from csvlake.errors import Superseded
from csvlake.layout import OutputKeys
from csvlake.local.fs import DirectoryStore
from csvlake.pipeline import process
from csvlake.ports import ObjectRef
from csvlake.versions import Guard, Stamp

BUCKET = "lake"
V1 = b"id,name\n1,old\n2,old\n"
V2 = b"id,name,extra\n1,new,x\n2,new,y\n3,new,z\n"


def test_a_stamp_names_one_version_by_version_id_else_by_etag():
    assert Stamp("v1", "e").same_version(Stamp("v1", "other"))
    assert not Stamp("v1", "e").same_version(Stamp("v2", "e"))
    assert Stamp(None, "e").same_version(Stamp("v2", "e"))
    assert not Stamp(None, None).same_version(Stamp(None, None))
    assert Stamp.read(Stamp("v1", "e", "0A").metadata()) == Stamp("v1", "e", "0A")
    assert Stamp.read({}) is None


class Interleaving(DirectoryStore):
    """A directory whose `when` hook runs `then` once, the first time it is asked (`"open"` after the
    raw object is opened; `"put <key>"` between the guard's check and the store's write of `key`)."""

    def __init__(self, root) -> None:
        super().__init__(root)
        self.hooks: dict[str, Callable[[], None]] = {}

    def _fire(self, moment: str) -> None:
        if hook := self.hooks.pop(moment, None):
            hook()

    def open(self, ref):
        opened = super().open(ref)
        if ref.key.startswith("raw/"):
            self._fire("open")
        return opened

    def put(self, bucket, key, data, content_type, stamp=None, expect=None):
        self._fire(f"put {key}")
        return super().put(bucket, key, data, content_type, stamp, expect)


@pytest.fixture
def store(tmp_path) -> Interleaving:
    return Interleaving(tmp_path / "lake")


def upload(store: DirectoryStore, key: str, data: bytes) -> ObjectRef:
    path = store.path(BUCKET, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(".upload")
    temp.write_bytes(data)
    temp.replace(path)  # a new object: a new ETag (mtime and size)
    return ObjectRef(BUCKET, key)


def alone(tmp_path, data: bytes) -> bytes:
    """The processed copy of `data` processed on its own, with nothing concurrent."""
    store = DirectoryStore(tmp_path / "alone")
    process(store, upload(store, "raw/a.csv", data), Config())
    return store.path(BUCKET, "processed/a.csv").read_bytes()


def outputs(store: DirectoryStore, key: str) -> tuple[bytes, dict]:
    keys = OutputKeys.for_key(key, Config())
    report = json.loads(store.path(BUCKET, keys.report).read_bytes())
    return store.path(BUCKET, keys.processed).read_bytes(), report


def test_an_older_version_finishing_last_leaves_the_newer_ones_outputs(store, tmp_path):
    # GIVEN version 1 read by a slow invocation, and version 2 uploaded and processed meanwhile
    ref = upload(store, "raw/a.csv", V1)
    store.hooks["open"] = lambda: process(store, upload(store, "raw/a.csv", V2), Config())
    # WHEN version 1 finishes last THEN it is superseded, and every output is version 2's
    with pytest.raises(Superseded, match="no longer the latest"):
        process(store, ref, Config())
    processed, report = outputs(store, "raw/a.csv")
    assert processed == alone(tmp_path, V2) and report["rows"]["read"] == 3
    assert report["source"]["etag"] == store.head(BUCKET, "raw/a.csv").etag


def test_an_older_version_finishing_first_is_overwritten_by_the_newer_one(store, tmp_path):
    # GIVEN version 1 read, then version 2 uploaded before version 1 writes anything
    ref = upload(store, "raw/a.csv", V1)
    newer: list[ObjectRef] = []
    store.hooks["open"] = lambda: newer.append(upload(store, "raw/a.csv", V2))
    # WHEN version 1 finishes first, then version 2
    with pytest.raises(Superseded):
        process(store, ref, Config())
    assert not store.path(BUCKET, "processed/a.csv").exists()  # version 1 wrote nothing
    process(store, newer[0], Config())
    # THEN the outputs are version 2's
    processed, report = outputs(store, "raw/a.csv")
    assert processed == alone(tmp_path, V2) and report["rows"]["read"] == 3


def test_a_newer_version_landing_between_the_check_and_the_write_wins(store, tmp_path):
    # GIVEN version 1 checked the report is absent and it is current, then version 2 landed all of its
    # outputs before version 1's write reached the store
    ref = upload(store, "raw/a.csv", V1)
    report_key = OutputKeys.for_key("raw/a.csv", Config()).report
    store.hooks[f"put {report_key}"] = lambda: process(store, upload(store, "raw/a.csv", V2), Config())
    # WHEN version 1 writes THEN its condition fails, it looks again and finds itself superseded
    with pytest.raises(Superseded):
        process(store, ref, Config())
    processed, report = outputs(store, "raw/a.csv")
    assert processed == alone(tmp_path, V2) and report["rows"]["read"] == 3


def test_the_same_version_delivered_again_rewrites_its_own_outputs(store):
    ref = upload(store, "raw/a.csv", V1)
    first = process(store, ref, Config()).as_dict()
    again = process(store, ref, Config()).as_dict()
    assert first["status"] == again["status"] == "processed"
    assert Stamp.read(store.head(BUCKET, "processed/a.csv").metadata).etag == store.head(BUCKET, "raw/a.csv").etag


def test_the_raw_keys_current_version_decides_not_the_stamps_sequencer(store):
    # GIVEN an output stamped by a version with a later sequencer that is no longer the raw key's
    # (deleted by version id, say, which makes an older version current again)
    upload(store, "raw/a.csv", V1)
    current = store.head(BUCKET, "raw/a.csv")
    store.put(BUCKET, "reports/a.json", b"gone", "application/json", Stamp("v9", "e9", "0055B0").metadata())
    # THEN the current version replaces it; a version that is not current neither writes nor deletes
    Guard(store, ObjectRef(BUCKET, "raw/a.csv", etag=current.etag, sequencer="0055AF")).put(
        BUCKET, "reports/a.json", b"current", "application/json"
    )
    assert store.path(BUCKET, "reports/a.json").read_bytes() == b"current"
    assert Stamp.read(store.head(BUCKET, "reports/a.json").metadata) == Stamp(None, current.etag, "0055AF")
    stale = Guard(store, ObjectRef(BUCKET, "raw/a.csv", etag="e9", sequencer="0055B0"))
    with pytest.raises(Superseded):
        stale.put(BUCKET, "reports/a.json", b"stale", "application/json")
    with pytest.raises(Superseded):
        stale.delete(BUCKET, "reports/a.json")
    assert store.path(BUCKET, "reports/a.json").read_bytes() == b"current"
    # An unstamped output (written before stamps existed) is replaced too.
    store.put(BUCKET, "reports/b.json", b"unstamped", "application/json")
    Guard(store, ObjectRef(BUCKET, "raw/a.csv")).put(BUCKET, "reports/b.json", b"mine", "application/json")
    assert store.path(BUCKET, "reports/b.json").read_bytes() == b"mine"


def test_an_object_deleted_since_it_was_read_writes_nothing(store):
    ref = upload(store, "raw/a.csv", V1)
    store.hooks["open"] = lambda: store.delete(BUCKET, "raw/a.csv")
    with pytest.raises(Superseded, match="deleted"):
        process(store, ref, Config())
    assert not store.path(BUCKET, "reports/a.json").exists()


def test_files_of_one_dataset_landing_at_once_both_reach_the_last_schema(store):
    # GIVEN a dataset whose last schema is file 0's, then files a and b inspected at once
    process(store, upload(store, "raw/sales/0.csv", b"id\n1\n"), Config())
    a = upload(store, "raw/sales/a.csv", b"id,name\n1,a\n")
    b = upload(store, "raw/sales/b.csv", b"id,city\n1,b\n")
    seen: list[dict] = []
    # WHEN b records its schema between a's read and a's write of it
    store.hooks["put reports/sales/_last_schema"] = lambda: seen.append(process(store, b, Config()).as_dict())
    report_a = process(store, a, Config()).as_dict()
    # THEN both compared with file 0, and the last schema chains a after b: no update lost
    assert report_a["drift"]["previous"]["key"] == seen[0]["drift"]["previous"]["key"] == "raw/sales/0.csv"
    state = json.loads(store.path(BUCKET, "reports/sales/_last_schema").read_bytes())
    assert state["source"]["key"] == "raw/sales/a.csv"
    assert state["previous"]["source"]["key"] == "raw/sales/b.csv"
    assert state["previous"]["schema"] == [{"name": "id", "type": "integer"}, {"name": "city", "type": "string"}]
    # The next file of the dataset is compared with a's schema, the last to land.
    report_c = process(store, upload(store, "raw/sales/c.csv", b"id,name\n2,c\n"), Config()).as_dict()
    assert report_c["drift"]["previous"]["key"] == "raw/sales/a.csv" and report_c["drift"]["added"] == []
