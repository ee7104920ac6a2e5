"""Dataset contracts end to end through a directory store: every rule, severity, file rule,
dialect override, invalid contract and drift case, on real bytes."""

from __future__ import annotations

import csv
import io
import json

import pytest

from csvlake.contract import FIELD_RULES, ContractError, parse
from support import ROOT, LocalLake

SALES = (
    "id;valor;data;uf;email\n"
    "1;10,5;01/02/2024;SP;ana@example.com\n"
    "2;-3;31/02/2024;XX;bob@example\n"
    "2;2000;03/02/2024;RJ;carla@example.com\n"
    "x;5;04/02/2024;SP;dan@example.com\n"
    "5;7,25;05/02/2024;;eve@example.com\n"
).encode("cp1252")

CONTRACT = """\
fields:
  - name: id
    type: integer
    unique: true
    nullable: false
  - name: valor
    type: number
    minimum: 0
    maximum: {value: 1000, severity: warn}
  - name: data
    type: date
    format: "%d/%m/%Y"
  - name: uf
    enum: [SP, RJ]
    rename: estado
  - name: email
    pattern: '[^@]+@[^@]+\\.[a-z]+'
"""


def ingest(lake: LocalLake, contract: str | None, data: bytes, name: str = "a.csv", dataset: str = "vendas") -> dict:
    if contract is not None:
        lake.drop(f"contracts/{dataset}.yaml", contract.encode())
    return lake.ingest(name, data, key=f"raw/{dataset}/{name}")


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def failures(report: dict) -> list[tuple[int, str | None, str, str]]:
    return [(e["line"], e["column"], e["rule"], e["severity"]) for e in report["errors"]]


def counts(report: dict) -> dict[tuple[str | None, str], int]:
    return {(r["column"], r["rule"]): r["failures"] for r in report["validation"]["rules"]}


def test_every_failure_of_every_row_is_reported_and_each_rejected_row_appears_once_with_all_reasons(lake):
    report = ingest(lake, CONTRACT, SALES)

    assert report["status"] == "partial"
    assert report["rows"] == {"read": 5, "written": 2, "rejected": 3}
    assert failures(report) == [
        (3, "valor", "minimum", "error"),
        (3, "data", "type", "error"),
        (3, "uf", "enum", "error"),
        (3, "email", "pattern", "error"),
        (4, "id", "unique", "error"),
        (4, "valor", "maximum", "warn"),
        (5, "id", "type", "error"),
    ]
    assert report["errors"][0]["value"] == "-3"
    rejected = rows(lake.read("quarantine/vendas/a.rejected.csv"))
    assert rejected[0] == ["id", "valor", "data", "uf", "email", "_line", "_error"]
    assert [r[5] for r in rejected[1:]] == ["3", "4", "5"]
    assert rejected[1][:5] == ["2", "-3", "31/02/2024", "XX", "bob@example"]
    assert rejected[1][6].count(";") == 3 and "uf: enum: 'XX' is not one of SP, RJ" in rejected[1][6]
    assert "valor" not in rejected[2][6]  # a warning is not a reason to reject
    assert rows(lake.read("processed/vendas/a.csv")) == [
        ["id", "valor", "data", "estado", "email"],
        ["1", "10.5", "2024-02-01", "SP", "ana@example.com"],
        ["5", "7.25", "2024-02-05", "", "eve@example.com"],
    ]
    assert counts(report) == {
        ("id", "type"): 1,
        ("id", "nullable"): 0,
        ("id", "unique"): 1,
        ("valor", "type"): 0,
        ("valor", "minimum"): 1,
        ("valor", "maximum"): 1,
        ("data", "type"): 1,
        ("uf", "enum"): 1,
        ("email", "pattern"): 1,
    }
    assert report["validation"]["contract"]["key"] == "contracts/vendas.yaml"
    # Statistics describe what was written, not the rejected rows.
    assert report["columns"][0]["count"] == 2 and report["columns"][0]["max"] == 5


