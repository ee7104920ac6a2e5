"""The report document written for every file; its JSON Schema is `schemas/report.schema.json`."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

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


@dataclass
class Report:
    source: ObjectRef
    started_at: dt.datetime
    status: str = "processed"
    reason: str | None = None
    dialect: dict[str, Any] | None = None
    read: int = 0
    written: int = 0
    rejected: int = 0
    columns: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    outputs: dict[str, str | None] = field(default_factory=dict)
    validation: dict[str, Any] | None = None
    drift: dict[str, Any] | None = None

    def add_error(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error.as_report())

    def reject(self, reason: str) -> None:
        self.status = "rejected"
        self.reason = reason

    def as_dict(self, finished_at: dt.datetime) -> dict[str, Any]:
        ref = self.source
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
            "dialect": self.dialect,
            "rows": {"read": self.read, "written": self.written, "rejected": self.rejected},
            "columns": self.columns,
            "warnings": self.warnings,
            "errors": self.errors,
            "error_count": self.error_count,
            "validation": self.validation,
            "drift": self.drift,
            "outputs": self.outputs,
            "started_at": self.started_at.isoformat().replace("+00:00", "Z"),
            "duration_ms": round((finished_at - self.started_at).total_seconds() * 1000),
        }


def to_json(document: dict[str, Any]) -> bytes:
    # allow_nan=False: NaN and Infinity are not JSON, and strict parsers refuse them.
    return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False).encode("utf-8")
