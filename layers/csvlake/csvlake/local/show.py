"""Readable terminal summaries of reports."""

from __future__ import annotations

from typing import Any

MAX_WIDTH = 24


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


def one_line(report: dict[str, Any]) -> str:
    rows = report["rows"]
    line = f"{report['status']:<9} {report['source']['key']}  read {rows['read']}, written {rows['written']}, rejected {rows['rejected']}"
    return line + (f"  ({report['reason']})" if report["reason"] else "")


def summary(report: dict[str, Any], max_errors: int = 5) -> str:
    parts = [one_line(report)]
    if report["dialect"]:
        d = report["dialect"]
        delimiter = {"\t": "tab"}.get(d["delimiter"], d["delimiter"])
        parts.append(
            f"  dialect: {d['encoding']}, delimiter {delimiter!r}, decimal {d['decimal']!r}, "
            f"header {'yes' if d['header'] else 'no'}, {d['line_ending']}"
        )
    outputs = report["outputs"]
    for label in ("processed", "rejected_rows", "quarantine", "report"):
        if outputs.get(label):
            parts.append(f"  {label.replace('_', ' ')}: s3://{outputs['bucket']}/{outputs[label]}")
    if report["columns"]:
        rows = [
            [c["name"], c["source_name"], c["type"], c["nulls"], c["distinct"], c["min"], c["max"]]
            for c in report["columns"]
        ]
        parts.append(_indent(table(["column", "source", "type", "nulls", "distinct", "min", "max"], rows)))
    for warning in report["warnings"]:
        parts.append(f"  warning: {warning}")
    if report["errors"]:
        rows = [[e["line"], e["column"] or "", e["message"]] for e in report["errors"][:max_errors]]
        parts.append(_indent(table(["line", "column", "error"], rows, width=72)))
        if report["error_count"] > max_errors:
            parts.append(f"  … and {report['error_count'] - max_errors} more errors")
    return "\n".join(parts)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
