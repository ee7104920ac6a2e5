"""The HTML report: rendered from real reports, parsed back, and shown by headless Chromium.

Chromium is Debian's `chromium` package, installed by tests/browser/install-chromium.sh; without it the
browser tests fail (they never skip). Pages and screenshots are kept in test-artifacts/.
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from csvlake.html import render
from support import ROOT

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# No network: without these Chromium calls Google services at start, and the closed network refuses.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-breakpad",
    "--hide-scrollbars",
    "--mute-audio",
]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Every element the page may contain: anything else came from the file.
PAGE_TAGS = {
    *("html", "head", "meta", "title", "style", "body", "main", "section", "footer", "h1", "h2", "h3", "p"),
    *("span", "strong", "b", "code", "bdi", "div", "dl", "dt", "dd", "ul", "li", "figure", "figcaption"),
    *("table", "caption", "thead", "tbody", "tr", "th", "td", "svg", "g", "text", "rect"),
}
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.tag, self.attrs, self.children = tag, attrs, []

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def all(self, tag: str, cls: str | None = None) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag and (cls is None or cls in (child.attrs.get("class") or "").split()):
                    found.append(child)
                found.extend(child.all(tag, cls))
        return found

    def one(self, tag: str, cls: str | None = None) -> Node:
        (found,) = self.all(tag, cls)
        return found


class Page(HTMLParser):
    """A small DOM from the stdlib parser: enough to find elements and read their text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.tags: list[Node] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        self.tags.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def section(self, title: str) -> Node:
        """The table that follows the <h2> with this title."""
        body = self.root.one("main").children
        heading = next(i for i, c in enumerate(body) if isinstance(c, Node) and c.tag == "h2" and c.text == title)
        return next(c for c in body[heading + 1 :] if isinstance(c, Node))


