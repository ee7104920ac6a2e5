"""The report as one self-contained HTML page: inline CSS and SVG, no script, no network, same bytes every time.

Everything that comes from the file (header names, values, keys, reasons) is escaped; a Content-Security-Policy
that allows nothing but the inline style is a second line of defence.
"""

from __future__ import annotations

import html
from typing import Any

STATUS_TEXT = {
    "processed": "every row was written",
    "partial": "some rows were rejected",
    "rejected": "the whole file was rejected",
}
DELIMITERS = {",": "comma (,)", ";": "semicolon (;)", "\t": "tab", "|": "pipe (|)"}
# Line breaks and tabs shown as arrows, other control characters as their Unicode control pictures, and
# bidi overrides as code points: they would otherwise reorder what the page shows ("\u202eevil" reads "live").
VISIBLE = {i: 0x2400 + i for i in range(32)} | {10: "↵", 13: "↵", 9: "⇥", 127: "␡"}
VISIBLE |= {cp: f"[U+{cp:04X}]" for cp in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
CELL_CHARS = 40  # values in the statistics table
LABEL_CHARS = 20  # value labels in the charts
BAR_WIDTH, LABEL_WIDTH, ROW_HEIGHT = 130, 150, 24

CSS = """
:root { color: #1f2328; background: #fff; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
body { margin: 0; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 15px; margin: 0 0 6px; overflow-wrap: anywhere; }
code { font: 14px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.sub { color: #57606a; margin: 0; }
.badge { display: inline-block; padding: 3px 12px; border-radius: 999px; color: #fff; font-weight: 600; }
.processed { background: #1a7f37; } .partial { background: #8a5a00; } .rejected { background: #b42318; }
.status { display: flex; gap: 12px; align-items: center; margin: 16px 0 0; }
.reason { margin: 12px 0 0; padding: 10px 14px; border-left: 4px solid #b42318; background: #fdf0ef; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 12px; }
.card { border: 1px solid #d0d7de; border-radius: 8px; padding: 10px 14px; background: #f6f8fa; }
.card b { display: block; font-size: 24px; font-variant-numeric: tabular-nums; }
.card span { color: #57606a; } .card.bad b { color: #b42318; }
table.errors th:first-child { width: 5em; } table.errors th:nth-child(2) { width: 12em; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; }
dt { color: #57606a; } dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
caption { text-align: left; color: #57606a; padding-bottom: 6px; }
th, td { padding: 5px 10px; border-bottom: 1px solid #d0d7de; text-align: left; vertical-align: top; }
thead th { background: #f6f8fa; border-bottom: 2px solid #d0d7de; white-space: nowrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.none { color: #57606a; }
ul.warnings { margin: 0; padding-left: 20px; } ul.warnings li { overflow-wrap: anywhere; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 14px; align-items: start; }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 0 40px; }
figure { margin: 0; border: 1px solid #d0d7de; border-radius: 8px; padding: 10px 14px; }
figcaption { color: #57606a; font-size: 13px; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font: 12px system-ui, sans-serif; fill: #1f2328; }
svg rect { fill: #0969da; }
footer { margin-top: 36px; color: #57606a; font-size: 13px; }
"""


def e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def t(value: Any) -> str:
    """Text from the file (a key, a reason, a message), escaped, with its control characters made visible."""
    return e(str(value).replace("\r\n", "\n").translate(VISIBLE))


def _text(value: Any) -> str:
    """A JSON value as text: true/false for booleans, Python's shortest round-trip form for floats."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _visible(text: str, limit: int) -> tuple[str, bool]:
    """Line breaks and tabs made visible, cut to `limit` characters; True if anything changed."""
    shown = text.replace("\r\n", "\n").translate(VISIBLE)
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return shown, shown != text


def _value(value: Any, limit: int = CELL_CHARS) -> str:
    """A value from the file, escaped, isolated from the text around it (RTL), full text as a tooltip if cut."""
    if value is None:
        return '<span class="none">—</span>'
    if value == "":
        return '<span class="none">(blank)</span>'
    text = _text(value)
    shown, changed = _visible(text, limit)
    title = f' title="{e(text)}"' if changed else ""
    return f"<bdi{title}>{e(shown)}</bdi>"


def _count(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _number(x: float | None) -> str:
    return '<span class="none">—</span>' if x is None else e(f"{x:.6g}")


def _size(size: int | None) -> str:
    if size is None:
        return "unknown"
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit} ({size:,} bytes)"
    return f"{size:,} bytes"


def _duration(ms: int) -> str:
    return f"{ms:,} ms" if ms < 10_000 else f"{ms / 1000:.1f} s"


def _dl(items: list[tuple[str, str]]) -> str:
    return "<dl>" + "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in items) + "</dl>"


def _key(bucket: str, key: str | None) -> str:
    return '<span class="none">—</span>' if key is None else f"<code>s3://{t(bucket)}/{t(key)}</code>"


def _chart(column: dict) -> str:
    """Horizontal bars of the column's most frequent values; each bar's tooltip holds the full value."""
    top = column["top"]
    if not top:
        return '<p class="none">No values.</p>'
    most = max(item["count"] for item in top)
    height = ROW_HEIGHT * len(top)
    width = LABEL_WIDTH + BAR_WIDTH + 70
    bars = []
    for i, item in enumerate(top):
        text = _text(item["value"])
        label, _ = _visible(text, LABEL_CHARS)
        share = item["count"] / column["count"] if column["count"] else 0
        length = max(1.0, BAR_WIDTH * item["count"] / most)
        y = i * ROW_HEIGHT
        bars.append(
            f"<g><title>{e(text)}: {item['count']:,}</title>"
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end">{e(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{length:.1f}" height="{ROW_HEIGHT - 8}" rx="2"></rect>'
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 16}">{item["count"]:,} ({share:.0%})</text></g>'
        )
    name = e(column["name"])
    return (
        f'<svg role="img" aria-label="Most frequent values of {name}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>Most frequent values of {name}</title>{"".join(bars)}</svg>'
    )


def _columns(columns: list[dict]) -> str:
    if not columns:
        return "<h2>Columns</h2><p class='none'>No columns: the file was not read.</p>"
    heads = ["Name", "Source name", "Type", "Count", "Nulls", "Distinct", "Min", "Max", "Mean", "Std"]
    numeric = {"Count", "Nulls", "Distinct", "Mean", "Std"}
    head = "".join(f'<th scope="col"{" class=n" if h in numeric else ""}>{h}</th>' for h in heads)
    rows, charts = [], []
    for c in columns:
        distinct = ("" if c["distinct_exact"] else "≈") + _count(c["distinct"])
        rows.append(
            f'<tr><th scope="row"><code>{e(c["name"])}</code></th><td>{_value(c["source_name"])}</td>'
            f'<td>{e(c["type"])}</td><td class="n">{_count(c["count"])}</td><td class="n">{_count(c["nulls"])}</td>'
            f'<td class="n">{e(distinct)}</td><td>{_value(c["min"])}</td><td>{_value(c["max"])}</td>'
            f'<td class="n">{_number(c["mean"])}</td><td class="n">{_number(c["std"])}</td></tr>'
        )
        note = ""
        if not c["top_exact"]:
            bound = c.get("top_undercount")  # absent from reports written before it existed
            within = f": each may be up to {_count(bound)} below the true count" if bound else ""
            note = f"<figcaption>Counts are approximate (merged per chunk){within}.</figcaption>"
        charts.append(f"<figure><h3><code>{e(c['name'])}</code></h3>{_chart(c)}{note}</figure>")
    return (
        "<h2>Columns</h2><table><caption>Statistics of every column in the processed copy. "
        "≈ marks an estimated distinct count.</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'<h2>Most frequent values</h2><div class="charts">{"".join(charts)}</div>'
    )


def _errors(report: dict) -> str:
    errors, total = report["errors"], report["error_count"]
    if not total:
        return "<h2>Errors</h2><p class='none'>No row errors.</p>"
    note = f" Only the first {len(errors):,} are listed." if total > len(errors) else ""
    rows = "".join(
        f'<tr><td class="n">{e(err["line"])}</td><td>{_value(err["column"])}</td><td>{e(err["rule"])}</td>'
        f"<td>{e(err['severity'])}</td><td>{t(err['message'])}</td></tr>"
        for err in errors
    )
    heads = "".join(f'<th scope="col">{h}</th>' for h in ("Column", "Rule", "Severity", "Message"))
    return (
        f'<h2>Errors</h2><table class="errors"><caption>{total:,} row error{"s" if total != 1 else ""}.{note}</caption>'
        f'<thead><tr><th scope="col" class="n">Line</th>{heads}</tr></thead><tbody>{rows}</tbody></table>'
    )


def _contract(report: dict) -> str:
    """The contract's rules with their failure counts, and the schema drift since the last file."""
    parts = []
    validation, drift = report["validation"], report["drift"]
    if validation is not None:
        contract = validation["contract"]
        rows = "".join(
            f"<tr><td>{_value(r['column'])}</td><td>{e(r['rule'])}</td><td>{e(r['severity'])}</td>"
            f'<td class="n">{e(r["contract_line"])}</td><td class="n">{r["failures"]:,}</td></tr>'
            for r in validation["rules"]
        )
        heads = "".join(
            f'<th scope="col"{" class=n" if h in ("Line", "Failures") else ""}>{h}</th>'
            for h in ("Column", "Rule", "Severity", "Line", "Failures")
        )
        parts.append(
            f"<h2>Contract</h2><table><caption>Rules of <code>{t(contract['key'])}</code> (ETag "
            f"{e(contract['etag'])}); a blank column is a file rule.</caption>"
            f"<thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table>"
        )
    if drift is not None:
        if drift["previous"] is None:
            text = "<p class='none'>The first file of its dataset: nothing to compare with.</p>"
        else:
            changes = [
                ("Compared with", f"<code>{t(drift['previous']['key'])}</code>"),
                ("Added", ", ".join(f"<code>{t(c)}</code>" for c in drift["added"]) or "none"),
                ("Missing", ", ".join(f"<code>{t(c)}</code>" for c in drift["missing"]) or "none"),
                (
                    "Type changes",
                    ", ".join(
                        f"<code>{t(c['column'])}</code> {e(c['from'])} → {e(c['to'])}" for c in drift["type_changes"]
                    )
                    or "none",
                ),
                ("Order changed", "yes" if drift["order_changed"] else "no"),
            ]
            text = _dl(changes)
        parts.append(f"<h2>Schema drift</h2>{text}")
    return "".join(parts)


def render(report: dict) -> str:
    """The report as one HTML page; the same report always gives the same text."""
    src, status, rows, out, dialect = (report[k] for k in ("source", "status", "rows", "outputs", "dialect"))
    reason = f'<p class="reason"><strong>Reason:</strong> {t(report["reason"])}</p>' if report["reason"] else ""
    file_items = [
        ("Bucket", f"<code>{t(src['bucket'])}</code>"),
        ("Key", f"<code>{t(src['key'])}</code>"),
        ("Size", e(_size(src["size"]))),
        ("ETag", _value(src["etag"])),
    ]
    if src["version_id"] is not None:
        file_items.append(("Version", _value(src["version_id"])))
    if dialect is None:
        dialect_html = "<p class='none'>Not detected: the file was rejected before it was read.</p>"
    else:
        dialect_html = _dl(
            [
                ("Encoding", e(dialect["encoding"])),
                ("Delimiter", e(DELIMITERS.get(dialect["delimiter"], dialect["delimiter"]))),
                ("Decimal mark", f"<code>{e(dialect['decimal'])}</code>"),
                (
                    "Thousands separator",
                    "none" if dialect["thousands"] is None else f"<code>{e(dialect['thousands'])}</code>",
                ),
                ("Quote", f"<code>{e(dialect['quotechar'])}</code>"),
                ("Header row", "yes" if dialect["header"] else "no (columns named column_1, column_2, …)"),
                ("Line ending", e(dialect["line_ending"])),
            ]
        )
    cards = "".join(
        f'<div class="card{" bad" if k == "rejected" and rows[k] else ""}"><b>{rows[k]:,}</b><span>rows {k}</span></div>'
        for k in ("read", "written", "rejected")
    )
    warnings = "".join(f"<li>{t(w)}</li>" for w in report["warnings"])
    outputs = _dl(
        [
            ("Processed copy", _key(out["bucket"], out["processed"])),
            ("Rejected rows", _key(out["bucket"], out["rejected_rows"])),
            ("Quarantine", _key(out["bucket"], out["quarantine"])),
            ("Report", _key(out["bucket"], out["report"])),
        ]
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>csvlake report: {t(src["key"])}</title>
<style>{CSS}</style>
</head>
<body><main>
<h1>{t(src["key"])}</h1>
<p class="sub">csvlake report · s3://{t(src["bucket"])}/{t(src["key"])}</p>
<p class="status"><span class="badge {e(status)}">{e(status)}</span> <span>{STATUS_TEXT.get(status, "")}</span></p>
{reason}
<h2>Rows</h2><div class="cards">{cards}</div>
<div class="facts"><section><h2>File</h2>{_dl(file_items)}</section>
<section><h2>Dialect</h2>{dialect_html}</section></div>
<h2>Warnings</h2>{f'<ul class="warnings">{warnings}</ul>' if warnings else "<p class='none'>No warnings.</p>"}
{_errors(report)}
{_contract(report)}
{_columns(report["columns"])}
<h2>Outputs</h2>{outputs}
<footer>Started {e(report["started_at"])} · took {e(_duration(report["duration_ms"]))}</footer>
</main></body>
</html>
"""