def test_a_warning_keeps_the_row_and_is_reported(lake):
    contract = "fields:\n  - name: n\n    type: integer\n    maximum: {value: 10, severity: warn}\n"
    report = ingest(lake, contract, b"n\n5\n50\n")

    assert report["status"] == "processed" and report["rows"]["written"] == 2
    assert failures(report) == [(3, "n", "maximum", "warn")]
    assert report["errors"][0]["message"] == "50 is greater than the maximum 10"


def test_a_field_severity_applies_to_all_its_rules(lake):
    contract = "fields:\n  - name: s\n    severity: warn\n    min_length: 3\n    enum: [abc, abcd]\n"
    report = ingest(lake, contract, b"s\nab\nabc\n")

    assert report["status"] == "processed"
    assert failures(report) == [(2, "s", "min_length", "warn"), (2, "s", "enum", "warn")]


@pytest.mark.parametrize(
    ("field", "values", "bad_lines"),
    [
        ("type: integer", ["1", "1.5", "99999999999999999999", "+7", ""], [3, 4]),
        ("type: number", ["1.5", "1e3", "abc", "-0.5"], [4]),
        ("type: boolean", ["true", "FALSE", "yes", "1", "0", "2"], [4, 7]),
        ("type: date", ["2024-01-31", "2024-02-30", "31/01/2024"], [3, 4]),
        ("type: datetime\n    format: '%d/%m/%Y %H:%M'", ["31/01/2024 10:00", "31/01/2024", "1/2/2024 9:05"], [3]),
        ("nullable: false", ["a", "", "NULL", "b"], [3, 4]),
        ("min_length: 2\n    max_length: 3", ["a", "ab", "abcd", ""], [2, 4]),
        ("pattern: '[A-Z]{2}'", ["SP", "sp", "SPX", ""], [3, 4]),
        ("type: integer\n    minimum: 0\n    maximum: 9", ["0", "-1", "9", "10"], [3, 5]),
        ("type: date\n    minimum: '2024-01-01'", ["2023-12-31", "2024-01-01"], [2]),
        ("type: integer\n    enum: [1, 2]", ["1", "3", "2"], [3]),
        ("type: string\n    enum: ['01', '02']", ["01", "1", "02"], [3]),
    ],
)
def test_each_row_rule_rejects_exactly_the_rows_that_break_it(lake, field, values, bad_lines):
    contract = f"fields:\n  - name: v\n    {field}\n"
    data = ("v;k\n" + "".join(f"{v};{i}\n" for i, v in enumerate(values))).encode()
    report = ingest(lake, contract, data)

    assert [e["line"] for e in report["errors"]] == bad_lines
    assert report["rows"]["rejected"] == len(bad_lines)
    if bad_lines:
        assert [int(r[-2]) for r in rows(lake.read("quarantine/vendas/a.rejected.csv"))[1:]] == bad_lines


def test_unique_holds_across_the_whole_file_not_only_within_a_chunk(small_blocks_lake):
    data = ("id\n" + "".join(f"{i % 50}\n" for i in range(120))).encode()
    report = ingest(small_blocks_lake, "fields:\n  - name: id\n    type: integer\n    unique: true\n", data)

    assert report["rows"] == {"read": 120, "written": 50, "rejected": 70}
    assert report["errors"][0] == {
        "line": 52,
        "column": "id",
        "rule": "unique",
        "severity": "error",
        "value": "0",
        "message": "'0' already appears at line 2",
    }


def test_a_missing_required_column_rejects_the_file_and_names_the_contract_line(lake):
    contract = "fields:\n  - name: id\n  - name: total\n    required: true\n"
    report = ingest(lake, contract, b"id\n1\n")

    assert report["status"] == "rejected"
    assert report["reason"] == "contract: required column 'total' is missing (required, contracts/vendas.yaml line 4)"
    assert lake.exists("quarantine/vendas/a.csv") and not lake.exists("processed/vendas/a.csv")


