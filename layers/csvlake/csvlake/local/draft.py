"""Draft a dataset contract from a sample file: what the pipeline finds in it (dialect, types,
nulls, ranges, small sets of values) written as the YAML a data owner starts from and edits.

The sample goes through the real pipeline, into a temporary folder, so the draft states exactly
what ingestion infers; every rule it writes holds for every well-formed row of the sample.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from ..config import Config
from ..pipeline import process
from ..ports import Head, ObjectRef, ObjectStore
from .fs import DirectoryStore

# A string column with at most this many distinct values gets an `enum` of all of them.
ENUM_MAX = 10
BOUNDED = ("integer", "number", "date", "datetime")
# Identifiers are integers in most exports; a text column whose sample values happen to differ
# (names, cities in a short sample) is rarely meant to be unique, so a draft does not say so.
UNIQUE_KINDS = ("integer",)
DIALECT = ("encoding", "delimiter", "decimal", "header")
# Where the sample seems to lie for the pipeline: no dataset folder, so no contract is looked up.
SCRATCH_BUCKET = "draft"
SAMPLE_KEY = "raw/sample.csv"


class _Flow(list):
    """A list YAML writes on one line, `[a, b, c]`: an enum reads better so."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Flow, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, True))


@dataclasses.dataclass(frozen=True)
class Draft:
    text: str  # the YAML, header comments first
    notes: tuple[str, ...]  # what the header notes: columns not fully described, malformed rows


class SampleRejected(Exception):
    """The pipeline rejects the sample as a whole (not CSV, empty…): there is nothing to describe."""


class _Scratch(DirectoryStore):
    """The sample read from its own store; everything the pipeline writes goes to a temporary folder."""

    def __init__(self, root: str, source: ObjectStore, sample: ObjectRef) -> None:
        super().__init__(root)
        self.source, self.sample = source, sample

    def open(self, ref: ObjectRef) -> tuple[BinaryIO, ObjectRef]:
        # The second pass asks for the ETag and version the first one read: both read one object.
        stream, found = self.source.open(dataclasses.replace(ref, bucket=self.sample.bucket, key=self.sample.key))
        return stream, dataclasses.replace(found, bucket=ref.bucket, key=ref.key)

    def head(self, bucket: str, key: str) -> Head | None:
        # The sample is the raw object whose version the pipeline's outputs are checked against.
        if (bucket, key) == (SCRATCH_BUCKET, SAMPLE_KEY):
            return self.source.head(self.sample.bucket, self.sample.key)
        return super().head(bucket, key)

    def copy(self, ref: ObjectRef, bucket: str, key: str, stamp=None, expect=None) -> None:
        """A rejected sample's quarantined copy would be deleted with the folder: it is not made."""


def draft(
    store: ObjectStore,
    ref: ObjectRef,
    source: str,
    today: dt.date | None = None,
    save_as: str | None = None,
) -> Draft:
    """The draft contract for the object `ref` in `store` (`source` names it in the
    header comment; `save_as`, if known, is where the contract must be stored).

    Raises SampleRejected if the pipeline rejects the object, and StoreError if it cannot be read.
    """
    with tempfile.TemporaryDirectory(prefix="csvlake-draft-") as folder:
        scratch = _Scratch(folder, store, ref)
        # Parquet keeps each value as it was read: the CSV copy neutralises formulas (=, +, -, @).
        config = Config(output_format="parquet")
        report = process(scratch, dataclasses.replace(ref, bucket=SCRATCH_BUCKET, key=SAMPLE_KEY), config).as_dict()
        if report["status"] == "rejected":
            raise SampleRejected(report["reason"])
        processed = scratch.path(SCRATCH_BUCKET, report["outputs"]["processed"])
        values = _small_value_sets(processed, report["columns"])
    return render(report, values, source, today or dt.date.today(), save_as)


def _enum_candidate(column: dict) -> bool:
    return (
        column["type"] == "string"
        and not column["type_evidence"]
        and column["distinct_exact"]
        and 0 < column["distinct"] <= ENUM_MAX
    )


def _small_value_sets(processed: Path, columns: list[dict]) -> dict[int, list[str]]:
    """Every value of the string columns with few distinct values, by position: the report lists
    only the five most frequent, so they are read from the processed copy, batch by batch."""
    positions = [i for i, column in enumerate(columns) if _enum_candidate(column)]
    if not positions:
        return {}
    found: dict[int, set[str]] = {i: set() for i in positions}
    with pq.ParquetFile(processed) as file:
        names = [file.schema_arrow.names[i] for i in positions]
        for batch in file.iter_batches(columns=names):
            for i, column in zip(positions, batch.columns):
                found[i].update(pc.unique(column).drop_null().to_pylist())
    return {i: sorted(values) for i, values in found.items()}


