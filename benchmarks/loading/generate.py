"""A polluted corpus for the loading benchmark: one realistic clean table, one pollution per file.

Two clean source tables are made from a seed: an English open-data export (`en`: `,`, `"`, CRLF,
UTF-8, ids, supplier names with commas, quotes and apostrophes, decimal amounts, dd/mm/yyyy dates,
ISO date-times, empty cells, a few quoted line breaks) and a pt-BR sales export (`ptbr`: `;`,
decimal commas with `.` thousands, dd/mm/yyyy, cp1252, CRLF). Each case writes one of them with one
pollution (Pollock's file-, table- and row-level kinds and those of issue 17; README.md lists them)
and keeps its clean version as the ground truth:

    <out>/<case>.csv          the polluted file, bytes as a user would drop them
    <out>/<case>.truth.json   {"case", "kind", "base", "views": [{"header": [...], "records": [[...]]}]}
    <out>/manifest.json       every case with its kind, base, group and weights (score.py reads it)

A truth has one or more views: the acceptable clean readings (a two-row header read as joined names
or as its last row; an index column kept with an empty name or dropped; a trailing delimiter's empty
column kept or dropped). score.py scores a loader against its best view. A headerless truth has the
header [] (Pollock's convention: nothing to find, full marks). Values are the texts of the clean
table, as its producer wrote them (`1.234,56` in the pt-BR table); score.py compares them after a
documented normalisation.

    python benchmarks/loading/generate.py                 # benchmarks/.data/loading, seed 17
    python benchmarks/loading/generate.py --seed 5 --rows 300 --out /tmp/corpus
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / ".data" / "loading"
SEED = 17
ROWS = 300
VERSION = 1

# Pollock's weights (github.com/HPI-Information-Systems/Pollock, pollock_weights.json): how often each
# pollution was seen in its survey of 3,712 real files; for the row-level kinds the weight of one file
# times the number of such files in Pollock's benchmark. `files`: how many files of the kind Pollock has
# (its simple score averages over files, so these counts are its simple weights).
POLLOCK = {
    # kind: (Pollock file name or family, real-file weight of the whole kind, Pollock files of the kind)
    "source": ("source.csv", 1, 1),
    "empty_file": ("file_no_payload.csv", 15, 1),
    "no_trailing_newline": ("file_no_trailing_newline.csv", 184, 1),
    "double_trailing_newline": ("file_double_trailing_newline.csv", 5, 1),
    "no_header": ("file_no_header.csv", 470, 1),
    "header_multirow_2": ("file_header_multirow_2.csv", 47, 1),
    "header_multirow_3": ("file_header_multirow_3.csv", 47, 1),
    "preamble_blank": ("file_preamble.csv", 282, 1),
    "multitable_same": ("file_multitable_same.csv", 62.67, 1),
    "multitable_more": ("file_multitable_more.csv", 62.67, 1),
    "multitable_less": ("file_multitable_less.csv", 62.67, 1),
    "header_only": ("file_header_only.csv", 3, 1),
    "one_data_row": ("file_one_data_row.csv", 4, 1),
    "eol_cr": ("file_record_delimiter_0xD.csv", 7, 1),
    "eol_lf": ("file_record_delimiter_0xA.csv", 1691, 1),
    "delim_tab": ("file_field_delimiter_0x9.csv", 4, 1),
    "delim_semicolon": ("file_field_delimiter_0x3B.csv", 834, 1),
    "delim_space": ("file_field_delimiter_0x20.csv", 4, 1),
    "delim_comma_space": ("file_field_delimiter_0x2C_0x20.csv", 101, 1),
    "quotechar_apostrophe": ("file_quotation_char_0x27.csv", 11, 1),
    "escape_backslash": ("file_escape_char_0x5C.csv", 1, 1),
    "escape_none": ("file_escape_char_0x00.csv", 7, 1),
    "row_less_sep": ("row_less_sep_rowX_colY.csv", 247.13, 672),
    "row_more_sep": ("row_more_sep_rowX_colY.csv", 278.02, 756),
    "row_extra_quote": ("row_extra_quoteX_colY.csv", 7, 756),
    "row_space_delimited": ("row_field_delimiter_X_0x20.csv", 12, 84),
}

# Kinds Pollock does not have (issue 17's, and common variants): our estimate of their weight on the same
# scale (Pollock's weights sum to about 4,450 over its 3,712 surveyed files), for the `weighted_all`
# score only. Guesses from what open-data portals publish, not measurements: README.md says why.
ESTIMATED = {
    "eol_mixed": 5,
    "bom_utf8": 60,
    "cp1252": 120,
    "utf16": 3,
    "quote_all": 60,
    "delim_pipe": 10,
    "preamble_noblank": 60,
    "preamble_delimited": 40,
    "leading_delimiter_rows": 20,
    "footer_totals": 40,
    "footer_notes": 60,
    "footer_blank_notes": 40,
    "header_group_row": 30,
    "trailing_delimiter_all": 40,
    "trailing_delimiter_rows": 10,
    "trailing_delimiter_header": 10,
    "index_column_unnamed": 20,
    "index_column_narrow_header": 10,
    "empty_rows_inside": 20,
    "stray_number": 40,
    "stray_date": 15,
    "slash_dates_ymd": 10,
    "delimiter_rows_inside": 10,
    "header_label_row": 10,
    "preamble_label_values": 10,
}


@dataclass(frozen=True)
class Dialect:
    delimiter: str = ","
    quote: str = '"'
    escape: str = "double"  # double | backslash | none
    quote_all: bool = False
    eol: str = "\r\n"
    encoding: str = "utf-8"


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    dialect: Dialect
    # Which columns hold what, for pollutions that need one: amount, quantity, date, text.
    roles: dict[str, int]


@dataclass
class Case:
    name: str
    kind: str
    base: str
    data: bytes
    views: list[dict]
    note: str = ""
    group: str = "file"
    line: int | None = None  # the polluted line of a row-level case (0: the header)


# ---------------------------------------------------------------------------------------------------
# Clean tables


EN_FIRST = ["Acme", "Northgate", "Bright Path", "Hale", "Kestrel", "Riverside", "Oak", "Summit", "Zoë's", "Café"]
EN_SECOND = ["Builders", "Catering", "Consulting", "Supplies", "Transport", "Cleaning", "IT Services", "Print"]
EN_FORMS = ["{a} {b} Ltd", "{a} {b}", "{a}, {b} & Partners", 'The "{a}" {b}', "O'Brien {b}", "{a} & Sons, {b}"]
DEPARTMENTS = ["Adult Social Care", "Highways", "Children's Services", "Finance", "Housing", "Parks & Leisure"]
PHRASES = [
    "Annual maintenance contract",
    "Repairs to roof, east wing",
    'Supply of 12" pipes',
    "Agency staff - week 14",
    "Consultancy fees",
    "Catering for ward meeting, incl. VAT",
    "Software licence (renewal)",
    "Winter gritting, routes 3 and 4",
    "Printing: leaflets & posters",
    "Café refurbishment",
]
PT_FIRST = ["João", "Maria", "José", "Ana", "Antônio", "Luíza", "Sérgio", "Inês", "Cláudia", "Fábio"]
PT_LAST = ["Silva", "Araújo", "Gonçalves", "Conceição", "Simões", "Magalhães", "Brandão", "Falcão"]
PT_FIRMS = ['Mercado "Bom Preço"', "Padaria Pão de Açúcar; filial 2", "Comércio Ações Ltda.", "Farmácia São João"]
PT_CITIES = [
    ("São Paulo", "SP"),
    ("Florianópolis", "SC"),
    ("Belém", "PA"),
    ("Goiânia", "GO"),
    ("Maceió", "AL"),
    ("Ribeirão Preto", "SP"),
    ("Niterói", "RJ"),
    ("Cuiabá", "MT"),
]
PT_NOTES = [
    "cliente não retirou",
    "promoção de inverno",
    "entrega após às 18h",
    "pagamento à vista",
    "Rua Ipê; apto 3",
    "troca do produto, sem custo",
    "nota fiscal nº 1234",
    "devolução parcial",
]


# The en table's labels, for a row of them below its names.
EN_LABELS = [
    "Transaction number",
    "Supplier's registered name",
    "Council department",
    "Amount paid (GBP)",
    "Items invoiced",
    "Date of the invoice",
    "Date and time of payment",
    "VAT rate applied",
    "Supplier's postcode",
    "What was bought",
]


def _date(rng: random.Random) -> tuple[int, int, int]:
    return rng.randint(2023, 2024), rng.randint(1, 12), rng.randint(1, 28)


# The clean tables' headers, `|`-separated.
HEADERS = {
    "en": "id|Supplier Name|Department|Amount|Quantity|Invoice Date|Paid At|Rate|Postcode|Description",
    "ptbr": "Código|Nome|Cidade|UF|Valor total|Quantidade|Desconto (%)|Data da venda|CEP|Observação",
}


def _ptbr_number(value: float, decimals: int = 2) -> str:
    text = f"{abs(value):,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return ("-" if value < 0 else "") + text


def en_table(rng: random.Random, rows: int) -> Table:
    header = HEADERS["en"].split("|")
    out = []
    ident = 1000
    for i in range(rows):
        ident += rng.choice([1, 1, 1, 2, 3])
        name = rng.choice(EN_FORMS).format(a=rng.choice(EN_FIRST), b=rng.choice(EN_SECOND))
        amount = "" if rng.random() < 0.03 else f"{rng.uniform(-500, 25000):.2f}"
        y, m, d = _date(rng)
        paid = (
            ""
            if rng.random() < 0.1
            else f"{y}-{m:02d}-{min(d + 2, 28):02d} {rng.randint(0, 23):02d}:{rng.choice([0, 15, 30, 45]):02d}"
        )
        rate = "" if rng.random() < 0.15 else rng.choice(["0.175", "0.05", "0.2", "0.125", "0"])
        postcode = f"{rng.choice(['SW', 'N', 'E', 'LS', 'M', 'B'])}{rng.randint(1, 19)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}"
        if rng.random() < 0.1:
            text = ""
        elif i in (41, 187):
            text = "Line one of the note\nline two, after a break"
        elif i in (12, 250):
            text = "- credit note, see invoice " + str(ident - 7)
        else:
            text = rng.choice(PHRASES)
        out.append(
            [
                str(ident),
                name,
                rng.choice(DEPARTMENTS),
                amount,
                str(rng.randint(0, 40)),
                f"{d:02d}/{m:02d}/{y}",
                paid,
                rate,
                postcode,
                text,
            ]
        )
    return Table(header, out, Dialect(), {"amount": 3, "quantity": 4, "date": 5, "text": 9, "label": 0})


def ptbr_table(rng: random.Random, rows: int) -> Table:
    header = HEADERS["ptbr"].split("|")
    out = []
    for i in range(rows):
        city, uf = rng.choice(PT_CITIES)
        name = rng.choice(PT_FIRMS) if rng.random() < 0.2 else f"{rng.choice(PT_FIRST)} {rng.choice(PT_LAST)}"
        value = rng.uniform(-300, 60000) if rng.random() < 0.05 else rng.uniform(5, 60000)
        y, m, d = _date(rng)
        out.append(
            [
                str(5001 + i),
                name,
                city,
                uf,
                "" if rng.random() < 0.03 else _ptbr_number(value),
                str(rng.randint(1, 25)),
                rng.choice(["0", "5", "12,5", "7,25", "10"]),
                f"{d:02d}/{m:02d}/{y}",
                f"{rng.randint(1000, 99999):05d}-{rng.randint(0, 999):03d}",
                "" if rng.random() < 0.4 else rng.choice(PT_NOTES),
            ]
        )
    dialect = Dialect(delimiter=";", encoding="cp1252")
    return Table(header, out, dialect, {"amount": 4, "quantity": 5, "date": 7, "text": 9, "label": 0})


# ---------------------------------------------------------------------------------------------------
# Writing


def field_text(value: str, d: Dialect) -> str:
    specials = {d.quote, "\r", "\n", *d.delimiter}
    if d.escape == "backslash":
        specials.add("\\")
    if not (d.quote_all or any(ch in value for ch in specials)):
        return value
    if d.escape == "double":
        inner = value.replace(d.quote, d.quote * 2)
    elif d.escape == "backslash":
        inner = value.replace("\\", "\\\\").replace(d.quote, "\\" + d.quote)
    else:
        inner = value
    return d.quote + inner + d.quote


def line_text(fields: list[str], d: Dialect) -> str:
    return d.delimiter.join(field_text(v, d) for v in fields)


@dataclass
class Lines:
    """A file as lines of text (without their line ends), how they end and how they are encoded."""

    lines: list[str]
    dialect: Dialect
    final_newline: bool = True
    eols: list[str] | None = None  # one per line; None: the dialect's
    bom: bool = False
    extra: list[str] = field(default_factory=list)

    def encode(self) -> bytes:
        eols = self.eols or [self.dialect.eol] * len(self.lines)
        parts = []
        for i, (line, eol) in enumerate(zip(self.lines, eols)):
            parts.append(line)
            if i < len(self.lines) - 1 or self.final_newline:
                parts.append(eol)
        text = "".join(parts)
        encoding = self.dialect.encoding
        if encoding == "utf-16":
            return text.encode("utf-16")  # with its BOM
        data = text.encode(encoding)
        return (b"\xef\xbb\xbf" + data) if self.bom else data


def view(header: list[str], records: list[list[str]]) -> dict:
    return {"header": list(header), "records": [list(r) for r in records]}


def table_lines(t: Table, d: Dialect | None = None) -> Lines:
    d = d or t.dialect
    return Lines([line_text(t.header, d)] + [line_text(r, d) for r in t.rows], d)


# ---------------------------------------------------------------------------------------------------
# Pollutions: each returns (Lines, views, note)

Made = tuple[Lines, list[dict], str]


def clean(t: Table) -> Made:
    return table_lines(t), [view(t.header, t.rows)], "the clean table"


def with_dialect(**changes) -> Callable[[Table], Made]:
    def make(t: Table) -> Made:
        d = replace(t.dialect, **changes)
        return table_lines(t, d), [view(t.header, t.rows)], f"dialect {changes}"

    return make


def bom(t: Table) -> Made:
    lines = table_lines(t, replace(t.dialect, encoding="utf-8"))
    lines.bom = True
    return lines, [view(t.header, t.rows)], "UTF-8 with a byte order mark"


def eol_mixed(rng: random.Random) -> Callable[[Table], Made]:
    def make(t: Table) -> Made:
        lines = table_lines(t)
        lines.eols = [rng.choice(["\r\n", "\n"]) for _ in lines.lines]
        return lines, [view(t.header, t.rows)], "CRLF and LF mixed line by line"

    return make


def no_trailing_newline(t: Table) -> Made:
    lines = table_lines(t)
    lines.final_newline = False
    return lines, [view(t.header, t.rows)], "no line end after the last record"


def double_trailing_newline(t: Table) -> Made:
    lines = table_lines(t)
    lines.lines.append("")
    return lines, [view(t.header, t.rows)], "an empty line after the last record"


def empty_file(t: Table) -> Made:
    return Lines([], t.dialect, final_newline=False), [view([], [])], "0 bytes"


def no_header(t: Table) -> Made:
    d = t.dialect
    return Lines([line_text(r, d) for r in t.rows], d), [view([], t.rows)], "no header line"


def header_only(t: Table) -> Made:
    return Lines([line_text(t.header, t.dialect)], t.dialect), [view(t.header, [])], "the header line only"


def one_data_row(t: Table) -> Made:
    rows = t.rows[:1]
    d = t.dialect
    return Lines([line_text(t.header, d), line_text(rows[0], d)], d), [view(t.header, rows)], "one record"


def multirow(copies: int) -> Callable[[Table], Made]:
    def make(t: Table) -> Made:
        d = t.dialect
        lines = [line_text(t.header, d)] * copies + [line_text(r, d) for r in t.rows]
        joined = [" ".join([h] * copies) for h in t.header]
        return (
            Lines(lines, d),
            [view(joined, t.rows), view(t.header, t.rows)],
            f"the header line {copies} times (Pollock: names joined with a space, or the last row)",
        )

    return make


def group_row(groups: list[str]) -> Callable[[Table], Made]:
    """A row of group names above the real names, each group's name over its first column."""

    def make(t: Table) -> Made:
        d = t.dialect
        filled, last = [], ""
        for i in range(len(t.header)):
            g = groups[i] if i < len(groups) else ""
            last = g or last
            filled.append(last)
        joined = [f"{g} {h}" if g else h for g, h in zip(filled, t.header)]
        lines = [d.delimiter.join(field_text(g, d) for g in groups), line_text(t.header, d)]
        lines += [line_text(r, d) for r in t.rows]
        return (
            Lines(lines, d),
            [view(joined, t.rows), view(t.header, t.rows)],
            f"a group row {groups!r} above the names",
        )

    return make