def test_a_missing_required_column_with_severity_warn_is_a_warning(lake):
    contract = "fields:\n  - name: total\n    required: {value: true, severity: warn}\n"
    report = ingest(lake, contract, b"id\n1\n")

    assert report["status"] == "processed"
    assert report["warnings"] == [
        "contract warning: required column 'total' is missing (required, contracts/vendas.yaml line 3)"
    ]


def test_columns_strict_allow_extra_and_drop_extra(lake):
    data = b"id,extra\n1,x\n"
    strict = ingest(lake, "columns: strict\nfields:\n  - name: id\n", data, "s.csv")
    assert strict["status"] == "rejected"
    assert strict["reason"] == "contract: column 'extra' is not in the contract (columns, contracts/vendas.yaml line 1)"

    assert ingest(lake, "fields:\n  - name: id\n", data, "k.csv")["status"] == "processed"
    assert rows(lake.read("processed/vendas/k.csv")) == [["id", "extra"], ["1", "x"]]

    dropped = ingest(lake, "columns: drop_extra\nfields:\n  - name: id\n", data, "d.csv")
    assert rows(lake.read("processed/vendas/d.csv")) == [["id"], ["1"]]
    assert [c["name"] for c in dropped["columns"]] == ["id"]


@pytest.mark.parametrize(
    ("rule", "data", "reason"),
    [
        ("min_rows: 3", b"n\n1\n2\n", "contract: 2 rows, fewer than 3 (min_rows, contracts/vendas.yaml line 1)"),
        ("max_rows: 1", b"n\n1\n2\n", "contract: 2 rows, more than 1 (max_rows, contracts/vendas.yaml line 1)"),
        (
            "primary_key: [n, m]\nfields:\n  - name: n\n  - name: m",
            b"n,m\n1,a\n1,b\n1,a\n",
            "contract: primary key (n, m) at line 4 repeats line 2 (primary_key, contracts/vendas.yaml line 1)",
        ),
        (
            "primary_key: [n]\nfields:\n  - name: n",
            b"n\n1\n\n2\nNA\n",
            "contract: primary key (n) is empty at line 5 (primary_key, contracts/vendas.yaml line 1)",
        ),
        (
            "primary_key: [id]\nfields:\n  - name: id",
            b"n\n1\n2\n",
            "contract: primary key column 'id' is missing (primary_key, contracts/vendas.yaml line 1)",
        ),
        (
            "max_rejected_fraction: 0.25\nfields:\n  - name: n\n    type: integer",
            b"n\n1\nx\n3\n",
            "contract: 1 of 3 rows rejected (33.3%), above 25.0% (max_rejected_fraction, contracts/vendas.yaml line 1)",
        ),
    ],
)
def test_a_violated_file_rule_rejects_the_whole_file_and_leaves_no_partial_output(lake, rule, data, reason):
    report = ingest(lake, rule + "\n", data)

    assert report["status"] == "rejected" and report["reason"] == reason
    assert lake.object_keys() >= {"quarantine/vendas/a.csv", "reports/vendas/a.json"}
    assert not lake.exists("processed/vendas/a.csv") and not lake.exists("quarantine/vendas/a.rejected.csv")
    assert report["validation"]["rules"][-1]["failures"] == 1


def test_a_file_rule_with_severity_warn_keeps_the_file(lake):
    report = ingest(lake, "min_rows: {value: 10, severity: warn}\n", b"n\n1\n")

    assert report["status"] == "processed"
    assert report["warnings"] == ["contract warning: 1 rows, fewer than 10 (min_rows, contracts/vendas.yaml line 1)"]


def test_the_primary_key_compares_typed_values_of_the_rows_kept(lake):
    contract = "primary_key: [n]\nfields:\n  - name: n\n    type: integer\n    maximum: 5\n"
    # 01 and 1 are one integer; the 7 on line 3 is rejected by its maximum, so its repeat is no duplicate.
    report = ingest(lake, contract, b"n\n7\n01\n7\n1\n")

    assert (
        report["reason"]
        == "contract: primary key (n) at line 5 repeats line 3 (primary_key, contracts/vendas.yaml line 1)"
    )


