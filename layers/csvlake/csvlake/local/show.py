"""Readable terminal summaries of reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MAX_WIDTH = 24
MAX_SKIPPED_SHOWN = 5


def _cell(value: Any, width: int) -> str:
    if isinstance(value, bool):
        value = str(value).lower()
    text = "" if value is None else (f"{value:.6g}" if isinstance(value, float) else str(value))
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= width else text[: width - 1] + "…"


def table(headers: list[str], rows: list[list[Any]], width: int = MAX_WIDTH) -> str:
    cells = [headers] + [[_cell(v, width) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def one_line(report: dict[str, Any], source: str | None = None) -> str:
    """`status  key  read …, written …, rejected …  (reason)`; `source` replaces the key, e.g. with a local path."""
    rows = report["rows"]
    name = source or report["source"]["key"]
    line = f"{report['status']:<9} {name}  read {rows['read']}, written {rows['written']}, rejected {rows['rejected']}"
    return line + (f"  ({report['reason']})" if report.get("reason") else "")


def s3_url(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def summary(
    report: dict[str, Any],
    max_errors: int = 5,
    source: str | None = None,
    where: Callable[[str], str] | None = None,
    detail: bool = False,
    origin: str | None = None,
) -> str:
    """The report in a few lines and two tables (columns, errors).

    `source` labels the file instead of its key; `where(key)` says where an output is (default:
    its s3:// URL); `detail` adds a line about the source object (`origin` replaces its s3:// URL
    there) and the mean of numeric columns.
    """
    outputs = report["outputs"]
    where = where or (lambda key: s3_url(outputs["bucket"], key))
    parts = [one_line(report, source)]
    if detail:
        parts.append(f"  source: {_source(report, origin)}")
    if report.get("dialect"):
        d = report["dialect"]
        delimiter = {"\t": "tab"}.get(d["delimiter"], d["delimiter"])
        parts.append(
            f"  dialect: {d['encoding']}, delimiter {delimiter!r}, decimal {d['decimal']!r}, "
            f"header {'yes' if d['header'] else 'no'}, {d['line_ending']}"
            + (f", quote {d['quotechar']!r}" if d.get("quotechar", '"') != '"' else "")
            + (", backslash escapes" if d.get("escapechar") else "")
        )
    if lines := report.get("lines"):
        parts.append(f"  lines: {_lines(lines)}")
        # Blank lines are counted, not shown: their text says nothing.
        texts = [[s["line"], s["reason"], s["text"]] for s in report.get("skipped_lines", []) if s["reason"] != "blank"]
        if texts:
            parts.append(_indent(table(["line", "skipped", "text"], texts[:MAX_SKIPPED_SHOWN], width=60)))
        hidden = lines["skipped"] - lines["skipped_by_reason"].get("blank", 0) - len(texts[:MAX_SKIPPED_SHOWN])
        if hidden > 0:
            parts.append(f"  … and {hidden} more skipped lines (the report lists the first 100)")
    for label, key in outputs.items():
        if label != "bucket" and isinstance(key, str) and key:
            parts.append(f"  {label.replace('_', ' ')}: {where(key)}")
    if report.get("columns"):
        headers = ["column", "source", "type", "nulls", "distinct", "min", "max"]
        rows = [
            [c["name"], c["source_name"], _type(c), c["nulls"], c["distinct"], c["min"], c["max"]]
            for c in report["columns"]
        ]
        if detail:
            headers.append("mean")
            for row, column in zip(rows, report["columns"]):
                row.append(column.get("mean"))
        parts.append(_indent(table(headers, rows)))
    for warning in report.get("warnings") or []:
        parts.append(f"  warning: {warning}")
    if validation := report.get("validation"):
        failed = [f"{r['column'] or 'file'}.{r['rule']} {r['failures']}" for r in validation["rules"] if r["failures"]]
        contract = validation["contract"]["key"]
        parts.append(f"  contract {contract}: {', '.join(failed) if failed else 'every rule passed'}")
    errors = report.get("errors") or []
    if errors and max_errors > 0:
        rows = [[e["line"], e["column"] or "", e["rule"], e["message"]] for e in errors[:max_errors]]
        parts.append(_indent(table(["line", "column", "rule", "error"], rows, width=72)))
    shown = min(len(errors), max(max_errors, 0))
    if report.get("error_count", 0) > shown:
        parts.append(f"  … and {report['error_count'] - shown} more errors")
    return "\n".join(parts)


def _lines(lines: dict[str, Any]) -> str:
    """`10 = 1 header + 3 data + 6 skipped (2 blank, 2 footer, 2 preamble)`."""
    text = f"{lines['total']} = {lines['header']} header + {lines['data']} data"
    if lines["skipped"]:
        reasons = ", ".join(f"{n} {reason}" for reason, n in lines["skipped_by_reason"].items())
        text += f" + {lines['skipped']} skipped ({reasons})"
    return text


def _type(column: dict[str, Any]) -> str:
    """`string (number?)` for a text column a few values keep from a type: a warning names them.
    Reports written before type evidence existed have none."""
    evidence = column.get("type_evidence")
    return f"{column['type']} ({evidence['type']}?)" if evidence else column["type"]


def _source(report: dict[str, Any], origin: str | None) -> str:
    src = report["source"]
    text = origin or s3_url(src["bucket"], src["key"])
    if src.get("size") is not None:
        text += f", {src['size']:,} bytes"
    if src.get("version_id"):
        text += f", version {src['version_id']}"
    if report.get("started_at"):
        text += f", read at {report['started_at']}"
    if report.get("duration_ms") is not None:
        text += f" in {report['duration_ms']:,} ms"
    return text


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
