"""The pipeline end to end on real files, through a directory store."""

from __future__ import annotations

import csv
import gzip
import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from csvlake import types
from csvlake.chunks import block_size, encoded
from csvlake.config import Config
from csvlake.errors import StoreError
from csvlake.local.fs import DirectoryStore
from csvlake.pipeline import process
from csvlake.ports import ObjectRef
from csvlake.writer import _csv_ready
from support import DATA, PT_BR_DIALECT, LocalLake


def without_run_details(report: dict) -> dict:
    """The report minus what differs between runs: timing, and the directory store's mtime-based ETag."""
    return {k: v for k, v in report.items() if k not in ("started_at", "duration_ms", "source")}


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_semicolon_cp1252_file_keeps_decimal_values_dates_and_zip_codes(lake):
    report = lake.ingest("ptbr_cp1252.csv")

    assert report["status"] == "processed"
    assert report["dialect"] == PT_BR_DIALECT
    processed = lake.read("processed/ptbr_cp1252.csv")
    assert not processed.startswith(b"\xef\xbb\xbf") and b"\r\n" not in processed
    assert rows_of(processed) == [
        ["codigo", "descricao", "preco_unitario", "data", "cep", "ativo"],
        ["1", "Pão de açúcar", "1234.56", "2024-12-25", "00501", "true"],
        ["2", "Feijão", "-7.5", "2025-01-01", "01310", "false"],
        ["3", "Café", "0.1", "2025-01-31", "", "true"],
    ]
    columns = {c["name"]: c for c in report["columns"]}
    assert columns["preco_unitario"]["source_name"] == "Preço Unitário"
    assert [columns[n]["type"] for n in ("codigo", "preco_unitario", "data", "cep", "ativo")] == [
        "integer",
        "number",
        "date",
        "string",
        "boolean",
    ]
    assert columns["preco_unitario"]["min"] == -7.5 and columns["preco_unitario"]["max"] == 1234.56
    assert columns["cep"]["nulls"] == 1 and columns["cep"]["count"] == 2


def test_rows_with_wrong_field_count_are_rejected_with_their_source_lines(lake):
    report = lake.ingest("bad_rows.csv")

    assert report["status"] == "partial"
    assert report["rows"] == {"read": 5, "written": 3, "rejected": 2}
    # Line 2 holds a record that spans two lines, line 5 is blank.
    assert report["errors"] == [
        {
            "line": 4,
            "column": None,
            "rule": "structure",
            "severity": "error",
            "value": None,
            "message": "expected 3 fields, found 2",
        },
        {
            "line": 7,
            "column": None,
            "rule": "structure",
            "severity": "error",
            "value": None,
            "message": "expected 3 fields, found 4",
        },
    ]
    assert report["error_count"] == 2
    rejected = rows_of(lake.read("quarantine/bad_rows.rejected.csv"))
    assert rejected == [
        ["id", "name", "score", "_extra_1", "_line", "_error"],
        ["2", "short", "", "", "4", "expected 3 fields, found 2"],
        ["4", "too", "many", "fields", "7", "expected 3 fields, found 4"],
    ]
    assert rows_of(lake.read("processed/bad_rows.csv"))[1:] == [
        ["1", "multi\nline", "3.5"],
        ["3", "ok", "4"],
        ["5", "last", "6"],
    ]