def preamble(texts: list[str | list[str]], blank: bool, delimited: bool = False) -> Callable[[Table], Made]:
    """Lines above the header: a text each, or its fields (`["Empresa:", "ACME Ltda"]`); `delimited`
    pads them with delimiters to the table's width, as a spreadsheet's export does."""

    def make(t: Table) -> Made:
        d = t.dialect
        width = len(t.header)
        rows = [[x] if isinstance(x, str) else x for x in texts]
        lines = [line_text(r + [""] * (width - len(r)) if delimited else r, d) for r in rows]
        if blank:
            lines.append("")
        lines += table_lines(t).lines
        how = ("delimited " if delimited else "") + ("then a blank line" if blank else "no blank line")
        return Lines(lines, d), [view(t.header, t.rows)], f"{len(texts)} preamble lines, {how}"

    return make


def leading_delimiter_rows(t: Table) -> Made:
    d = t.dialect
    lines = [d.delimiter * (len(t.header) - 1)] * 2 + table_lines(t).lines
    return Lines(lines, d), [view(t.header, t.rows)], "two lines of only delimiters before the header"


def footer(lines_after: Callable[[Table], list[list[str]]], blank: bool, what: str) -> Callable[[Table], Made]:
    def make(t: Table) -> Made:
        d = t.dialect
        lines = table_lines(t).lines
        if blank:
            lines.append("")
        lines += [d.delimiter.join(field_text(v, d) for v in fields) for fields in lines_after(t)]
        return Lines(lines, d), [view(t.header, t.rows)], what

    return make


