"""The report document written for every file; its JSON Schema is `schemas/report.schema.json`."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from .layout import OutputKeys
from .ports import ObjectRef

SCHEMA_VERSION = 1
MAX_ERRORS = 100
VALUE_SHOWN = 100  # characters of an offending value kept in the report and messages


def shown(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= VALUE_SHOWN else text[:VALUE_SHOWN] + "…"


@dataclass(frozen=True)
class RowError:
    """Why a row failed: a malformed record (rule `structure`) or a contract rule."""

    line: int
    column: str | None
    rule: str
    severity: str
    value: str | None
    message: str

    def as_report(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "severity": self.severity,
            "value": self.value,
            "message": self.message,
        }


class Reportable(Protocol):
    """What the report holds of the stages' own objects (the dialect, a summary, the validation)."""

    def as_report(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Outputs:
    """Which of the file's outputs exist, in the output bucket, under the file's output keys."""

    bucket: str
    keys: OutputKeys
    processed: bool = False
    rejected_rows: bool = False
    quarantine: bool = False

    def as_report(self) -> dict[str, str | None]:
        return {
            "bucket": self.bucket,
            "processed": self.keys.processed if self.processed else None,
            "rejected_rows": self.keys.rejected_rows if self.rejected_rows else None,
            "quarantine": self.keys.quarantine if self.quarantine else None,
            "report": self.keys.report,
            "report_html": self.keys.report_html,
        }


@dataclass(frozen=True)
class ColumnReport:
    """A column of the processed copy: its output name, its header name, what its values were and,
    for a text column, the type a few of them keep from it (types.TypeEvidence)."""

    name: str
    source_name: str | None
    summary: Reportable
    type_evidence: Reportable | None

    def as_report(self) -> dict[str, Any]:
        evidence = self.type_evidence.as_report() if self.type_evidence else None
        return {
            "name": self.name,
            "source_name": self.source_name,
            **self.summary.as_report(),
            "type_evidence": evidence,
        }


@dataclass
class Errors:
    """The row errors of a file: the first MAX_ERRORS kept for the report, all of them counted."""

    shown: list[RowError] = field(default_factory=list)
    count: int = 0

    def add(self, error: RowError) -> None:
        self.count += 1
        if len(self.shown) < MAX_ERRORS:
            self.shown.append(error)


@dataclass
class Report:
    """What happened to one file, filled in by the stages as they go; as_dict() is its JSON form."""

    source: ObjectRef
    started_at: dt.datetime
    outputs: Outputs
    status: str = "processed"
    reason: str | None = None
    dialect: Reportable | None = None
    structure: Reportable | None = None
    lines: Reportable | None = None
    skipped_lines: list[Reportable] = field(default_factory=list)
    read: int = 0
    written: int = 0
    rejected: int = 0
    columns: list[ColumnReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: Errors = field(default_factory=Errors)
    validation: Reportable | None = None
    drift: dict[str, Any] | None = None
    finished_at: dt.datetime | None = None

    def reject(self, reason: str) -> None:
        self.status = "rejected"
        self.reason = reason

    def as_dict(self) -> dict[str, Any]:
        ref = self.source
        finished_at = self.finished_at or self.started_at
        return {
            "schema_version": SCHEMA_VERSION,
            "source": {
                "bucket": ref.bucket,
                "key": ref.key,
                "size": ref.size,
                "etag": ref.etag,
                "version_id": ref.version_id,
            },
            "status": self.status,
            "reason": self.reason,
            "dialect": self.dialect.as_report() if self.dialect else None,
            "structure": self.structure.as_report() if self.structure else None,
            "lines": self.lines.as_report() if self.lines else None,
            "skipped_lines": [line.as_report() for line in self.skipped_lines],
            "rows": {"read": self.read, "written": self.written, "rejected": self.rejected},
            "columns": [column.as_report() for column in self.columns],
            "warnings": self.warnings,
            "errors": [error.as_report() for error in self.errors.shown],
            "error_count": self.errors.count,
            "validation": self.validation.as_report() if self.validation else None,
            "drift": self.drift,
            "outputs": self.outputs.as_report(),
            "started_at": self.started_at.isoformat().replace("+00:00", "Z"),
            "duration_ms": round((finished_at - self.started_at).total_seconds() * 1000),
        }


def to_json(document: dict[str, Any]) -> bytes:
    # allow_nan=False: NaN and Infinity are not JSON, and strict parsers refuse them.
    return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False).encode("utf-8")
