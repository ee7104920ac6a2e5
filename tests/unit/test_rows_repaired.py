"""Rows that real exports get slightly wrong, read as meant through the whole pipeline: a trailing
delimiter on a row (its one extra field empty), rows of only empty fields among the data, and the
header repeated where exports were joined. Each is read in small and default blocks, which take the
reader's different framing paths."""

from __future__ import annotations

import csv
import io

import pytest

from csvlake.config import Config
from support import LocalLake

BLOCK_SIZES = (64, Config().block_size)


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def _ingest(tmp_path, block_size: int, data: bytes) -> tuple[dict, list[list[str]]]:
    lake = LocalLake(tmp_path, Config(block_size=block_size))
    report = lake.ingest("t.csv", data=data)
    return report, _rows(lake.read("processed/t.csv"))


def _accounted(report: dict) -> None:
    """Every line is the header's, a row's, or skipped; rows read are written or rejected."""
    lines, rows = report["lines"], report["rows"]
    assert lines["total"] == lines["header"] + lines["data"] + lines["skipped"]
    assert rows["read"] == rows["written"] + rows["rejected"]


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
@pytest.mark.parametrize("eol", [b"\n", b"\r\n"])
def test_a_row_with_one_empty_trailing_field_is_kept_and_counted(tmp_path, block_size, eol):
    data = eol.join([b"id,name,ok", b"1,Ana,true", b"2,Bia,false,", b"3,Caio,true", b""])

    report, processed = _ingest(tmp_path, block_size, data)

    assert report["status"] == "processed"
    assert report["rows"] == {"read": 3, "written": 3, "rejected": 0}
    assert processed == [["id", "name", "ok"], ["1", "Ana", "true"], ["2", "Bia", "false"], ["3", "Caio", "true"]]
    assert [w for w in report["warnings"] if "trailing delimiter" in w] == [
        "1 row(s) end with one field more than the header, empty (a trailing delimiter): "
        "that field was dropped and the rows kept"
    ]
    assert report["lines"]["data"] == 3
    _accounted(report)


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
@pytest.mark.parametrize(
    "row",
    [b"2,Bia,false,x", b"2,Bia,false,,", b'2,Bia,false,""', b"2,Bia"],
    ids=["a value", "two empty", "quoted empty", "short"],
)
def test_a_row_with_anything_else_wrong_in_its_width_stays_rejected(tmp_path, block_size, row):
    data = b"id,name,ok\n1,Ana,true\n" + row + b"\n3,Caio,true\n"

    report, processed = _ingest(tmp_path, block_size, data)

    assert report["rows"] == {"read": 3, "written": 2, "rejected": 1}
    assert [e["line"] for e in report["errors"]] == [3]
    assert processed[1:] == [["1", "Ana", "true"], ["3", "Caio", "true"]]
    assert not [w for w in report["warnings"] if "trailing delimiter" in w]
    _accounted(report)


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_rows_of_only_empty_fields_among_the_data_are_skipped_as_empty_rows(tmp_path, block_size):
    data = b'id,name,score\n1,Ana,1\n,,\n2,Bia,2\n"","",""\n3,Caio,3\n'

    report, processed = _ingest(tmp_path, block_size, data)

    assert report["rows"] == {"read": 3, "written": 3, "rejected": 0}
    assert processed == [["id", "name", "score"], ["1", "Ana", "1"], ["2", "Bia", "2"], ["3", "Caio", "3"]]
    assert report["skipped_lines"] == [
        {"line": 3, "reason": "empty row", "text": ",,"},
        {"line": 5, "reason": "empty row", "text": '"","",""'},
    ]
    assert report["lines"]["skipped_by_reason"] == {"empty row": 2}
    assert [c["type"] for c in report["columns"]] == ["integer", "string", "integer"]
    assert report["columns"][0]["nulls"] == 0
    _accounted(report)


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_an_empty_value_of_a_one_column_file_is_a_null_row(tmp_path, block_size):
    report, processed = _ingest(tmp_path, block_size, b'n\n1\n""\n3\n')

    assert report["rows"] == {"read": 3, "written": 3, "rejected": 0}
    assert processed == [["n"], ["1"], [""], ["3"]]
    assert report["skipped_lines"] == []


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_the_header_repeated_among_the_rows_is_skipped(tmp_path, block_size):
    data = b"id,name\n1,Ana\n2,Bia\n3,Caio\n4,Duda\nid,name\n5,Eva\n6,Fabi\n"

    report, processed = _ingest(tmp_path, block_size, data)

    assert report["rows"] == {"read": 6, "written": 6, "rejected": 0}
    assert processed[1:] == [[str(i), name] for i, name in enumerate(["Ana", "Bia", "Caio", "Duda", "Eva", "Fabi"], 1)]
    assert report["skipped_lines"] == [{"line": 6, "reason": "repeated header", "text": "id,name"}]
    assert report["columns"][0]["type"] == "integer"
    assert [e["line"] for e in report["errors"]] == []
    _accounted(report)


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_a_row_that_only_starts_like_the_header_is_data(tmp_path, block_size):
    data = b"id,name\n1,Ana\nid,Bia\n3,Caio\n"

    report, processed = _ingest(tmp_path, block_size, data)

    assert report["rows"] == {"read": 3, "written": 3, "rejected": 0}
    assert processed[1:] == [["1", "Ana"], ["id", "Bia"], ["3", "Caio"]]
    assert report["skipped_lines"] == []


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_a_cp1252_file_skips_its_repeated_header_and_empty_rows(tmp_path, block_size):
    # A single-byte file's columns are parsed as bytes: the names are compared as the file spells them.
    data = "município;valor\nSão;1\nJoão;2\nmunicípio;valor\n;\nZé;3\n".encode("cp1252")

    report, processed = _ingest(tmp_path, block_size, data)

    assert report["dialect"]["encoding"] == "cp1252"
    assert report["rows"] == {"read": 3, "written": 3, "rejected": 0}
    assert processed[1:] == [["São", "1"], ["João", "2"], ["Zé", "3"]]
    assert report["skipped_lines"] == [
        {"line": 4, "reason": "repeated header", "text": "município;valor"},
        {"line": 5, "reason": "empty row", "text": ";"},
    ]
    _accounted(report)


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_a_cr_file_keeps_a_row_with_a_trailing_delimiter_and_skips_an_empty_row(tmp_path, block_size):
    data = b"id;name;ok\r1;Ana;true\r2;Bia;false;\r;;\r3;Caio;true\r"

    report, processed = _ingest(tmp_path, block_size, data)

    assert report["rows"] == {"read": 3, "written": 3, "rejected": 0}
    assert processed[1:] == [["1", "Ana", "true"], ["2", "Bia", "false"], ["3", "Caio", "true"]]
    assert report["skipped_lines"] == [{"line": 4, "reason": "empty row", "text": ";;"}]
    assert report["lines"]["total"] == 5
    _accounted(report)


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_a_one_column_file_keeps_a_value_that_is_its_name(tmp_path, block_size):
    report, processed = _ingest(tmp_path, block_size, b"x\n1\nx\n3\n")

    assert report["rows"] == {"read": 3, "written": 3, "rejected": 0}
    assert processed == [["x"], ["1"], ["x"], ["3"]]
    assert report["skipped_lines"] == []