def _en_total(t: Table) -> list[str]:
    a, q = t.roles["amount"], t.roles["quantity"]
    total = sum(float(r[a]) for r in t.rows if r[a])
    fields = [""] * len(t.header)
    fields[0], fields[a], fields[q] = "Total", f"{total:.2f}", str(sum(int(r[q]) for r in t.rows))
    return fields


def _ptbr_total(t: Table, short: bool = False) -> list[str]:
    a, q = t.roles["amount"], t.roles["quantity"]
    total = sum(float(r[a].replace(".", "").replace(",", ".")) for r in t.rows if r[a])
    fields = [""] * len(t.header)
    fields[0], fields[a], fields[q] = "TOTAL", _ptbr_number(total), str(sum(int(r[q]) for r in t.rows))
    return fields[: q + 1] if short else fields


def multitable(shape: str) -> Callable[[Table], Made]:
    """A second, smaller table after a blank line (Pollock: its first rows, fewer or more columns)."""

    def make(t: Table) -> Made:
        d = t.dialect
        width = {"same": len(t.header), "less": 4, "more": len(t.header) + 2}[shape]
        second = [[*t.header, "col1", "col2"]] + [[*r, r[0], "x"] for r in t.rows[:9]]
        second = [r[:width] for r in second]
        lines = table_lines(t).lines + [""] + [line_text(r, d) for r in second]
        return Lines(lines, d), [view(t.header, t.rows)], f"a second table of {width} columns after a blank line"

    return make