def test_block_boundaries_do_not_change_the_result(lake, small_blocks_lake):
    for name in ("bad_rows.csv", "ptbr_cp1252.csv", "crlf_quoted.csv", "stray_quote.csv", "types.csv"):
        big = lake.ingest(name)
        small = small_blocks_lake.ingest(name)
        assert lake.read(big["outputs"]["processed"]) == small_blocks_lake.read(small["outputs"]["processed"]), name
        assert without_run_details(big) == without_run_details(small), name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.csv", "empty file (0 bytes)"),
        ("only_blank_lines.csv", "no usable header: the file holds only blank lines"),
        (
            "xlsx_renamed.csv",
            "not a text file: it is a ZIP archive (an .xlsx workbook is one): export the sheet as CSV",
        ),
        ("binary.csv", "not a text file: 12 NUL bytes in the first 784 bytes"),
        ("corrupt.csv.gz", "not a valid gzip stream: truncated"),
    ],
)
def test_whole_file_rejection_quarantines_the_original_bytes_with_a_reason(lake, name, reason):
    report = lake.ingest(name)

    assert report["status"] == "rejected"
    assert report["reason"] == reason
    assert report["outputs"]["quarantine"] == f"quarantine/{name}"
    assert report["outputs"]["processed"] is None
    assert lake.read(f"quarantine/{name}") == (DATA / name).read_bytes()
    assert not any(k.startswith("processed/") for k in lake.object_keys())


def test_gzip_input_is_decompressed_and_named_without_its_suffixes(lake):
    report = lake.ingest("gzipped.csv.gz")

    assert report["outputs"]["processed"] == "processed/gzipped.csv"
    assert report["outputs"]["report"] == "reports/gzipped.json"
    assert rows_of(lake.read("processed/gzipped.csv")) == [["a", "b"], ["1", "2.5"], ["3", "4"]]


def test_string_cells_that_spreadsheets_run_as_formulas_are_prefixed_numbers_are_not(lake):
    lake.ingest("formulas.csv")

    assert rows_of(lake.read("processed/formulas.csv")) == [
        ["id", "cell", "amount"],
        ["1", "'=1+2", "-5"],
        ["2", "'+cmd", "3"],
        ["3", "'@SUM(A1)", "0"],
        ["4", "'-x", "1"],
        ["5", "plain", "2"],
    ]


def test_parquet_output_has_the_same_rows_and_names_typed(parquet_lake):
    report = parquet_lake.ingest("ptbr_cp1252.csv")

    assert report["outputs"]["processed"] == "processed/ptbr_cp1252.parquet"
    table = pq.read_table(io.BytesIO(parquet_lake.read("processed/ptbr_cp1252.parquet")))
    assert [str(t) for t in table.schema.types] == ["int64", "string", "double", "date32[day]", "string", "bool"]
    assert table.column("preco_unitario").to_pylist() == [1234.56, -7.5, 0.1]
    assert table.column("cep").to_pylist() == ["00501", "01310", None]


def test_duplicate_and_blank_headers_are_renamed_with_warnings_and_no_column_is_dropped(lake):
    report = lake.ingest("dup_headers.csv")

    assert [(c["name"], c["source_name"]) for c in report["columns"]] == [
        ("name", "Name"),
        ("name_2", "name"),
        ("column_3", ""),
        ("preco", "Preço"),
        ("column_5", ""),
    ]
    assert len(report["warnings"]) == 3
    assert rows_of(lake.read("processed/dup_headers.csv"))[1] == ["1", "2", "3", "4", "5"]


def test_columns_with_neither_name_nor_value_are_left_out_with_a_warning(lake):
    # An export that ends every line with delimiters; column 3 has no name but a value in one row.
    data = "a;b;;;\r\n1;x;;;\r\n2;y;z;;\r\n3;;;;\r\n".encode("cp1252")

    report = lake.ingest("trail.csv", data)

    assert [(c["name"], c["source_name"]) for c in report["columns"]] == [("a", "a"), ("b", "b"), ("column_3", "")]
    assert "column(s) 4, 5: no name and no value in any row; left out of the copy" in report["warnings"]
    assert rows_of(lake.read("processed/trail.csv")) == [
        ["a", "b", "column_3"],
        ["1", "x", ""],
        ["2", "y", "z"],
        ["3", "", ""],
    ]
    assert report["rows"] == {"read": 3, "written": 3, "rejected": 0}


def test_file_without_header_gets_generated_names(lake):
    report = lake.ingest("headerless.csv")

    assert report["dialect"]["header"] is False
    assert [(c["name"], c["source_name"], c["type"]) for c in report["columns"]] == [
        ("column_1", None, "integer"),
        ("column_2", None, "string"),
        ("column_3", None, "number"),
    ]
    assert report["rows"]["written"] == 3


