"""Dialect detection on the first bytes of real files."""

from __future__ import annotations

import codecs

import pytest

from csvlake.dialect import detect
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