def trailing_delimiter(where: str) -> Callable[[Table], Made]:
    def make(t: Table) -> Made:
        d = t.dialect
        lines = table_lines(t).lines
        for i in range(len(lines)):
            if where == "all" or (where == "header") == (i == 0):
                lines[i] += d.delimiter
        views = [view(t.header, t.rows), view([*t.header, ""], [[*r, ""] for r in t.rows])]
        return Lines(lines, d), views, f"a delimiter at the end of {where} lines"

    return make


def index_column(named_header: bool) -> Callable[[Table], Made]:
    """An exporter's row numbers as a first column: pandas writes an empty header name for it, R none."""

    def make(t: Table) -> Made:
        d = t.dialect
        header = ["", *t.header] if named_header else t.header
        lines = [line_text(header, d)] + [line_text([str(i), *r], d) for i, r in enumerate(t.rows)]
        kept = [[str(i), *r] for i, r in enumerate(t.rows)]
        views = [view(["", *t.header], kept), view(t.header, t.rows)]
        what = "an empty header name" if named_header else "no header name (the header one narrower)"
        return Lines(lines, d), views, f"an index column with {what}"

    return make


def delimiter_rows_inside(rng: random.Random) -> Callable[[Table], Made]:
    """Three records of only delimiters among the data (a spreadsheet's empty rows): read as no row,
    or as a row of empty values (pandas, CleverCSV, DuckDB, csvlake)."""

    def make(t: Table) -> Made:
        d = t.dialect
        at = set(rng.sample(range(1, len(t.rows)), 3))
        lines, kept = [line_text(t.header, d)], []
        for i, row in enumerate(t.rows):
            if i in at:
                lines.append(d.delimiter * (len(t.header) - 1))
                kept.append([""] * len(t.header))
            lines.append(line_text(row, d))
            kept.append(row)
        return (
            Lines(lines, d),
            [view(t.header, t.rows), view(t.header, kept)],
            "three rows of only delimiters among the records",
        )

    return make