def test_a_quote_inside_an_unquoted_field_is_kept_as_text(lake):
    report = lake.ingest("stray_quote.csv")

    assert report["status"] == "processed"
    assert rows_of(lake.read("processed/stray_quote.csv"))[1:] == [
        ["1", 'Monitor 27" wide', "199.9"],
        ["2", "Cable", "5"],
        ["3", "Desk, oak", "300"],
    ]


@pytest.mark.parametrize(
    ("name", "line", "message", "written"),
    [
        ("nul_row.csv", 3, "contains a NUL byte", 2),
        ("invalid_utf8.csv", 3, "invalid UTF-8 byte sequence", 2),
    ],
)
def test_rows_that_cannot_be_read_are_rejected_not_the_file(lake, name, line, message, written):
    report = lake.ingest(name)

    assert report["status"] == "partial"
    assert report["errors"][0] == {
        "line": line,
        "column": None,
        "rule": "structure",
        "severity": "error",
        "value": None,
        "message": message,
    }
    assert report["rows"]["written"] == written


def test_a_quote_that_never_closes_is_text_when_each_line_it_took_is_a_whole_row(lake):
    report = lake.ingest("unterminated.csv")

    assert report["status"] == "processed"
    assert rows_of(lake.read("processed/unterminated.csv"))[1:] == [["1", "x"], ["2", '"never closed'], ["3", "y"]]


def test_a_stray_quote_does_not_join_the_lines_up_to_the_next_quote(lake):
    # Each quote opens a field that the next one "closes" 6 lines later, but no line alone needs one.
    body = [f"{i},item {i},{i}.5" for i in range(1, 11)]
    body[2] = '3,"12 inch pipe,3.5'
    body[8] = '9,Ann "X,9.5'
    report = lake.ingest("stray.csv", ("id,name,v\n" + "\n".join(body) + "\n").encode())

    assert report["rows"] == {"read": 10, "written": 10, "rejected": 0}
    rows = rows_of(lake.read("processed/stray.csv"))[1:]
    assert rows[2] == ["3", '"12 inch pipe', "3.5"] and rows[8] == ["9", 'Ann "X', "9.5"]
    assert [r[1] for r in rows[3:8]] == [f"item {i}" for i in range(4, 9)]


def test_a_quoted_field_that_really_spans_lines_and_never_closes_is_rejected(lake):
    report = lake.ingest("open.csv", b'a,b\n1,x\n2,"never closed\nstill, open, here\n')

    assert report["rows"] == {"read": 2, "written": 1, "rejected": 1}
    assert [(e["line"], e["message"]) for e in report["errors"]] == [(3, "quoted field is never closed")]


def test_other_encodings_and_delimiters_become_utf8_with_commas(lake):
    assert lake.ingest("utf8_bom.csv")["dialect"]["encoding"] == "utf-8-sig"
    assert rows_of(lake.read("processed/utf8_bom.csv")) == [["name", "city"], ["José", "São Paulo"]]
    assert lake.ingest("utf16.csv")["dialect"]["encoding"] == "utf-16"
    assert rows_of(lake.read("processed/utf16.csv")) == [["id", "name"], ["1", "Zoë"], ["2", "Jürgen"]]
    assert lake.ingest("pipes.csv")["dialect"]["delimiter"] == "|"
    assert rows_of(lake.read("processed/pipes.csv")) == [["a", "b", "c"], ["1", "x", "2.5"], ["2", "y", "3"]]


def test_output_keys_keep_folders_spaces_accents_and_plus(lake):
    key = "raw/vendas/2024 São Paulo+Rio.CSV"
    report = lake.ingest("pipes.csv", key=key)

    assert report["source"]["key"] == key
    assert report["outputs"]["processed"] == "processed/vendas/2024 São Paulo+Rio.csv"
    assert lake.exists("reports/vendas/2024 São Paulo+Rio.json")


