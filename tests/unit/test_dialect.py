"""Dialect detection on the first bytes of real files."""

from __future__ import annotations

import codecs

import pytest

from csvlake.dialect import Quoting, detect, records
from csvlake.errors import Rejected
from support import DATA, PT_BR_DIALECT


@pytest.mark.parametrize(
    ("data", "encoding", "delimiter", "decimal"),
    [
        ("a;b\n1;2,5\n".encode("cp1252"), "utf-8", ";", ","),
        ("nome;preço\nPão;2,5\n".encode("cp1252"), "cp1252", ";", ","),
        ("nome;preço\nPão;2,5\n".encode(), "utf-8", ";", ","),
        (codecs.BOM_UTF8 + b"a,b\n1,2.5\n", "utf-8-sig", ",", "."),
        ("a\tb\r\n1\t2\r\n".encode("utf-16"), "utf-16", "\t", "."),
        (b"a|b|c\n1|2|3\n", "utf-8", "|", "."),
        (b"a;b\n1.5;2.25\n", "utf-8", ";", "."),
        (b"a;b\n1.234;2\n", "utf-8", ";", ","),
        (b"a;b\nx;y\n", "utf-8", ";", ","),
        (b"a\tb\n1.234\t2\n", "utf-8", "\t", "."),
        (b"name\nAna\nBo\n", "utf-8", ",", "."),
        (b'a,b\n"x;y;z",1\n"p;q;r",2\n', "utf-8", ",", "."),
        (b"a\x81b,c\n1,2\n", "cp1252", ",", "."),
    ],
)
def test_encoding_delimiter_and_decimal(data, encoding, delimiter, decimal):
    dialect, _ = detect(data, complete=True)
    assert (dialect.encoding, dialect.delimiter, dialect.decimal) == (encoding, delimiter, decimal)


def test_pt_br_file_from_excel():
    dialect, structure = detect((DATA / "ptbr_cp1252.csv").read_bytes(), complete=True)
    assert dialect.as_report() == PT_BR_DIALECT
    assert structure.names == ["Código", "Descrição", "Preço Unitário", "Data", "CEP", "Ativo"]


@pytest.mark.parametrize(
    ("data", "header"),
    [
        (b"id,amount\n1,2.5\n2,3\n", True),
        (b"1,2.5\n2,3\n3,4\n", False),
        (b"name,city\nAna,Rio\n", True),
        (b"date,value\n2024-01-01,3\n", True),
        (b"2024-01-01,3\n2024-01-02,4\n", False),
    ],
)
def test_header_is_detected_from_the_kinds_of_values(data, header):
    assert detect(data, complete=True)[0].header is header


@pytest.mark.parametrize(("data", "ending"), [(b"a\nb\n", "LF"), (b"a\r\nb\r\n", "CRLF"), (b"a\rb\r", "CR")])
def test_line_endings(data, ending):
    assert detect(data, complete=True)[0].line_ending == ending


def test_a_sample_cut_inside_a_multibyte_character_is_still_utf8():
    data = ("a,b\n" + "ç,1\n" * 100).encode()
    assert detect(data[:-4] + data[-4:-3], complete=False)[0].encoding == "utf-8"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file (0 bytes)"),
        (b"%PDF-1.7\n", "not a text file: it is a PDF document"),
        (b"\x89PNG\r\n\x1a\n", "not a text file: it is a PNG image"),
        (b"\n\n", "no usable header: the file holds only blank lines"),
    ],
)
def test_files_that_cannot_be_csv_are_rejected_with_a_reason(data, reason):
    with pytest.raises(Rejected, match="^" + reason.replace("(", r"\(").replace(")", r"\)") + "$"):
        detect(data, complete=True)


@pytest.mark.parametrize(
    ("data", "names", "decimal"),
    [
        (b"Valor\r\n1.234,56\r\n7,5\r\n0,25\r\n", ["Valor"], ","),
        (b'"valor"\r\n"91746,69"\r\n', ["valor"], ","),
        (b"Endere\xe7o\r\nRua A, 10\r\nRua B, 20\r\n", ["Endereço"], "."),
        (b"email\nann@x.com\nbob@y.com; carl@z.com\ndan@w.com\n", ["email"], "."),
        (b"nome\nAna|Bo\nCy\nDi\n", ["nome"], "."),
        (b'"nota"\n"linha 1,\nlinha 2"\n"d\'agua"\n"ok"\n', ["nota"], "."),
    ],
)
def test_a_column_whose_texts_hold_a_delimiter_is_one_column(data, names, decimal):
    dialect, structure = detect(data, complete=True)

    assert (structure.names, dialect.decimal, dialect.quotechar) == (names, decimal, '"')


@pytest.mark.parametrize(
    "data",
    [
        b"Relat\xc3\xb3rio\n1;2,5\n2;3\n3;4\n",  # a title above headerless numbers
        b"Clientes\nnome;cidade\nAna;Rio\nBo;SP\n",  # a title above named columns
        b"id;valor\n1;x\n2;y\n",
    ],
)
def test_a_table_below_a_one_name_line_is_still_split(data):
    dialect, structure = detect(data, complete=True)

    assert dialect.delimiter == ";" and len(structure.names) == 2


@pytest.mark.parametrize(
    ("data", "escapechar"),
    [
        (b'id,t\n1,"disse \\""oi\\"""\n2,x\n', None),  # the csv module's doubling of `disse \"oi\"`
        (b'id,p\n1,"7o\\\\"\n2,x\n', None),
        (b'id,t\n1,"a \\"b\\" c"\n2,"x, \\"y\\""\n', "\\"),
    ],
)
def test_a_backslash_escapes_only_where_doubled_quotes_cannot_read_the_file(data, escapechar):
    assert detect(data, complete=True)[0].escapechar == escapechar


def test_a_quote_that_never_closes_in_the_sample_is_text_and_a_quoted_line_break_is_not():
    stray = ['"id,name,v\n', "2,a,1\n", "3,b,2\n", "4,c,3\n"]
    spanning = ["id,note,v\n", '1,"one\n', "two\n", 'three",5\n', "2,x,6\n"]

    assert [r.fields for r in records(stray, Quoting(","))] == [
        ['"id', "name", "v"],
        ["2", "a", "1"],
        ["3", "b", "2"],
        ["4", "c", "3"],
    ]
    assert [(r.first, r.last, r.fields) for r in records(spanning, Quoting(","))] == [
        (1, 1, ["id", "note", "v"]),
        (2, 4, ["1", "one\ntwo\nthree", "5"]),
        (5, 5, ["2", "x", "6"]),
    ]


@pytest.mark.parametrize(
    ("data", "quotechar"),
    [
        (b"a\r'x\r\ny'\rz\r", "'"),  # once, around a line break, in a file of CR line ends
        (b"a;b\n1; 'p;q'\n2;r\n", "'"),  # once, around the delimiter, after a blank
        (b"a,b\n1,'x\n2,y\n", '"'),  # opens a field, never closes one
        (b"a,b\n1,'x'y\n2,y'\n", '"'),  # closes only inside texts
    ],
)
def test_an_apostrophe_is_the_quote_only_where_it_opens_and_closes_a_field_that_needs_it(data, quotechar):
    dialect, _ = detect(data, complete=True)
    assert dialect.quotechar == quotechar