def shown(value) -> str:
    """How the page writes a value from the report."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def check_page(page: Page, report: dict) -> None:
    """What the page must show for this report, whoever parsed it."""
    assert {n.tag for n in page.tags} <= PAGE_TAGS, {n.tag for n in page.tags} - PAGE_TAGS
    main = page.root.one("main")
    assert main.one("h1").text == report["source"]["key"]
    assert page.root.one("span", "badge").text == report["status"]
    cards = {card.one("span").text: card.one("b").text for card in main.all("div", "card")}
    assert cards == {f"rows {k}": f"{n:,}" for k, n in report["rows"].items()}
    if report["reason"]:
        assert report["reason"] in main.one("p", "reason").text
    for warning in report["warnings"]:
        assert warning in [li.text for li in main.all("li")]

    charts = main.all("svg")
    if report["columns"]:
        rows = page.section("Columns").one("tbody").all("tr")
        assert [r.one("th").text for r in rows] == [c["name"] for c in report["columns"]]
        assert len(charts) == sum(1 for c in report["columns"] if c["top"])
    else:
        assert charts == []
    for column, chart in zip([c for c in report["columns"] if c["top"]], charts):
        bars = chart.all("g")
        assert [g.one("title").text for g in bars] == [f"{shown(t['value'])}: {t['count']:,}" for t in column["top"]]
        assert len(chart.all("rect")) == len(column["top"])

    if report["error_count"]:
        errors = page.section("Errors")
        assert errors.one("caption").text.startswith(f"{report['error_count']:,} row error")
        cells = [[td.text for td in tr.all("td")] for tr in errors.one("tbody").all("tr")]
        assert cells == [
            [str(x["line"]), shown(x["column"] or "—"), x["rule"], x["severity"], x["message"]]
            for x in report["errors"]
        ]
    for name in ("processed", "rejected_rows", "quarantine", "report"):
        if report["outputs"][name]:
            assert f"s3://{report['outputs']['bucket']}/{report['outputs'][name]}" in main.text


# --- the page, parsed by the standard library ----------------------------------------------------------------


def test_processed_file_shows_dialect_columns_and_charts(lake):
    report = lake.ingest("ptbr_cp1252.csv")
    page = Page(render(report))

    check_page(page, report)
    table = page.section("Columns")
    by_name = {tr.one("th").text: [td.text for td in tr.all("td")] for tr in table.one("tbody").all("tr")}
    assert by_name["preco_unitario"][:6] == ["Preço Unitário", "number", "3", "0", "3", "-7.5"]
    assert by_name["preco_unitario"][6] == "1234.56"
    assert by_name["cep"][:5] == ["CEP", "string", "2", "1", "2"]
    assert "semicolon (;)" in page.root.text and "cp1252" in page.root.text and "CRLF" in page.root.text
    assert "No row errors." in page.root.text


def test_a_text_column_that_a_few_values_keep_from_a_type_shows_them_under_its_type(lake):
    values = [f"{i};{i},5" for i in range(1_500)]
    values[55], values[1_200] = "55;n/d", f"1200;{SCRIPT}"
    report = lake.ingest("valores.csv", ("id;valor\n" + "\n".join(values) + "\n").encode())
    page = Page(render(report))

    check_page(page, report)  # the warning is listed too
    ids, valor = page.section("Columns").one("tbody").all("tr")
    assert ids.all("span", "evidence") == []
    kind = valor.all("td")[1]
    assert kind.text == f"stringnumber for 1,498 of 1,500 values; not: n/d (line 57), {SCRIPT} (line 1202)"
    assert [b.text for b in kind.one("span", "evidence").all("bdi")] == ["n/d", SCRIPT]
    assert "<script" not in render(report)


def test_partial_file_lists_its_errors_with_line_numbers(lake):
    report = lake.ingest("bad_rows.csv")
    assert report["status"] == "partial" and report["error_count"] == 2
    page = Page(render(report))

    check_page(page, report)
    assert [x["line"] for x in report["errors"]] == [4, 7]
    assert "Only the first" not in page.root.text


def test_rejected_file_shows_the_reason_and_the_quarantine(lake):
    report = lake.ingest("xlsx_renamed.csv")
    assert report["status"] == "rejected"
    page = Page(render(report))

    check_page(page, report)
    assert "ZIP archive" in page.root.one("p", "reason").text
    assert page.root.all("svg") == [] and "No columns" in page.root.text


def test_only_the_first_100_errors_are_listed_and_the_page_says_so(lake):
    data = b"id,name\n" + b"".join(b"%d,ok\n%d,too,many\n" % (i, i) for i in range(150))
    report = lake.ingest("many_errors.csv", data)
    assert report["error_count"] == 150 and len(report["errors"]) == 100
    page = Page(render(report))

    check_page(page, report)
    assert page.section("Errors").one("caption").text == "150 row errors. Only the first 100 are listed."


def test_estimated_distinct_counts_are_marked(lake):
    # 60,000 values of n: more than a 2-column file's top counts exactly (top_limit: 50,000)
    data = b"n,flag\n" + b"".join(b"%d,%s\n" % (i, b"yes" if i % 3 else b"no") for i in range(60_000))
    report = lake.ingest("many_values.csv", data)
    assert not report["columns"][0]["distinct_exact"] and report["columns"][1]["distinct_exact"]
    page = Page(render(report))

    check_page(page, report)
    rows = page.section("Columns").one("tbody").all("tr")
    assert rows[0].all("td")[4].text.startswith("≈") and rows[1].all("td")[4].text == "2"
    # The 60,000 values of n were cut to 1,000, each seen once: a count may be 1 short.
    assert report["columns"][0]["top_undercount"] == 1 and report["columns"][1]["top_undercount"] == 0
    captions = [[c.text for c in f.all("figcaption")] for f in page.section("Most frequent values").all("figure")]
    assert captions == [["Counts are approximate (merged per chunk): each may be up to 1 below the true count."], []]


def test_the_page_is_self_contained_and_deterministic(lake):
    for name in ("ptbr_cp1252.csv", "bad_rows.csv", "xlsx_renamed.csv"):
        report = lake.ingest(name)
        text = render(report)
        assert "http://" not in text and "https://" not in text and "//" not in text.replace("s3://", "")
        assert not re.search(r"url\(|@import|<link|<script|<img|<iframe|<object", text, re.I)
        assert all(not {"src", "href", "xlink:href", "action"} & n.attrs.keys() for n in Page(text).tags)
        assert render(report) == text
        csp = [n.attrs["content"] for n in Page(text).tags if n.attrs.get("http-equiv") == "Content-Security-Policy"]
        assert csp == ["default-src 'none'; style-src 'unsafe-inline'"]
        assert render({**report, "columns": list(report["columns"])}) == text


HOSTILE = (
    f'{SCRIPT},"{IMG.replace(chr(34), chr(34) * 2)}",مرحبا بالعالم,emoji 🚀\n'
    f'{SCRIPT},"{IMG.replace(chr(34), chr(34) * 2)}","line one\nline two </title></svg>",שלום 👩‍👩‍👧\n'
    f"ok,'single' & <b>,\u202eevil\u202c,🎉\n"
).encode()


def hostile_report(lake) -> dict:
    return lake.ingest("hostile.csv", HOSTILE, key=f"raw/{IMG} {SCRIPT.replace('/', '')}.csv")


def test_text_from_the_file_is_escaped_everywhere(lake):
    report = hostile_report(lake)
    text = render(report)
    page = Page(text)

    assert not re.search(r"<script|<img|& <b>|two </title>", text, re.I)
    check_page(page, report)
    sources = [td.all("td")[0].text for td in page.section("Columns").one("tbody").all("tr")]
    assert sources == [SCRIPT, IMG, "مرحبا بالعالم", "emoji 🚀"]
    titles = [g.one("title").text for svg in page.root.all("svg") for g in svg.all("g")]
    assert f"{SCRIPT}: 1" in titles and f"{IMG}: 1" in titles and "line one\nline two </title></svg>: 1" in titles
    assert "line one↵line two" in page.root.text  # line breaks are visible in the table and the chart labels
    assert "[U+202E]evil[U+202C]" in page.root.text  # shown as stored, not reversed by the override
    assert "'single' & <b>" in page.root.text and "שלום 👩‍👩‍👧" in page.root.text


def test_line_breaks_and_bidi_overrides_in_keys_and_values_are_shown_not_obeyed(lake):
    report = lake.ingest("controls.csv", b'code\n"a\r\nb"\n\xe2\x80\xaeevil\n', key="raw/x\ny\u202etxt.csv")
    page = Page(render(report))

    assert page.root.one("h1").text == "raw/x↵y[U+202E]txt.csv"
    assert "s3://lake/reports/x↵y[U+202E]txt.json" in page.root.text
    cells = [td.text for td in page.section("Columns").one("tbody").all("td")]
    assert "a↵b" in cells and "[U+202E]evil" in cells


# --- the page as Chromium shows it ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> str:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run tests/browser/install-chromium.sh as root "
            "(Debian's chromium package), or set CHROMIUM to a Chromium binary",
            pytrace=False,
        )
    return CHROMIUM


def browse(chromium: str, tmp_path: Path, *args: str) -> str:
    profile = tmp_path / "chromium-profile"
    command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    result = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert result.returncode == 0, f"{command} exited {result.returncode}:\n{result.stderr.decode()[-3000:]}"
    return result.stdout.decode("utf-8")


def screenshot(chromium: str, tmp_path: Path, page: Path) -> None:
    """A PNG of the page next to it, as Chromium paints it in a 1280×2000 window."""
    shot = page.with_suffix(".png")
    shot.unlink(missing_ok=True)
    browse(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri())
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (1280, 2000)
    assert len(png) > 10_000, f"{shot} is {len(png)} bytes: a blank page?"


def save(name: str, report: dict) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    page = ARTIFACTS / f"report-{name}.html"
    page.write_text(render(report), encoding="utf-8")
    return page


@pytest.mark.parametrize("name", ["ptbr_cp1252.csv", "bad_rows.csv", "xlsx_renamed.csv"])
def test_chromium_shows_the_report_and_a_screenshot_is_kept(lake, chromium, tmp_path, name):
    report = lake.ingest(name)
    page = save(name.removesuffix(".csv"), report)

    # What the browser built from the page. (--dump-dom and --screenshot need JavaScript on in the browser;
    # the page's own Content-Security-Policy forbids any script in it.)
    dom = Page(browse(chromium, tmp_path, "--dump-dom", page.as_uri()))
    check_page(dom, report)
    for column in report["columns"]:
        assert column["name"] in dom.root.text
    for error in report["errors"]:
        assert str(error["line"]) in [td.text for td in dom.section("Errors").all("td")]

    screenshot(chromium, tmp_path, page)


def test_chromium_builds_no_element_from_hostile_text(lake, chromium, tmp_path):
    report = hostile_report(lake)
    page = save("hostile", report)

    dom = Page(browse(chromium, tmp_path, "--dump-dom", page.as_uri()))
    check_page(dom, report)
    assert not dom.root.all("script") and not dom.root.all("img")
    assert SCRIPT in dom.root.text and IMG in dom.root.text
    screenshot(chromium, tmp_path, page)


def test_a_file_checked_by_a_contract_shows_each_rule_and_the_drift(lake):
    lake.drop("contracts/shop.yaml", b"fields:\n  - name: qty\n    type: integer\n    minimum: 1\n")
    lake.ingest("1.csv", b"qty\n1\n", key="raw/shop/1.csv")
    report = lake.ingest("2.csv", b"qty,note\n0,<b>x</b>\n2,y\n", key="raw/shop/2.csv")
    page = Page(render(report))

    check_page(page, report)
    rules = [[td.text for td in tr.all("td")] for tr in page.section("Contract").one("tbody").all("tr")]
    assert rules == [["qty", "type", "error", "3", "0"], ["qty", "minimum", "error", "4", "1"]]
    drift = page.section("Schema drift").text
    assert "raw/shop/1.csv" in drift and "Added" in drift and "note" in drift