def label_row(labels: list[str]) -> Callable[[Table], Made]:
    """A row of labels below the names (the US Census' `Geography,Geographic Area Name,…`): the names
    kept and the labels left out, or both joined with a space."""

    def make(t: Table) -> Made:
        d = t.dialect
        lines = [line_text(t.header, d), line_text(labels, d)] + [line_text(r, d) for r in t.rows]
        joined = [f"{h} {label}" for h, label in zip(t.header, labels)]
        return Lines(lines, d), [view(t.header, t.rows), view(joined, t.rows)], "a row of labels below the names"

    return make


def label_value_series(rng: random.Random) -> Callable[[Table], Made]:
    """The ONS time-series layout, a table of its own: label,value lines as wide as the data
    (`Title,…`, `PreUnit,`, `Important notes,`), then headerless period,value rows, years and then
    quarters (`1971 Q1`)."""

    def make(t: Table) -> Made:
        d = t.dialect
        meta = [["Title", "LFS: ILO Unemployment rate: UK: All: Aged 16+: %: SA"], ["CDID", "MGSX"]]
        meta += [["Source dataset ID", "LMS"], ["PreUnit", ""], ["Unit", "%"], ["Release date", "13-11-2024"]]
        meta += [["Next release", "10 December 2024"], ["Important notes", ""]]
        periods = [str(year) for year in range(1971, 2024)]
        periods += [f"{year} Q{q}" for year in range(1971, 2024) for q in range(1, 5)]
        rows = [[period, f"{rng.uniform(3, 12):.1f}"] for period in periods]
        lines = [line_text(r, d) for r in meta + rows]
        return Lines(lines, d), [view([], rows)], "ONS label,value lines above a headerless series"

    return make


def empty_rows_inside(rng: random.Random) -> Callable[[Table], Made]:
    def make(t: Table) -> Made:
        lines = table_lines(t).lines
        for at in sorted(rng.sample(range(2, len(lines)), 3), reverse=True):
            lines.insert(at, "")
        return Lines(lines, t.dialect), [view(t.header, t.rows)], "three empty lines between records"

    return make


