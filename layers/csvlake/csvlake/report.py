"""The report document written for every file; its JSON Schema is `schemas/report.schema.json`."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from .events import ObjectRef

SCHEMA_VERSION = 1
MAX_ERRORS = 100


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

    def add_error(self, line: int, column: str | None, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"line": line, "column": column, "message": message})

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
            "outputs": self.outputs,
            "started_at": self.started_at.isoformat().replace("+00:00", "Z"),
            "duration_ms": round((finished_at - self.started_at).total_seconds() * 1000),
        }


def to_json(document: dict[str, Any]) -> bytes:
    # allow_nan=False: NaN and Infinity are not JSON, and strict parsers refuse them.
    return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False).encode("utf-8")