def test_processing_the_same_object_twice_gives_identical_outputs(lake):
    first = lake.ingest("bad_rows.csv")
    outputs = {k: lake.read(k) for k in lake.object_keys() if not k.startswith("reports/")}
    second = lake.ingest("bad_rows.csv")

    assert {k: lake.read(k) for k in lake.object_keys() if not k.startswith("reports/")} == outputs
    assert without_run_details(first) == without_run_details(second)


class FailingStore(DirectoryStore):
    """A directory whose reads fail the way a throttled or unreachable S3 does."""

    def open(self, ref):
        raise StoreError("SlowDown")


def test_store_failures_propagate_so_the_event_is_retried(tmp_path):
    with pytest.raises(StoreError):
        process(FailingStore(tmp_path), ObjectRef("lake", "raw/a.csv"), Config())
    assert not any(tmp_path.rglob("*.json"))


def test_an_unforeseen_error_still_ends_in_quarantine_with_a_report(lake, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("simulated defect")

    monkeypatch.setattr(types, "convert", broken)
    report = lake.ingest("pipes.csv")

    assert report["status"] == "rejected"
    assert report["reason"] == "could not be processed: ValueError: simulated defect"
    assert lake.read("quarantine/pipes.csv") == (DATA / "pipes.csv").read_bytes()
    assert not lake.exists("processed/pipes.csv")


def test_header_only_file_gives_an_empty_processed_copy(lake):
    report = lake.ingest("header_only.csv", data=b"id;name\r\n")

    assert report["status"] == "processed"
    assert report["rows"] == {"read": 0, "written": 0, "rejected": 0}
    assert lake.read("processed/header_only.csv") == b"id,name\n"
    assert [c["type"] for c in report["columns"]] == ["string", "string"]


def test_cp1252_file_whose_first_part_is_plain_ascii_is_read_as_cp1252(lake):
    head = "id;nome;valor\r\n" + "".join(f"{i};cliente {i};{i},50\r\n" for i in range(30_000))
    data = (head + "30000;João;1.234,56\r\n").encode("cp1252")
    assert len(head) > 256 * 1024 and data[:300_000].isascii()

    report = lake.ingest("late_accents.csv", data=data)

    assert report["status"] == "processed" and report["dialect"]["encoding"] == "cp1252"
    assert rows_of(lake.read("processed/late_accents.csv"))[-1] == ["30000", "João", "1234.56"]


def test_a_header_of_non_latin_letters_gets_a_generated_name_and_says_why(lake):
    report = lake.ingest("jp.csv", data="名前,age\nたろう,3\n".encode())

    assert [(c["name"], c["source_name"]) for c in report["columns"]] == [("column_1", "名前"), ("age", "age")]
    assert report["warnings"] == ["column 1 header '名前' has no ASCII letter or digit; named 'column_1'"]


STRAY = b'id,desc,qty\n1,27" monitor,3\n'


@pytest.mark.parametrize(
    ("data", "status", "rows", "errors"),
    [
        # A quote inside an unquoted field is text, wherever it stands, and nothing after it is lost.
        (STRAY + b"2,item,5\n" * 10, "processed", [["1", '27" monitor', "3"]] + [["2", "item", "5"]] * 10, []),
        (b"item,size,qty\nrod,1,3\nrod 5'11\",1,3\n", "processed", [["rod", "1", "3"], ["rod 5'11\"", "1", "3"]], []),
        (b'name,size (")\na,1\nb,2\nc,3\n', "processed", [["a", "1"], ["b", "2"], ["c", "3"]], []),
        # A row with one field too many is rejected; the next row is not shifted into its place.
        (b"name,height\nBob,5'11\",6'2\"\nAl,6\n", "partial", [["Al", "6"]], [(2, "expected 2 fields, found 3")]),
        # A field longer than the csv module's default limit, in a block it has to parse.
        (
            b'id,text,n\n1,"' + b"x" * 140_000 + b'",2\n2,5\'11",6\'2"\n',
            "processed",
            [["1", "x" * 140_000, "2"], ["2", "5'11\"", "6'2\""]],
            [],
        ),
        # Lines of nothing but spaces, tabs or DOS's end-of-file mark are blank lines.
        (b"a,b\n1,2\n   \n\t\n3,4\n\x1a", "processed", [["1", "2"], ["3", "4"]], []),
        (b"i\n+5\n3\n", "processed", [["5"], ["3"]], []),
        (
            "Nome;Valor (R$, mil)\nJoão;1,5\nMaria;2,75\n".encode(),
            "processed",
            [["João", "1.5"], ["Maria", "2.75"]],
            [],
        ),
        # cp1252 with one byte it leaves undefined: the other bytes keep their cp1252 meaning.
        (
            b"nome;valor\n\x80 caf\xe9;1\nx\x81;2\n\x93aspas\x94;3\n",
            "processed",
            [["€ café", "1"], ["x\x81", "2"], ["“aspas”", "3"]],
            [],
        ),
    ],
)
@pytest.mark.parametrize("block_size", [64, 8 * 1024 * 1024])
def test_hostile_quoting_and_odd_bytes_lose_nothing(tmp_path, data, status, rows, errors, block_size):
    lake = LocalLake(tmp_path, Config(block_size=block_size))
    report = lake.ingest("case.csv", data=data)

    assert report["status"] == status
    assert rows_of(lake.read("processed/case.csv"))[1:] == rows
    assert [(e["line"], e["message"]) for e in report["errors"]] == errors


def test_a_stray_quote_in_a_file_larger_than_a_block_keeps_every_row(tmp_path):
    lake = LocalLake(tmp_path, Config(block_size=4096))
    report = lake.ingest("big.csv", data=STRAY + b"2,item,5\n" * 20_000)

    assert report["rows"] == {"read": 20_001, "written": 20_001, "rejected": 0}


def test_statistics_of_huge_numbers_stay_valid_json(lake):
    report = lake.ingest("huge.csv", data=b"x\n1.7e308\n1.7e308\n")

    column = report["columns"][0]
    assert (column["type"], column["mean"], column["std"]) == ("number", None, None)
    assert b"Infinity" not in lake.read("reports/huge.json") and b"NaN" not in lake.read("reports/huge.json")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("a,b\n1,2\n".encode("utf-16-le"), "not a text file: 8 NUL bytes in the first 16 bytes"),
    ],
)
def test_utf16_without_bom_is_rejected_rather_than_misread(lake, data, reason):
    assert lake.ingest("u16.csv", data=data)["reason"] == reason


