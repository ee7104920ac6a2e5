"""Dialect detection on files an adversarial trial found misread (issue 17), through the whole pipeline:
one-column files whose texts hold a delimiter, decimal commas in one column, texts holding a
backslash before a quote in files that double their quotes."""

from __future__ import annotations

import csv
import io

import pytest

from csvlake.config import Config
from csvlake.dialect import detect
from support import LocalLake


@pytest.fixture(params=[64, 5 * 1024 * 1024], ids=["tiny-blocks", "default-blocks"])
def lake(tmp_path, request):
    return LocalLake(tmp_path, Config(block_size=request.param))


def processed(lake: LocalLake, report: dict) -> list[list[str]]:
    return list(csv.reader(io.StringIO(lake.read(report["outputs"]["processed"]).decode(), newline="")))


def columns(report: dict) -> list[tuple[str, str]]:
    return [(c["source_name"], c["type"]) for c in report["columns"]]


def test_one_column_of_decimal_comma_numbers_is_not_split_at_the_comma(lake):
    report = lake.ingest("a.csv", data=b"Valor\r\n1.234,56\r\n7,5\r\n0,25\r\n")

    assert columns(report) == [("Valor", "number")]
    assert report["dialect"]["decimal"] == "," and report["dialect"]["thousands"] == "."
    assert processed(lake, report) == [["valor"], ["1234.56"], ["7.5"], ["0.25"]]
    assert report["rows"] == {"read": 3, "written": 3, "rejected": 0}
    assert report["lines"]["header"] == 1 and report["lines"]["skipped"] == 0


def test_a_quoted_decimal_comma_in_one_column_is_a_number(lake):
    report = lake.ingest("a.csv", data=b'"valor"\r\n"91746,69"\r\n')

    assert columns(report) == [("valor", "number")]
    assert processed(lake, report)[1:] == [["91746.69"]]


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8"])
def test_one_column_of_addresses_with_commas_keeps_every_row_as_text(lake, encoding):
    addresses = ["Rua A, 10", "Rua B, 20", "Av. Brasil, 1500", "Praça da Sé, 1"]
    data = "\r\n".join(["Endereço", *addresses]).encode(encoding) + b"\r\n"

    report = lake.ingest("a.csv", data=data)

    assert columns(report) == [("Endereço", "string")]
    assert processed(lake, report)[1:] == [[a] for a in addresses]
    assert report["rows"] == {"read": 4, "written": 4, "rejected": 0}
    assert report["lines"]["skipped"] == 0


def test_one_column_where_a_few_texts_hold_a_semicolon_keeps_them(lake):
    emails = ["ann@x.com", "bob@y.com; carl@z.com", "dan@w.com", "eve@v.com", "fay@u.com; gus@t.com"]

    report = lake.ingest("a.csv", data=("email\n" + "\n".join(emails) + "\n").encode())

    assert columns(report) == [("email", "string")]
    assert processed(lake, report)[1:] == [[e] for e in emails]
    assert report["rows"] == {"read": 5, "written": 5, "rejected": 0}


def test_one_column_quoted_with_double_quotes_keeps_its_apostrophes_and_line_breaks(lake):
    report = lake.ingest("a.csv", data=b'"nota"\n"linha 1,\nlinha 2"\n"d\'agua"\n"ok"\n')

    assert report["dialect"]["quotechar"] == '"'
    assert columns(report) == [("nota", "string")]
    assert processed(lake, report)[1:] == [["linha 1,\nlinha 2"], ["d'agua"], ["ok"]]
    assert report["rows"] == {"read": 3, "written": 3, "rejected": 0}
    assert report["lines"]["total"] == 5


def test_a_title_above_a_table_of_named_columns_is_still_a_preamble(lake):
    # The one-name first line is a title here: the next record names the columns of the rows.
    report = lake.ingest("a.csv", data=b"Clientes\nnome;cidade\nAna;Rio\nBo;SP\n")

    assert columns(report) == [("nome", "string"), ("cidade", "string")]
    assert report["skipped_lines"] == [{"line": 1, "reason": "preamble", "text": "Clientes"}]


@pytest.mark.parametrize("text", ['disse \\"oi\\"', 'C:\\dados\\"x"'], ids=["escaped-quotes", "path"])
def test_a_backslash_before_a_quote_in_a_file_of_doubled_quotes_is_kept(lake, text):
    # GIVEN texts holding a backslash before a quote, written by the csv module (quotes doubled)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([["id", "t"], ["1", text], ["2", "x"], ["3", 'a "b" c']])

    report = lake.ingest("a.csv", data=out.getvalue().encode())

    assert report["dialect"]["escapechar"] is None
    assert processed(lake, report)[1:] == [["1", text], ["2", "x"], ["3", 'a "b" c']]


def test_two_backslashes_before_a_closing_quote_stay_two(lake):
    report = lake.ingest("a.csv", data=b'id,p\n1,"7o\\\\"\n2,x\n')

    assert report["dialect"]["escapechar"] is None
    assert processed(lake, report)[1:] == [["1", "7o\\\\"], ["2", "x"]]


def test_quotes_escaped_by_a_backslash_are_read_so(lake):
    data = b'id,t\n1,"a \\"b\\" c"\n2,"x, \\"y\\""\n3,z\n'

    report = lake.ingest("a.csv", data=data)

    assert report["dialect"]["escapechar"] == "\\"
    assert processed(lake, report)[1:] == [["1", 'a "b" c'], ["2", 'x, "y"'], ["3", "z"]]