def stray(role: str, value: str, at: int) -> Callable[[Table], Made]:
    def make(t: Table) -> Made:
        rows = [list(r) for r in t.rows]
        rows[at][t.roles[role]] = value
        t2 = Table(t.header, rows, t.dialect, t.roles)
        return table_lines(t2), [view(t.header, rows)], f"one {value!r} in the {role} column (line {at + 2})"

    return make


def slash_dates(t: Table) -> Made:
    col = t.roles["date"]
    rows = [list(r) for r in t.rows]
    for r in rows:
        dd, mm, yy = r[col].split("/")
        r[col] = f"{yy}/{mm}/{dd}"
    if "Paid At" in t.header:
        p = t.header.index("Paid At")
        for r in rows:
            r[p] = r[p].replace("-", "/") + (":00" if r[p] else "")
    t2 = Table(t.header, rows, t.dialect, t.roles)
    return table_lines(t2), [view(t.header, rows)], "year-first slash dates (yyyy/mm/dd, yyyy/mm/dd HH:MM:SS)"


def _split_line(t: Table, row: int) -> list[str]:
    return [field_text(v, t.dialect) for v in (t.header if row == 0 else t.rows[row - 1])]


def _row_line(row: int, edit: Callable[[list[str], str], list[str]], what: str) -> Callable[[Table], Made]:
    """A pollution of line `row` (0: the header) made by `edit`, which gets its fields and the delimiter."""

    def make(t: Table) -> Made:
        lines = table_lines(t)
        lines.lines[row] = t.dialect.delimiter.join(edit(_split_line(t, row), t.dialect.delimiter))
        return lines, [view(t.header, t.rows)], f"line {row + 1}: {what}"

    return make


def row_less_sep(row: int, col: int) -> Callable[[Table], Made]:
    """Pollock: the delimiter before column `col` (>= 1) of line `row` (0: the header) missing."""
    return _row_line(
        row, lambda f, d: [*f[: col - 1], f[col - 1] + f[col], *f[col + 1 :]], f"no delimiter before column {col}"
    )


def row_more_sep(row: int, col: int) -> Callable[[Table], Made]:
    """Pollock: an extra delimiter before column `col` of line `row` (0: the header)."""
    return _row_line(row, lambda f, d: [*f[:col], "", *f[col:]], f"an extra delimiter before column {col}")


def row_extra_quote(row: int, col: int) -> Callable[[Table], Made]:
    """Pollock: an unescaped quote character put before cell `col` of line `row`; the truth keeps it."""

    def make(t: Table) -> Made:
        lines = table_lines(t)
        fields = _split_line(t, row)
        fields[col] = t.dialect.quote + fields[col]
        lines.lines[row] = t.dialect.delimiter.join(fields)
        header, rows = list(t.header), [list(r) for r in t.rows]
        target = header if row == 0 else rows[row - 1]
        target[col] = t.dialect.quote + target[col]
        return lines, [view(header, rows)], f"line {row + 1}: a stray quote before column {col}"

    return make


def row_space_delimited(row: int) -> Callable[[Table], Made]:
    """Pollock: line `row` delimited with spaces instead of the file's delimiter."""

    def make(t: Table) -> Made:
        lines = table_lines(t)
        lines.lines[row] = " ".join(_split_line(t, row))
        return lines, [view(t.header, t.rows)], f"line {row + 1} delimited with spaces"

    return make


def combo_ptbr(t: Table) -> Made:
    """The issue's whole export: title, date, blank, group row, names, records, totals, source note."""
    d = t.dialect
    groups = ["Cliente", "", "Endereço", "", "Financeiro", "", "", "Venda", "", ""]
    made, views, _ = group_row(groups)(t)
    lines = ["Relatório de vendas", "Gerado em 01/07/2024", "", *made.lines]
    lines += [d.delimiter.join(_ptbr_total(t, short=True)), "Fonte: Sistema interno de vendas; valores em R$"]
    lines[-1] = field_text(lines[-1], d)
    return Lines(lines, d), views, "preamble, blank line, group row, names, records, totals line, notes line"


# ---------------------------------------------------------------------------------------------------
# The corpus