def test_dialect_overrides_replace_detection(lake):
    # Detection would take `,` as the delimiter (the only one present) and the first row as data.
    data = "1,5|2,5\n3,0|4,0\n".encode("cp1252")
    contract = "dialect:\n  delimiter: '|'\n  decimal: ','\n  header: false\n  encoding: windows-1252\n"
    report = ingest(lake, contract, data)

    assert report["dialect"]["delimiter"] == "|" and report["dialect"]["header"] is False
    assert report["dialect"]["encoding"] == "cp1252"
    assert rows(lake.read("processed/vendas/a.csv")) == [["column_1", "column_2"], ["1.5", "2.5"], ["3", "4"]]


@pytest.mark.parametrize(
    ("contract", "reason"),
    [
        ("fields: [\n", "invalid contract: contracts/vendas.yaml line 2: not valid YAML"),
        (
            "fields:\n  - name: a\n    maximun: 3\n",
            "invalid contract: contracts/vendas.yaml line 3: unknown rule or setting 'maximun'",
        ),
        (
            "fields:\n  - name: a\n    pattern: '(a'\n",
            "invalid contract: contracts/vendas.yaml line 3: pattern '(a' is not a valid regex",
        ),
        ("columns: loose\n", "invalid contract: contracts/vendas.yaml line 1: columns: 'loose' is not one of"),
        (
            "fields:\n  - name: a\n    type: integer\n    minimum: ten\n",
            "invalid contract: contracts/vendas.yaml line 4: minimum 'ten' is not an integer",
        ),
        ("- a\n- b\n", "invalid contract: contracts/vendas.yaml line 1: a contract is a mapping"),
        (
            "dialect:\n  encoding: klingon\n",
            "invalid contract: contracts/vendas.yaml line 2: unknown encoding 'klingon'",
        ),
        (
            "fields:\n  - name: a\n  - name: a\n",
            "invalid contract: contracts/vendas.yaml line 3: field 'a' is already described at line 2",
        ),
    ],
)
def test_an_invalid_contract_rejects_each_file_with_a_reason_that_points_at_its_line(lake, contract, reason):
    report = ingest(lake, contract, b"a\n1\n")

    assert report["status"] == "rejected"
    assert report["reason"].startswith(reason), report["reason"]
    assert lake.exists("quarantine/vendas/a.csv")


def test_an_edited_contract_applies_to_the_next_file_without_a_restart(lake):
    assert ingest(lake, "fields:\n  - name: n\n    type: integer\n    maximum: 5\n", b"n\n7\n")["rows"]["rejected"] == 1
    assert ingest(lake, None, b"n\n7\n", "b.csv")["rows"]["rejected"] == 1  # the cached contract still holds
    assert (
        ingest(lake, "fields:\n  - name: n\n    type: integer\n    maximum: 50\n", b"n\n7\n", "c.csv")["rows"][
            "rejected"
        ]
        == 0
    )
    lake.store.delete(lake.bucket, "contracts/vendas.yaml")
    assert ingest(lake, None, b"n\nx\n", "d.csv")["validation"] is None


def test_a_dataset_without_a_contract_and_a_file_outside_any_dataset_keep_todays_behaviour(lake):
    assert ingest(lake, None, b"n\n1\n")["validation"] is None
    report = lake.ingest("top.csv", b"n\n1\n")
    assert report["validation"] is None and report["drift"] is None


def test_rename_names_the_output_column_exactly(lake):
    report = ingest(lake, "fields:\n  - name: Valor Total\n    rename: total_brl\n", b"Valor Total;Outro\n1;2\n")

    assert [c["name"] for c in report["columns"]] == ["total_brl", "outro"]


