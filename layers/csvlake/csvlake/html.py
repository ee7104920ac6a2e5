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
NONE = '<span class="none">—</span>'  # a value the report does not have

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
.evidence { display: block; color: #8a5a00; font-size: 13px; }
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


def _escape(value: Any) -> str:
    """`value` as text in HTML, inside an element or a quoted attribute."""
    return html.escape(str(value), quote=True)


def _visible(text: str) -> str:
    """Control characters and bidi overrides as visible marks (VISIBLE); a CRLF is one line break."""
    return text.replace("\r\n", "\n").translate(VISIBLE)


def _escape_visible(value: Any) -> str:
    """Text from the file (a key, a reason, a message), escaped, with its control characters made visible."""
    return _escape(_visible(str(value)))


def _text(value: Any) -> str:
    """A JSON value as text: true/false for booleans, Python's shortest round-trip form for floats."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _cut_visible(text: str, limit: int) -> tuple[str, bool]:
    """`text` made visible and cut to `limit` characters; True if anything changed."""
    shown = _visible(text)
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return shown, shown != text


def _value(value: Any, limit: int = CELL_CHARS) -> str:
    """A value from the file, escaped, isolated from the text around it (RTL), full text as a tooltip if cut."""
    if value is None:
        return NONE
    if value == "":
        return '<span class="none">(blank)</span>'
    text = _text(value)
    shown, changed = _cut_visible(text, limit)
    title = f' title="{_escape(text)}"' if changed else ""
    return f"<bdi{title}>{_escape(shown)}</bdi>"


def _count(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _number(x: float | None) -> str:
    return NONE if x is None else _escape(f"{x:.6g}")


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


def _code(value: Any) -> str:
    return f"<code>{_escape_visible(value)}</code>"


def _key(bucket: str, key: str | None) -> str:
    return NONE if key is None else _code(f"s3://{bucket}/{key}")


def _file(source: dict) -> str:
    items = [
        ("Bucket", _code(source["bucket"])),
        ("Key", _code(source["key"])),
        ("Size", _escape(_size(source["size"]))),
        ("ETag", _value(source["etag"])),
    ]
    if source["version_id"] is not None:
        items.append(("Version", _value(source["version_id"])))
    return _dl(items)


def _dialect(dialect: dict | None) -> str:
    if dialect is None:
        return "<p class='none'>Not detected: the file was rejected before it was read.</p>"
    thousands = dialect["thousands"]
    return _dl(
        [
            ("Encoding", _escape(dialect["encoding"])),
            ("Delimiter", _escape(DELIMITERS.get(dialect["delimiter"], dialect["delimiter"]))),
            ("Decimal mark", f"<code>{_escape(dialect['decimal'])}</code>"),
            ("Thousands separator", "none" if thousands is None else f"<code>{_escape(thousands)}</code>"),
            ("Quote", f"<code>{_escape(dialect['quotechar'])}</code>"),
            ("Escape", "a backslash" if dialect["escapechar"] else "quotes doubled"),
            ("Header row", "yes" if dialect["header"] else "no (columns named column_1, column_2, …)"),
            ("Line ending", _escape(dialect["line_ending"])),
        ]
    )


def _cards(rows: dict) -> str:
    return "".join(
        f'<div class="card{" bad" if k == "rejected" and rows[k] else ""}"><b>{rows[k]:,}</b><span>rows {k}</span></div>'
        for k in ("read", "written", "rejected")
    )


def _warnings(warnings: list[str]) -> str:
    if not warnings:
        return "<p class='none'>No warnings.</p>"
    return f'<ul class="warnings">{"".join(f"<li>{_escape_visible(w)}</li>" for w in warnings)}</ul>'


def _outputs(outputs: dict) -> str:
    bucket = outputs["bucket"]
    return _dl(
        [
            ("Processed copy", _key(bucket, outputs["processed"])),
            ("Rejected rows", _key(bucket, outputs["rejected_rows"])),
            ("Quarantine", _key(bucket, outputs["quarantine"])),
            ("Report", _key(bucket, outputs["report"])),
        ]
    )


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
        label, _ = _cut_visible(text, LABEL_CHARS)
        share = item["count"] / column["count"] if column["count"] else 0
        length = max(1.0, BAR_WIDTH * item["count"] / most)
        y = i * ROW_HEIGHT
        bars.append(
            f"<g><title>{_escape(text)}: {item['count']:,}</title>"
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end">{_escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{length:.1f}" height="{ROW_HEIGHT - 8}" rx="2"></rect>'
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 16}">{item["count"]:,} ({share:.0%})</text></g>'
        )
    name = _escape(column["name"])
    return (
        f'<svg role="img" aria-label="Most frequent values of {name}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>Most frequent values of {name}</title>{"".join(bars)}</svg>'
    )


def _heads(heads: tuple[str, ...], numeric: tuple[str, ...] = ()) -> str:
    return "".join(f'<th scope="col"{" class=n" if h in numeric else ""}>{h}</th>' for h in heads)


def _table(caption: str, heads: str, rows: str, css_class: str = "") -> str:
    table = f'<table class="{css_class}">' if css_class else "<table>"
    return f"{table}<caption>{caption}</caption><thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table>"


def _columns(columns: list[dict]) -> str:
    if not columns:
        return "<h2>Columns</h2><p class='none'>No columns: the file was not read.</p>"
    heads = _heads(
        ("Name", "Source name", "Type", "Count", "Nulls", "Distinct", "Min", "Max", "Mean", "Std"),
        ("Count", "Nulls", "Distinct", "Mean", "Std"),
    )
    rows, charts = [], []
    for c in columns:
        distinct = ("" if c["distinct_exact"] else "≈") + _count(c["distinct"])
        rows.append(
            f'<tr><th scope="row"><code>{_escape(c["name"])}</code></th><td>{_value(c["source_name"])}</td>'
            f'<td>{_escape(c["type"])}{_evidence(c.get("type_evidence"))}</td><td class="n">{_count(c["count"])}</td>'
            f'<td class="n">{_count(c["nulls"])}</td><td class="n">{_escape(distinct)}</td>'
            f"<td>{_value(c['min'])}</td><td>{_value(c['max'])}</td>"
            f'<td class="n">{_number(c["mean"])}</td><td class="n">{_number(c["std"])}</td></tr>'
        )
        note = ""
        if not c["top_exact"]:
            bound = c.get("top_undercount")  # absent from reports written before it existed
            within = f": each may be up to {_count(bound)} below the true count" if bound else ""
            note = f"<figcaption>Counts are approximate (merged per chunk){within}.</figcaption>"
        charts.append(f"<figure><h3><code>{_escape(c['name'])}</code></h3>{_chart(c)}{note}</figure>")
    caption = "Statistics of every column in the processed copy. ≈ marks an estimated distinct count."
    return (
        f"<h2>Columns</h2>{_table(caption, heads, ''.join(rows))}"
        f'<h2>Most frequent values</h2><div class="charts">{"".join(charts)}</div>'
    )


def _evidence(evidence: dict | None) -> str:
    """Under a text column's type, the type a few values keep from it, as its warning says; none in
    reports written before type evidence existed."""
    if not evidence:
        return ""
    odd = ", ".join(f"{_value(v['value'])} (line {v['line']})" for v in evidence["not"])
    counts = f"{_count(evidence['fit'])} of {_count(evidence['of'])}"
    return f'<span class="evidence">{_escape(evidence["type"])} for {counts} values; not: {odd}</span>'


def _errors(errors: list[dict], total: int) -> str:
    if not total:
        return "<h2>Errors</h2><p class='none'>No row errors.</p>"
    note = f" Only the first {len(errors):,} are listed." if total > len(errors) else ""
    rows = "".join(
        f'<tr><td class="n">{_escape(err["line"])}</td><td>{_value(err["column"])}</td>'
        f"<td>{_escape(err['rule'])}</td><td>{_escape(err['severity'])}</td>"
        f"<td>{_escape_visible(err['message'])}</td></tr>"
        for err in errors
    )
    caption = f"{total:,} row error{'s' if total != 1 else ''}.{note}"
    heads = '<th scope="col" class="n">Line</th>' + _heads(("Column", "Rule", "Severity", "Message"))
    return f"<h2>Errors</h2>{_table(caption, heads, rows, 'errors')}"


def _lines(lines: dict | None, skipped: list[dict]) -> str:
    """Every line of the file: the header's, the data's, and each left out with why."""
    if lines is None:
        return ""
    reasons = ", ".join(f"{n:,} {_escape(reason)}" for reason, n in lines["skipped_by_reason"].items())
    facts = _dl(
        [
            ("Lines", f"{lines['total']:,}"),
            ("Header", f"{lines['header']:,}"),
            ("Data", f"{lines['data']:,}"),
            ("Skipped", f"{lines['skipped']:,}" + (f" ({reasons})" if reasons else "")),
        ]
    )
    if not skipped:
        return f"<h2>Lines</h2>{facts}"
    rows = "".join(
        f'<tr><td class="n">{s["line"]:,}</td><td>{_escape(s["reason"])}</td><td>{_value(s["text"])}</td></tr>'
        for s in skipped
    )
    note = " Only the first ones are listed." if lines["skipped"] > len(skipped) else ""
    caption = f"Lines left out of the data, with why.{note}"
    heads = '<th scope="col" class="n">Line</th>' + _heads(("Reason", "Text"))
    return f"<h2>Lines</h2>{facts}{_table(caption, heads, rows)}"


def _contract(validation: dict | None) -> str:
    """The contract's rules with their failure counts."""
    if validation is None:
        return ""
    contract = validation["contract"]
    rows = "".join(
        f"<tr><td>{_value(r['column'])}</td><td>{_escape(r['rule'])}</td><td>{_escape(r['severity'])}</td>"
        f'<td class="n">{_escape(r["contract_line"])}</td><td class="n">{r["failures"]:,}</td></tr>'
        for r in validation["rules"]
    )
    heads = _heads(("Column", "Rule", "Severity", "Line", "Failures"), ("Line", "Failures"))
    caption = f"Rules of {_code(contract['key'])} (ETag {_escape(contract['etag'])}); a blank column is a file rule."
    return f"<h2>Contract</h2>{_table(caption, heads, rows)}"


def _drift(drift: dict | None) -> str:
    """The schema drift since the dataset's last file."""
    if drift is None:
        return ""
    if drift["previous"] is None:
        return "<h2>Schema drift</h2><p class='none'>The first file of its dataset: nothing to compare with.</p>"
    changes = [f"{_code(c['column'])} {_escape(c['from'])} → {_escape(c['to'])}" for c in drift["type_changes"]]
    facts = [
        ("Compared with", _code(drift["previous"]["key"])),
        ("Added", ", ".join(map(_code, drift["added"])) or "none"),
        ("Missing", ", ".join(map(_code, drift["missing"])) or "none"),
        ("Type changes", ", ".join(changes) or "none"),
        ("Order changed", "yes" if drift["order_changed"] else "no"),
    ]
    return f"<h2>Schema drift</h2>{_dl(facts)}"


def render(report: dict) -> str:
    """The report as one HTML page; the same report always gives the same text."""
    source, status = report["source"], report["status"]
    key, bucket = _escape_visible(source["key"]), _escape_visible(source["bucket"])
    reason = report["reason"]
    reason_html = f'<p class="reason"><strong>Reason:</strong> {_escape_visible(reason)}</p>' if reason else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>csvlake report: {key}</title>
<style>{CSS}</style>
</head>
<body><main>
<h1>{key}</h1>
<p class="sub">csvlake report · s3://{bucket}/{key}</p>
<p class="status"><span class="badge {_escape(status)}">{_escape(status)}</span> <span>{STATUS_TEXT.get(status, "")}</span></p>
{reason_html}
<h2>Rows</h2><div class="cards">{_cards(report["rows"])}</div>
<div class="facts"><section><h2>File</h2>{_file(source)}</section>
<section><h2>Dialect</h2>{_dialect(report["dialect"])}</section></div>
<h2>Warnings</h2>{_warnings(report["warnings"])}
{_lines(report["lines"], report["skipped_lines"])}
{_errors(report["errors"], report["error_count"])}
{_contract(report["validation"])}{_drift(report["drift"])}
{_columns(report["columns"])}
<h2>Outputs</h2>{_outputs(report["outputs"])}
<footer>Started {_escape(report["started_at"])} · took {_escape(_duration(report["duration_ms"]))}</footer>
</main></body>
</html>
"""