def cases(seed: int, rows: int) -> list[Case]:
    rng = random.Random(seed)
    en = en_table(random.Random(seed * 1000 + 1), rows)
    pt = ptbr_table(random.Random(seed * 1000 + 2), rows)
    out: list[Case] = []

    def add(
        kind: str, base: str, make: Callable[[Table], Made], name: str | None = None, group: str = "file", line=None
    ):
        t = en if base == "en" else pt
        lines, views, note = make(t)
        prefix = "" if base == "en" else "ptbr-"
        out.append(Case(name or prefix + kind, kind, base, lines.encode(), views, note, group, line))

    # File level: dialect, encoding, line ends.
    add("source", "en", clean)
    add("eol_lf", "en", with_dialect(eol="\n"))
    add("eol_cr", "en", with_dialect(eol="\r"))
    add("eol_mixed", "en", eol_mixed(rng))
    add("no_trailing_newline", "en", no_trailing_newline)
    add("double_trailing_newline", "en", double_trailing_newline)
    add("delim_semicolon", "en", with_dialect(delimiter=";"))
    add("delim_tab", "en", with_dialect(delimiter="\t"))
    add("delim_pipe", "en", with_dialect(delimiter="|"))
    add("delim_space", "en", with_dialect(delimiter=" "))
    add("delim_comma_space", "en", with_dialect(delimiter=", "))
    add("quotechar_apostrophe", "en", with_dialect(quote="'"))
    add("escape_backslash", "en", with_dialect(escape="backslash"))
    add("escape_none", "en", with_dialect(escape="none"))
    add("quote_all", "en", with_dialect(quote_all=True))
    add("bom_utf8", "en", bom)
    add("cp1252", "en", with_dialect(encoding="cp1252"))
    add("utf16", "en", with_dialect(encoding="utf-16"))
    add("empty_file", "en", empty_file)

    # Table level: header, preamble, footer, more than one table.
    for kind, make in [
        ("no_header", no_header),
        ("header_only", header_only),
        ("one_data_row", one_data_row),
        ("header_multirow_2", multirow(2)),
        ("header_multirow_3", multirow(3)),
        ("header_group_row", group_row(["Supplier", "", "", "Payment", "", "", "", "", "Location", ""])),
        ("preamble_blank", preamble(["Spend over £500 report", "Published: 01/07/2024"], blank=True)),
        ("preamble_noblank", preamble(["Spend over £500 report", "Published: 01/07/2024"], blank=False)),
        ("preamble_delimited", preamble(["Spend over £500 report", "Northgate Council"], blank=True, delimited=True)),
        ("leading_delimiter_rows", leading_delimiter_rows),
        ("footer_totals", footer(lambda t: [_en_total(t)], blank=False, what="a totals line at the end")),
        (
            "footer_notes",
            footer(
                lambda t: [["Source: Finance department, Northgate Council"], ["Note: amounts include VAT"]],
                blank=False,
                what="two notes lines at the end",
            ),
        ),
        (
            "footer_blank_notes",
            footer(lambda t: [["Source: Finance department"]], blank=True, what="a blank line and a note"),
        ),
        ("multitable_same", multitable("same")),
        ("multitable_more", multitable("more")),
        ("multitable_less", multitable("less")),
        ("trailing_delimiter_all", trailing_delimiter("all")),
        ("trailing_delimiter_rows", trailing_delimiter("rows")),
        ("trailing_delimiter_header", trailing_delimiter("header")),
        ("index_column_unnamed", index_column(named_header=True)),
        ("index_column_narrow_header", index_column(named_header=False)),
        ("empty_rows_inside", empty_rows_inside(rng)),
        ("stray_number", stray("amount", "TBC", 56)),
        ("stray_date", stray("date", "31/02/2024", 120)),
        ("slash_dates_ymd", slash_dates),
    ]:
        add(kind, "en", make, group="table")

    # Row level (Pollock's largest share): sampled rows and columns, line 0 being the header.
    width = len(en.header)
    picks = lambda n, cols: [(rng.choice([0, *range(1, rows + 1)]) if i else 0, rng.choice(cols)) for i in range(n)]  # noqa: E731
    for r, c in picks(16, range(1, width)):
        add("row_less_sep", "en", row_less_sep(r, c), f"row_less_sep-r{r}-c{c}", "row", r)
    for r, c in picks(16, range(width)):
        add("row_more_sep", "en", row_more_sep(r, c), f"row_more_sep-r{r}-c{c}", "row", r)
    for r, c in picks(8, range(width)):
        add("row_extra_quote", "en", row_extra_quote(r, c), f"row_extra_quote-r{r}-c{c}", "row", r)
    for r, _ in picks(4, [0]):
        add("row_space_delimited", "en", row_space_delimited(r), f"row_space_delimited-r{r}", "row", r)

    # pt-BR exports (issue 17's cases): cp1252, `;`, decimal commas, CRLF unless said otherwise.
    ptbr_groups = ["Cliente", "", "Endereço", "", "Financeiro", "", "", "Venda", "", ""]
    title = ["Relatório de vendas", "Gerado em 01/07/2024"]
    for kind, make in [
        ("source", clean),
        ("utf8", with_dialect(encoding="utf-8")),
        ("bom_utf8", bom),
        ("eol_lf", with_dialect(eol="\n")),
        ("preamble_blank", preamble(title, blank=True)),
        ("preamble_noblank", preamble(title, blank=False)),
        ("preamble_delimited", preamble(title, blank=False, delimited=True)),
        ("leading_delimiter_rows", leading_delimiter_rows),
        ("footer_totals", footer(lambda t: [_ptbr_total(t)], blank=False, what="TOTAL;;;;<soma>;<qtd>;;;;")),
        ("footer_totals_short", footer(lambda t: [_ptbr_total(t, True)], blank=False, what="TOTAL;;;;<soma>;<qtd>")),
        ("footer_notes", footer(lambda t: [["Fonte: Sistema interno de vendas"]], blank=False, what="Fonte: …")),
        (
            "footer_totals_notes",
            footer(
                lambda t: [_ptbr_total(t, True), ["Fonte: Sistema interno de vendas"], ["Nota: valores em R$"]],
                blank=True,
                what="blank line, TOTAL, Fonte, Nota",
            ),
        ),
        ("header_group_row", group_row(ptbr_groups)),
        ("header_group_row_short", group_row(["Cliente", "", "Endereço", "", "Financeiro"])),
        ("trailing_delimiter_all", trailing_delimiter("all")),
        ("no_header", no_header),
        ("stray_number", stray("amount", "n/d", 56)),
        ("stray_date", stray("date", "31/02/2024", 120)),
        ("multitable_less", multitable("less")),
        ("combo", combo_ptbr),
    ]:
        add(kind, "ptbr", make, group="ptbr")
    pwidth = len(pt.header)
    for r, c in picks(3, range(1, pwidth)):
        add("row_less_sep", "ptbr", row_less_sep(r, c), f"ptbr-row_less_sep-r{r}-c{c}", "ptbr", r)
    for r, c in picks(3, range(pwidth)):
        add("row_more_sep", "ptbr", row_more_sep(r, c), f"ptbr-row_more_sep-r{r}-c{c}", "ptbr", r)

    # Layouts an adversarial trial of issue 17 found misread; a generator of their own, so that the
    # cases above stay as they were.
    later = random.Random(seed * 1000 + 3)
    add("delimiter_rows_inside", "en", delimiter_rows_inside(later), group="table")
    add("header_label_row", "en", label_row(EN_LABELS), group="table")
    key_value = [["Empresa:", "ACME Comércio Ltda"], ["Período:", "01/2023 a 12/2024"]]
    for kind, make in [
        ("preamble_key_value", preamble(key_value, blank=True, delimited=True)),
        ("preamble_key_value_noblank", preamble(key_value, blank=False, delimited=True)),
        ("delimiter_rows_inside", delimiter_rows_inside(later)),
    ]:
        add(kind, "ptbr", make, group="ptbr")
    # Issue 17, round 2: again a generator of its own.
    add("preamble_label_values", "en", label_value_series(random.Random(seed * 1000 + 4)), group="table")
    return out