def test_schema_drift_reports_added_missing_retyped_and_reordered_columns(lake):
    first = ingest(lake, None, b"a,b,c\n1,x,2024-01-01\n", "1.csv")
    assert first["drift"] == {"previous": None, "added": [], "missing": [], "type_changes": [], "order_changed": False}

    second = ingest(lake, None, b"c,a,d\nx,1.5,1\n", "2.csv")

    assert second["drift"]["previous"]["key"] == "raw/vendas/1.csv"
    assert second["drift"]["added"] == ["d"] and second["drift"]["missing"] == ["b"]
    assert second["drift"]["type_changes"] == [
        {"column": "c", "from": "date", "to": "string"},
        {"column": "a", "from": "integer", "to": "number"},
    ]
    assert second["drift"]["order_changed"] is True
    assert any(w.startswith("schema drift since raw/vendas/1.csv") for w in second["warnings"])
    assert second["status"] == "processed"


def test_on_drift_reject_rejects_a_drifted_file_and_keeps_the_last_schema(lake):
    contract = "on_drift: reject\n"
    assert ingest(lake, contract, b"a,b\n1,2\n", "1.csv")["status"] == "processed"

    drifted = ingest(lake, None, b"a,b,c\n1,2,3\n", "2.csv")
    assert drifted["status"] == "rejected"
    assert drifted["reason"] == (
        "contract: schema drift since raw/vendas/1.csv: added c (on_drift: reject, contracts/vendas.yaml line 1)"
    )
    # The rejected file did not become the dataset's schema: the next one is still compared with 1.csv.
    assert ingest(lake, None, b"a,b\n3,4\n", "3.csv")["drift"]["previous"]["key"] == "raw/vendas/1.csv"


def test_the_same_file_processed_twice_reports_the_same_drift(lake):
    ingest(lake, None, b"a\n1\n", "1.csv")
    ref = lake.drop("raw/vendas/2.csv", b"a,b\n1,2\n")
    from csvlake.pipeline import process

    first = process(lake.store, ref, lake.config).as_dict()
    again = process(lake.store, ref, lake.config).as_dict()

    assert first["drift"] == again["drift"] and first["drift"]["added"] == ["b"]
    assert json.loads(lake.read("reports/vendas/2.json"))["drift"] == first["drift"]


def test_contract_parse_keeps_dates_as_text_and_needs_a_type_for_bounds():
    contract = parse(b"fields:\n  - name: d\n    type: date\n    minimum: 2024-01-01\n", "c.yaml", "e")
    assert contract.fields[0].rules[0].value == "2024-01-01"
    with pytest.raises(ContractError, match=r"c\.yaml line 3: fields\.0: minimum needs the field's type"):
        parse(b"fields:\n  - name: d\n    minimum: 1\n", "c.yaml", "e")