def test_gzip_with_zero_padding_after_the_member_is_read(lake):
    report = lake.ingest("padded.csv.gz", data=gzip.compress(b"a,b\n1,2\n", mtime=0) + b"\x00" * 512)

    assert report["status"] == "processed" and report["rows"]["written"] == 1


def test_a_new_version_leaves_no_output_of_the_old_one_that_contradicts_its_report(lake):
    lake.ingest("v.csv", data=b"a,b\n1,2\n3\n")
    assert lake.exists("quarantine/v.rejected.csv")

    clean = lake.ingest("v.csv", data=b"a,b\n1,2\n")
    assert clean["outputs"]["rejected_rows"] is None and not lake.exists("quarantine/v.rejected.csv")

    rejected = lake.ingest("v.csv", data=b"PK\x03\x04 not a csv")
    assert rejected["status"] == "rejected"
    assert not lake.exists("processed/v.csv") and not lake.exists("quarantine/v.rejected.csv")


def test_a_file_named_like_rejected_rows_never_overwrites_them(lake):
    lake.ingest("col.csv", data=b"a,b\n1,2\n3\n")
    rows = lake.read("quarantine/col.rejected.csv")

    report = lake.ingest("col.rejected.csv", data=b"PK\x03\x04 not a csv")

    assert report["outputs"]["quarantine"] == "quarantine/col.rejected.csv.original"
    assert lake.read("quarantine/col.rejected.csv") == rows