def weights(case: Case, made: list[Case]) -> dict:
    """The case's share of its kind's weights: Pollock's for its kinds (en only), our estimate otherwise.

    A row-level kind's cases share it as Pollock's files do: its source has 84 lines, so the cases that
    pollute the header line share 1/84 of the kind, the others the rest (we pollute the header more often
    than that, to see it)."""
    same = [c for c in made if (c.base, c.kind) == (case.base, case.kind)]
    share = 1 / len(same)
    if case.line is not None:
        headers = sum(c.line == 0 for c in same)
        if headers and headers < len(same):
            share = (1 / 84) / headers if case.line == 0 else (83 / 84) / (len(same) - headers)
    pollock = POLLOCK.get(case.kind) if case.base == "en" else None
    out = {"pollock_file": None, "pollock_weight": 0.0, "pollock_files": 0.0, "estimated_weight": 0.0}
    if pollock:
        out.update(pollock_file=pollock[0], pollock_weight=pollock[1] * share, pollock_files=pollock[2] * share)
    elif case.base == "en":
        out["estimated_weight"] = ESTIMATED.get(case.kind, 0) * share
    return out


def write(out: Path, seed: int, rows: int) -> list[Case]:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    made = cases(seed, rows)
    manifest = []
    for c in made:
        (out / f"{c.name}.csv").write_bytes(c.data)
        truth = {"case": c.name, "kind": c.kind, "base": c.base, "note": c.note, "views": c.views}
        (out / f"{c.name}.truth.json").write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")
        manifest.append(
            {"case": c.name, "kind": c.kind, "base": c.base, "group": c.group, "line": c.line, **weights(c, made)}
        )
    meta = {"version": VERSION, "seed": seed, "rows": rows, "cases": manifest}
    (out / "manifest.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--rows", type=int, default=ROWS)
    args = parser.parse_args()
    made = write(args.out, args.seed, args.rows)
    size = sum(len(c.data) for c in made)
    print(f"{len(made)} cases, {size / 1024:.0f} KiB, in {args.out}")


if __name__ == "__main__":
    main()