def _rows(n: int, what: str = "row") -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _printable(text: str) -> str:
    """Text for a comment line: a key or a header may hold line breaks."""
    return text if text.isprintable() else repr(text)[1:-1]


def _field(name: str, column: dict, enum: list[str] | None) -> dict[str, Any]:
    # A text column that a few values keep from a type is proposed as that type (render notes them).
    evidence = column["type_evidence"]
    kind, count = (evidence or column)["type"], column["count"]
    spec: dict[str, Any] = {"name": name, "type": kind, "required": True}
    if count and not column["nulls"]:
        spec["nullable"] = False
    if kind in UNIQUE_KINDS and column["distinct_exact"] and 1 < column["distinct"] == count:
        spec["unique"] = True
    if kind in BOUNDED and count and not evidence:  # a text column's extremes are texts'
        # The report's extremes are exact: integers as int, numbers as float (which YAML writes
        # with repr, so they read back to the same float), dates and datetimes as ISO-8601 text.
        spec["minimum"], spec["maximum"] = column["min"], column["max"]
    if enum:
        spec["enum"] = _Flow(enum)
    return spec


def _fields(report: dict, values: dict[int, list[str]]) -> tuple[list[dict], list[str]]:
    """The fields in file order, and notes on the columns no field can describe fully."""
    header = report["dialect"]["header"]
    # Without a header, a contract names the columns column_1, column_2…: their output names too.
    names = [column["source_name"] if header else column["name"] for column in report["columns"]]
    repeated = Counter(names)
    fields: list[dict] = []
    notes: list[str] = []
    for i, (name, column) in enumerate(zip(names, report["columns"])):
        if not name:
            notes.append(f"column {i + 1} has a blank header: no field can name it (columns: allow_extra keeps it).")
        elif repeated[name] > 1:
            # A contract's field describes every column of its name: only `required` holds for all.
            if not any(f["name"] == name for f in fields):
                fields.append({"name": name, "required": True})
                notes.append(f"header {_printable(name)!r} names {repeated[name]} columns: its field only requires it.")
        else:
            fields.append(_field(name, column, values.get(i)))
            if evidence := column["type_evidence"]:
                notes.append(_odd_values(name, evidence))
    return fields, notes


def _odd_values(name: str, evidence: dict) -> str:
    kind = evidence["type"]
    listed = ", ".join(f"{_printable(odd['value'])!r} (line {odd['line']})" for odd in evidence["not"])
    return (
        f"{_printable(name)!r} is text in the sample, but {evidence['fit']} of its {evidence['of']} values are "
        f"{kind}s: declared {kind}, the rows holding {listed} go to the rejected rows (string keeps them)."
    )


def render(
    report: dict, values: dict[int, list[str]], source: str, today: dt.date, save_as: str | None = None
) -> Draft:
    """The draft contract for a sample's report (`values`: all values of its columns with few)."""
    rows = report["rows"]
    fields, notes = _fields(report, values)
    if rows["rejected"]:
        first = next((e for e in report["errors"] if e["rule"] == "structure"), None)
        example = f"; line {first['line']}: {first['message']}" if first else ""
        notes.append(
            f"the sample's malformed rows ({rows['rejected']}{example}) are left out: "
            "they are rejected with or without a contract."
        )
    where = (
        save_as or "contracts/<dataset>.yaml in the bucket of the raw files (<dataset>: the first folder under raw/)"
    )
    odd = any(column["type_evidence"] for column in report["columns"])
    lines = [
        f"# Draft contract from {_printable(source)} on {today.isoformat()}, by `csvlake contract draft`.",
        f"# Every rule holds for the {_rows(rows['written'])} of that sample"
        + (", but the types the notes name" if odd else "")
        + ": minimum, maximum, enum, unique",
        "# and nullable say what it happened to contain. Loosen or tighten them, then store the file as",
        f"# {where}.",
        *(f"# Note: {note[0].upper()}{note[1:]}" for note in notes),
    ]
    document = {
        "dialect": {k: report["dialect"][k] for k in DIALECT},
        "columns": "allow_extra",
        "fields": fields,
    }
    # The safe dumper quotes every string YAML would read as something else (01, yes, 1.0,
    # 2024-01-31); with no line width, no long value is folded.
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=2**31)
    return Draft("\n".join(lines) + "\n" + body, tuple(notes))