@pytest.mark.parametrize("path", sorted((ROOT / "samples" / "contracts").glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_contract_is_valid(path):
    assert parse(path.read_bytes(), f"contracts/{path.name}", "etag").fields


def test_the_example_sales_contract_accepts_the_sample_export_and_warns_on_large_prices(lake):
    contract = (ROOT / "samples" / "contracts" / "vendas.yaml").read_text()
    report = ingest(lake, contract, (ROOT / "samples" / "vendas 2024.csv").read_bytes())

    assert report["status"] == "processed" and report["rows"]["written"] == 40
    assert {(e["column"], e["rule"], e["severity"], e["value"]) for e in report["errors"]} == {
        ("Preço Unitário", "maximum", "warn", "15.432,10")
    }
    assert [c["name"] for c in report["columns"]][:3] == ["codigo", "produto", "preco_unitario"]


def test_a_declared_date_without_format_reads_ambiguous_dates_day_first_when_every_value_fits(lake):
    # Every value reads both d/m/Y and m/d/Y, so inference leaves the column text in a `.` file.
    report = ingest(lake, "fields:\n  - name: due\n    type: date\n", b"due,n\n01/02/2025,1\n03/04/2025,2\n")

    assert report["status"] == "processed"
    assert rows(lake.read("processed/vendas/a.csv"))[1:] == [["2025-02-01", "1"], ["2025-04-03", "2"]]


# Found by review: each of these once crashed, hung, missed a duplicate or rejected too much.


def test_unique_on_a_chunk_without_any_value_is_no_failure(small_blocks_lake):
    report = ingest(small_blocks_lake, "fields:\n  - name: email\n    unique: true\n", b"id,email\n1,\n2,a@b.c\n3,\n")

    assert report["status"] == "processed" and report["rows"]["written"] == 3


def test_a_rejection_near_the_end_of_a_file_read_ahead_does_not_hang(small_blocks_lake):
    pad = "p" * 40
    data = f"id,pad\n1,{pad}\n2,{pad}\n3,{pad}\n,{pad}\n1,{pad}\n".encode()
    report = ingest(small_blocks_lake, "primary_key: [id]\nfields:\n  - name: id\n    type: integer\n", data)

    assert report["status"] == "rejected" and "primary key (id) is empty at line 5" in report["reason"]


def test_unique_and_primary_key_find_repeats_across_chunks_that_hold_nulls(small_blocks_lake):
    pad = "p" * 60
    data = f"id,pad\n1,{pad}\n,x\nx,x\n1,x\n".encode()
    report = ingest(small_blocks_lake, "fields:\n  - name: id\n    type: integer\n    unique: true\n", data)

    assert [(e["line"], e["rule"]) for e in report["errors"]] == [(4, "type"), (5, "unique")]


def test_a_datetime_format_with_an_offset_reads_instants_in_utc(lake):
    contract = "fields:\n  - name: t\n    type: datetime\n    format: '%Y-%m-%d %H:%M%z'\n"
    report = ingest(lake, contract, b"t\n2024-01-01 10:00+0000\n2024-01-01 12:00+02:00\n2024-01-01 10:00\n")

    assert [(e["line"], e["rule"]) for e in report["errors"]] == [(4, "type")]
    assert rows(lake.read("processed/vendas/a.csv"))[1:] == [["2024-01-01T10:00:00Z"], ["2024-01-01T10:00:00Z"]]


def test_one_bad_date_fails_its_own_row_only(lake):
    report = ingest(lake, "fields:\n  - name: d\n    type: date\n", b"d\n31/01/2024\n15/02/2024\nxx\n")

    assert [(e["line"], e["rule"]) for e in report["errors"]] == [(4, "type")]
    assert rows(lake.read("processed/vendas/a.csv"))[1:] == [["2024-01-31"], ["2024-02-15"]]


def test_yaml_reads_no_and_yes_as_text_and_only_true_and_false_as_booleans(lake):
    contract = "fields:\n  - name: c\n    enum: [NO, SE, DK, yes]\n    nullable: false\n"
    report = ingest(lake, contract, b"c\nNO\nSE\nFI\nyes\n")

    assert [(e["line"], e["rule"]) for e in report["errors"]] == [(4, "enum")]
    assert report["errors"][0]["message"] == "'FI' is not one of NO, SE, DK, yes"


def test_without_a_type_enum_compares_the_text_whatever_the_file(lake):
    contract = "fields:\n  - name: code\n    enum: [1, 2, X]\n"
    assert ingest(lake, contract, b"code\n1\n2\n3\n", "a.csv")["errors"][0]["line"] == 4
    assert ingest(lake, contract, b"code\n1\nX\n3\n", "b.csv")["errors"][0]["line"] == 4


def test_a_primary_key_with_severity_warn_counts_every_repeat_and_warns_once(small_blocks_lake):
    data = ("id\n" + "".join(f"{i % 10}\n" for i in range(100))).encode()
    report = ingest(small_blocks_lake, "primary_key: {value: [id], severity: warn}\n", data)

    assert report["status"] == "processed" and report["rows"]["written"] == 100
    assert [w for w in report["warnings"] if w.startswith("contract warning")] == [
        "contract warning: primary key (id) at line 12 repeats line 2 (primary_key, contracts/vendas.yaml line 1)"
    ]
    assert counts(report)[(None, "primary_key")] == 90


def test_a_file_rejected_for_its_columns_still_reports_the_contract_and_the_rule(lake):
    report = ingest(lake, "columns: strict\nfields:\n  - name: id\n    required: true\n", b"id,x\n1,2\n")

    assert report["status"] == "rejected"
    assert report["validation"]["contract"]["key"] == "contracts/vendas.yaml"
    assert counts(report) == {("id", "required"): 0, (None, "columns"): 1}


@pytest.mark.parametrize(
    ("contract", "reason"),
    [
        (
            b"fields:\n  - name: a\n    type: integer\n    format: '%Y'\n",
            "line 3: fields.0.type: 'integer' is not one of",
        ),
        (
            b"fields:\n  - name: a\n    type: number\n    minimum: {value: 1, severity: fatal}\n",
            "line 4: fields.0.minimum.severity: 'fatal' is not one of",
        ),
        (
            b"fields:\n  - name: a\n    type: boolean\n    minimum: 0\n",
            "line 4: minimum applies to integer, number, date and datetime fields",
        ),
        (b"fields:\n  - name: a\n    type: date\n    maximum: garbage\n", "line 4: maximum 'garbage' is not a date"),
        (b"fields:\n  - name: absent\n    type: integer\n    enum: [a]\n", "line 4: enum 'a' is not an integer"),
        (b"columns: strict\ncolumns: strict\n", "line 2: 'columns' is already set at line 1"),
        (b"fields:\n  - name: a\n    pattern: \xff\n", "line 3: not UTF-8 text"),
    ],
)
def test_an_invalid_contract_is_invalid_whatever_the_file(lake, contract, reason):
    lake.drop("contracts/vendas.yaml", contract)
    report = lake.ingest("a.csv", b"a\n1\n", key="raw/vendas/a.csv")

    assert report["status"] == "rejected"
    assert report["reason"].startswith(f"invalid contract: contracts/vendas.yaml {reason}"), report["reason"]


def test_a_primary_key_may_name_a_column_the_fields_do_not_describe(lake):
    assert ingest(lake, "primary_key: [id]\n", b"id\n1\n2\n")["status"] == "processed"


def test_the_same_file_processed_twice_under_a_contract_writes_the_same_bytes(lake):
    from csvlake.pipeline import process

    lake.drop("contracts/vendas.yaml", CONTRACT.encode())
    ref = lake.drop("raw/vendas/a.csv", SALES)
    outputs = ("processed/vendas/a.csv", "quarantine/vendas/a.rejected.csv")

    first = process(lake.store, ref, lake.config).as_dict()
    written = {key: lake.read(key) for key in outputs}
    again = process(lake.store, ref, lake.config).as_dict()

    timing = ("started_at", "duration_ms")
    assert {k: v for k, v in first.items() if k not in timing} == {k: v for k, v in again.items() if k not in timing}
    assert {key: lake.read(key) for key in outputs} == written


def test_a_file_rejected_for_its_columns_still_reports_its_drift(lake):
    ingest(lake, "columns: strict\nfields:\n  - name: id\n", b"id\n1\n", "1.csv")
    report = ingest(lake, None, b"id,extra\n1,2\n", "2.csv")

    assert report["status"] == "rejected"
    assert report["drift"]["previous"]["key"] == "raw/vendas/1.csv" and report["drift"]["added"] == ["extra"]


def test_every_rule_the_schema_lets_a_field_state_has_its_meaning_in_the_registry():
    schema = json.loads((ROOT / "layers/csvlake/csvlake/contract.schema.json").read_text())
    settings = {"name", "description", "rename", "type", "format", "severity"}

    assert set(schema["$defs"]["field"]["properties"]) - settings == set(FIELD_RULES)