def test_rejected_rows_columns_never_repeat_a_source_column_name(lake):
    lake.ingest("names.csv", data=b"_line,_error,x\n1,2,3\n4,5\n")

    assert rows_of(lake.read("quarantine/names.rejected.csv")) == [
        ["_line", "_error", "x", "_line_2", "_error_2"],
        ["4", "5", "", "3", "expected 3 fields, found 2"],
    ]


def test_a_cr_inside_a_quoted_field_of_an_old_mac_file_is_kept(lake):
    report = lake.ingest("mac.csv", data=b'a,b\r1,"x\ry"\r2,z\r')

    assert report["dialect"]["line_ending"] == "CR"
    assert rows_of(lake.read("processed/mac.csv"))[1:] == [["1", "x\ry"], ["2", "z"]]


def test_an_empty_gzip_stream_says_so(lake):
    report = lake.ingest("nothing.csv.gz", data=gzip.compress(b"", mtime=0))

    assert report["reason"] == "empty file: the gzip stream holds no bytes"


def test_reading_dots_as_thousands_without_evidence_is_reported(lake):
    report = lake.ingest("thousands.csv", data=b"id;v\n1;1.500\n2;2.250\n")

    assert rows_of(lake.read("processed/thousands.csv"))[1:] == [["1", "1500"], ["2", "2250"]]
    assert report["warnings"] == [
        "no number with a decimal comma in the first rows: values like 1.500 are read with '.' "
        "grouping thousands (1500), as in the locales that separate fields with ';'"
    ]
    assert lake.ingest("evident.csv", data=b"id;v\n1;1.500,5\n2;2.250\n")["warnings"] == []


def test_quartiles_are_exact_for_small_files_and_sampled_the_same_way_for_large_ones(tmp_path):
    small = LocalLake(tmp_path / "s", Config()).ingest("q.csv", data=b"v\n1\n2\n3\n4\n5\n")["columns"][0]
    assert (small["p25"], small["p50"], small["p75"], small["quantiles_exact"]) == (2, 3, 4, True)

    data = ("v\n" + "".join(f"{(i * 7919) % 30_000}\n" for i in range(30_000))).encode()
    big = LocalLake(tmp_path / "b", Config()).ingest("q.csv", data=data)["columns"][0]
    chunked = LocalLake(tmp_path / "c", Config(block_size=4096)).ingest("q.csv", data=data)["columns"][0]

    assert big["quantiles_exact"] is False
    for name, true in (("p25", 7_500), ("p50", 15_000), ("p75", 22_500)):
        assert abs(big[name] - true) < 0.02 * 30_000, (name, big[name])
    quartiles = ("p25", "p50", "p75", "quantiles_exact")
    # The sample depends on row numbers, not on how the file was cut.
    assert [big[q] for q in quartiles] == [chunked[q] for q in quartiles]


def test_a_bad_row_before_an_unclosed_quote_keeps_its_own_fields(lake):
    report = lake.ingest("open.csv", data=b'a,b\n1,2,3\n4,"open\n')

    assert [(e["line"], e["message"]) for e in report["errors"]] == [
        (2, "expected 2 fields, found 3"),
        (3, "quoted field is never closed"),
    ]
    assert rows_of(lake.read("quarantine/open.rejected.csv"))[1] == ["1", "2", "3", "2", "expected 2 fields, found 3"]


