"""Test support: real files in tests/data, a local lake, and the report schema every report must pass."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from csvlake.config import Config
from csvlake.layout import OutputKeys
from csvlake.local.fs import DirectoryStore
from csvlake.pipeline import process
from csvlake.ports import ObjectRef

ROOT = Path(__file__).resolve().parents[1]
# How tests/data/ptbr_cp1252.csv (an Excel export from a pt-BR machine) must be read.
PT_BR_DIALECT = {
    "encoding": "cp1252",
    "delimiter": ";",
    "decimal": ",",
    "thousands": ".",
    "quotechar": '"',
    "escapechar": None,
    "skipinitialspace": False,
    "null_values": [],
    "header": True,
    "line_ending": "CRLF",
}
DATA = Path(__file__).parent / "data"
SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def check_report(report: dict) -> dict:
    """Fail unless the report matches the schema and conserves rows."""
    VALIDATOR.validate(report)
    rows = report["rows"]
    assert rows["read"] == rows["written"] + rows["rejected"], rows
    return report


class LocalLake:
    """A bucket in a directory, processed with the real pipeline."""

    bucket = "lake"

    def __init__(self, root: Path, config: Config) -> None:
        self.root = root
        self.store = DirectoryStore(root)
        self.config = config

    def drop(self, key: str, data: bytes) -> ObjectRef:
        path = self.store.path(self.bucket, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return ObjectRef(self.bucket, key)

    def ingest(self, name: str, data: bytes | None = None, key: str | None = None) -> dict:
        """Process tests/data/<name> (or the given bytes) dropped at raw/<name>; returns the report."""
        key = key or f"{self.config.raw_prefix}{name}"
        ref = self.drop(key, (DATA / name).read_bytes() if data is None else data)
        report = check_report(process(self.store, ref, self.config).as_dict())
        on_disk = json.loads(self.read(report["outputs"]["report"]))
        assert {k: v for k, v in on_disk.items() if k != "duration_ms"} == {
            k: v for k, v in report.items() if k != "duration_ms"
        }
        return report

    def read(self, key: str) -> bytes:
        return self.store.path(self.bucket, key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.store.path(self.bucket, key).exists()

    def object_keys(self) -> set[str]:
        base = self.root / self.bucket
        return {str(p.relative_to(base)) for p in base.rglob("*") if p.is_file()}


def report_for(s3, bucket: str, key: str, config: Config | None = None) -> dict:
    """The report of a raw key, checked against the schema."""
    body = s3.get_object(Bucket=bucket, Key=OutputKeys.for_key(key, config or Config()).report)["Body"].read()
    return check_report(json.loads(body))


def keys_in(s3, bucket: str) -> set[str]:
    return {
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
    }