def test_numbers_grouping_thousands_with_commas_are_numbers_when_the_whole_column_agrees(lake):
    data = b'id,valor,codigo\n1,"30,502.5","1,2"\n2,"1,234",7\n3,7.25,"3,456"\n'

    report = lake.ingest("a.csv", data=data)

    # `1,2` groups no thousands: that column stays text, every value as it was.
    assert columns(report) == [("id", "integer"), ("valor", "number"), ("codigo", "string")]
    assert processed(lake, report)[1:] == [["1", "30502.5", "1,2"], ["2", "1234", "7"], ["3", "7.25", "3,456"]]


STATCAN_TABLE = [
    ["Products", "January 2024", "February 2024"],
    ["All-items", "158.3", "159.8"],
    ["Food", "186.9", "187.6"],
    ["Shelter", "181.4", "181.9"],
    ["Energy", "201.5", "199.5"],
    ["Gasoline", "240.1", "236.2"],
]


def _quoted(rows: list[list[str]]) -> bytes:
    return "".join(",".join(f'"{v}"' for v in row) + "\n" for row in rows).encode()


def test_a_quoted_table_between_quoted_title_and_footer_lines_is_split_at_its_commas(lake):
    # Statistics Canada's "download as displayed": every line quoted, one field each above and below.
    preamble = _quoted([["Title, a b"], ["Frequency: Monthly"], ["Geography: Canada"]])
    data = preamble + _quoted(STATCAN_TABLE) + b'"Symbol legend:"\n"Footnotes:"'

    report = lake.ingest("a.csv", data=data)

    assert report["dialect"]["delimiter"] == "," and report["dialect"]["quotechar"] == '"'
    assert [c["source_name"] for c in report["columns"]] == STATCAN_TABLE[0]
    assert processed(lake, report)[1:] == [[r[0], str(float(r[1])), str(float(r[2]))] for r in STATCAN_TABLE[1:]]
    assert report["rows"] == {"read": 5, "written": 5, "rejected": 0}
    assert report["lines"]["skipped_by_reason"] == {"preamble": 3, "footer": 2}
    assert report["lines"]["total"] == 11


def test_one_field_lines_outnumbering_a_quoted_table_are_its_preamble_and_footer(lake):
    # Five one-field lines and a table of four records, the trial's file as it was.
    data = _quoted([["Title, a b"], ["Frequency: Monthly"], ["Geography: Canada"]])
    data += _quoted(STATCAN_TABLE[:4]) + b'"Symbol legend:"\n"Footnotes:"'

    report = lake.ingest("a.csv", data=data)

    assert report["dialect"]["delimiter"] == ","
    assert [c["source_name"] for c in report["columns"]] == STATCAN_TABLE[0]
    assert report["rows"] == {"read": 3, "written": 3, "rejected": 0}
    assert report["lines"]["skipped_by_reason"] == {"preamble": 3, "footer": 2}


def test_one_field_lines_outnumbering_a_quoted_table_keep_its_delimiter():
    # The table's delimiter, not the one-column reading's `;`, which is not in the file.
    data = _quoted([["Title, a b"], ["Frequency: Monthly"], ["Geography: Canada"]])
    data += _quoted(STATCAN_TABLE[:4]) + b'"Symbol legend:"\n"Footnotes:"'

    dialect, _ = detect(data, complete=True)

    assert (dialect.delimiter, dialect.quotechar) == (",", '"')


def test_an_apostrophe_opening_a_text_is_not_a_quote(lake):
    report = lake.ingest("a.csv", data=b"city,pop\nAmsterdam,900000\nUtrecht,360000\n's-Hertogenbosch,155000\n")

    assert report["dialect"]["quotechar"] == '"'
    assert processed(lake, report)[1:] == [
        ["Amsterdam", "900000"],
        ["Utrecht", "360000"],
        ["'s-Hertogenbosch", "155000"],
    ]
    assert report["status"] == "processed" and report["rows"] == {"read": 3, "written": 3, "rejected": 0}
    assert report["lines"]["total"] == 4


def test_an_apostrophe_in_a_one_column_file_keeps_every_line_a_row(lake):
    report = lake.ingest("a.csv", data=b"name\nAna\n'abc\nx\ny\nz,w\n")

    assert report["dialect"]["quotechar"] == '"'
    assert processed(lake, report)[1:] == [["Ana"], ["'abc"], ["x"], ["y"], ["z,w"]]
    assert report["rows"] == {"read": 5, "written": 5, "rejected": 0}
    assert report["lines"]["total"] == 6 and report["lines"]["skipped"] == 0


@pytest.mark.parametrize(
    ("data", "names"),
    [(b"id,name\n1,'a, b'\n2,c\n3,d\n", ["a, b", "c", "d"]), (b"id,name\n1,'ab'\n2,'c'\n3,d\n", ["ab", "c", "d"])],
    ids=["around-the-delimiter", "twice"],
)
def test_apostrophes_that_open_and_close_fields_quote_them(lake, data, names):
    report = lake.ingest("a.csv", data=data)

    assert report["dialect"]["quotechar"] == "'"
    assert [row[1] for row in processed(lake, report)[1:]] == names
    assert report["rows"] == {"read": 3, "written": 3, "rejected": 0}