@pytest.mark.parametrize("block_size", [64, 8 * 1024 * 1024])
def test_line_numbers_count_the_newlines_in_quoted_fields_and_the_blank_lines(tmp_path, block_size):
    # GIVEN records spanning lines (one with quotes, delimiters and CRLF inside) and CRLF blank lines
    lake = LocalLake(tmp_path, Config(block_size=block_size))
    lake.drop("contracts/d.yaml", b"fields:\n  - name: n\n    type: integer\n    maximum: {value: 1, severity: warn}\n")
    body = 'n;text\r\n1;"two\r\nlines"\r\n\r\n2;x\r\n1;"a ""quoted""\r\n; and ;"\r\n\r\n3;y\r\n'
    report = lake.ingest("f.csv", body.encode(), key="raw/d/f.csv")

    # THEN every row is kept, and each warning names the line where its record starts
    assert report["rows"] == {"read": 4, "written": 4, "rejected": 0}
    assert [(e["line"], e["value"]) for e in report["errors"]] == [(5, "2"), (9, "3")]
    assert rows_of(lake.read("processed/d/f.csv")) == [
        ["n", "text"],
        ["1", "two\r\nlines"],
        ["2", "x"],
        ["1", 'a "quoted"\r\n; and ;'],
        ["3", "y"],
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_a_column_parsed_in_several_chunks_is_encoded_as_one(encoding):
    """Arrow's parser returns a block's column in pieces; each piece has texts the others lack and
    texts they share. Encoded, the column reads back as the texts, in order, decoded."""
    pieces = [["São", "a", "b"], ["b", "c", "São"], [], ["d", "a"]]
    kind = pa.string() if encoding == "utf-8" else pa.binary()
    column = pa.chunked_array([pa.array([t.encode(encoding) for t in p], kind) for p in pieces], kind)

    result = encoded(column, encoding)

    assert result.dictionary.type == pa.string()
    assert result.to_pylist() == [t for p in pieces for t in p]
    assert sorted(result.dictionary.to_pylist()) == ["São", "a", "b", "c", "d"]
    assert len(encoded(pa.chunked_array([], kind), encoding)) == 0


def test_formula_cells_are_told_by_their_first_character_in_slices_with_nulls_and_empties():
    texts = ["ok", "=1", None, "", "\tx", "\rx", "é=", "-x", "a-", "@b", "+A1"]
    values = pa.array(["=hidden", *texts, "+hidden"]).slice(1, len(texts))

    assert _csv_ready(values).to_pylist() == ["ok", "'=1", None, "", "'\tx", "'\rx", "é=", "'-x", "a-", "'@b", "'+A1"]
    assert _csv_ready(pa.array(["", None])).to_pylist() == ["", None]


def test_signed_numbers_in_text_columns_keep_their_value_and_calls_behind_a_sign_do_not():
    kept = ["-", "-4.00", "+55 (11) 9999-8888", "-1.234,56", "+12,5%", "--", "-10:30", "-£30,000.00", "-R$ 5,00"]
    risky = ["-2+3+cmd|' /C calc'!A0", "+SUM(A1)", "-x", "=1"]

    assert _csv_ready(pa.array(kept + risky)).to_pylist() == kept + ["'" + t for t in risky]


def test_wide_files_are_read_in_bigger_blocks_up_to_five():
    config = Config(block_size=1000)

    sizes = [block_size(config, ncols) for ncols in (1, 59, 60, 130, 250, 300, 5000)]

    assert sizes == [1000, 1000, 1000, 2000, 4000, 5000, 5000]


def test_a_header_name_of_two_lines_counts_both_lines_as_the_headers(lake):
    report = lake.ingest("names.csv", b'"First\nName",Age\nAna,3\n"Carl\nX",5\n')

    assert (report["lines"]["total"], report["lines"]["header"], report["lines"]["data"]) == (5, 2, 3)
    assert report["rows"] == {"read": 2, "written": 2, "rejected": 0}


def test_a_header_with_a_repeated_and_a_blank_name_stays_the_header_over_rows_counting_up(lake):
    # The first row, 1,2,3,4, counts up like pandas' column numbers, but the line above is the header.
    report = lake.ingest("counting.csv", b"a,a,,b\n1,2,3,4\n5,6,7,8\n")

    assert [c["name"] for c in report["columns"]] == ["a", "a_2", "column_3", "b"]
    assert report["rows"] == {"read": 2, "written": 2, "rejected": 0}
