"""`csvlake contract draft`: a contract drafted from a sample accepts that sample, and is not vacuous."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

import pytest
import yaml

from csvlake import contract
from csvlake.config import Config
from csvlake.local import cli
from csvlake.local.draft import SampleRejected, draft
from csvlake.local.fs import DirectoryStore
from csvlake.ports import ObjectRef
from support import DATA, LocalLake

TODAY = dt.date(2025, 3, 14)
STATUSES = ["new", "open", "on hold", "yes", "No", "01", "=cancelled", "closed "]  # YAML traps, a formula, a space


def drafted(folder: Path, name: str, save_as: str | None = None):
    return draft(DirectoryStore(folder), ObjectRef("", name), f"samples/{name}", today=TODAY, save_as=save_as)


def fields_of(text: str) -> dict[str, dict]:
    """The fields of a draft as YAML reads them with the contract's own loader."""
    return {f["name"]: f for f in yaml.load(text, Loader=contract._Loader)["fields"]}


def ingest_under(lake: LocalLake, text: str, name: str, data: bytes, dataset: str = "sales") -> dict:
    """The report of `data` dropped at raw/<dataset>/<name> with the draft as the dataset's contract."""
    lake.drop(f"{lake.config.contracts_prefix}{dataset}.yaml", text.encode("utf-8"))
    return lake.ingest(name, data, key=f"{lake.config.raw_prefix}{dataset}/{name}")


def assert_accepted(report: dict) -> None:
    assert report["status"] == "processed", report["reason"] or report["errors"]
    assert report["rows"]["rejected"] == 0
    assert report["validation"]["rules"], "the draft states rules"
    assert all(rule["failures"] == 0 for rule in report["validation"]["rules"]), report["validation"]


def generated(rows: int = 300, seed: int = 7) -> tuple[bytes, dict]:
    """A file of integers, floats, dates, datetimes, enumerations and nulls, and what it holds."""
    rnd = random.Random(seed)
    qty = [rnd.randint(-50, 500) for _ in range(rows)]
    prices = [f"{rnd.uniform(0.5, 999):.2f}" for _ in range(rows)]
    # The extremes need every digit to read back: the smallest with an exponent, the largest 17 digits.
    prices[10], prices[20] = "1.5e-07", repr(1000 + 1 / 3)
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=rnd.randrange(366)) for _ in range(rows)]
    lines = ["id,qty,price,day,due,ts,status,flag,note,code,empty"]
    for i in range(rows):
        quantity = "" if i % 17 == 0 else ("NA" if i % 23 == 0 else str(qty[i]))
        status = "" if i % 29 == 0 else STATUSES[i % len(STATUSES)]
        note = f'"note {rnd.randrange(1000)}, with a comma"'
        lines.append(
            f"{i + 1},{quantity},{prices[i]},{days[i]:%Y-%m-%d},{days[i]:%d/%m/%Y},"
            f"{days[i]:%Y-%m-%d} {i % 24:02d}:{i % 60:02d}:07,{status},{'true' if i % 3 else 'false'},"
            f"{note},{i:05d},"
        )
    kept = [q for i, q in enumerate(qty) if i % 17 and i % 23]
    facts = {
        "qty": (min(kept), max(kept)),
        "price": (1.5e-07, 1000 + 1 / 3),
        "day": (min(days).isoformat(), max(days).isoformat()),
        "rows": rows,
    }
    return ("\n".join(lines) + "\n").encode("utf-8"), facts


# --- the sample is accepted --------------------------------------------------------------------


def test_ptbr_cp1252_draft_states_dialect_types_ranges_and_enums_and_accepts_its_sample(lake):
    text = drafted(DATA, "ptbr_cp1252.csv").text

    assert text.startswith("# Draft contract from samples/ptbr_cp1252.csv on 2025-03-14, by `csvlake contract draft`.")
    parsed = contract.parse(text.encode("utf-8"), "contracts/sales.yaml", "etag")
    assert dict(parsed.dialect) == {"encoding": "cp1252", "delimiter": ";", "decimal": ",", "header": True}
    assert parsed.columns == "allow_extra"
    fields = fields_of(text)
    assert list(fields) == ["Código", "Descrição", "Preço Unitário", "Data", "CEP", "Ativo"]
    assert fields["Código"] == {
        "name": "Código",
        "type": "integer",
        "required": True,
        "nullable": False,
        "unique": True,
        "minimum": 1,
        "maximum": 3,
    }
    assert fields["Preço Unitário"]["minimum"] == -7.5 and fields["Preço Unitário"]["maximum"] == 1234.56
    assert (fields["Data"]["type"], fields["Data"]["minimum"], fields["Data"]["maximum"]) == (
        "date",
        "2024-12-25",
        "2025-01-31",
    )
    # The CEP column has an empty value: nullable; its zip codes stay text, quoted.
    assert fields["CEP"] == {"name": "CEP", "type": "string", "required": True, "enum": ["00501", "01310"]}
    assert "enum: ['00501', '01310']" in text
    assert fields["Ativo"] == {"name": "Ativo", "type": "boolean", "required": True, "nullable": False}

    report = ingest_under(lake, text, "junho.csv", (DATA / "ptbr_cp1252.csv").read_bytes())
    assert_accepted(report)
    rules = {(r["column"], r["rule"]) for r in report["validation"]["rules"]}
    assert {("Código", "unique"), ("Data", "minimum"), ("CEP", "enum"), ("Ativo", "nullable")} <= rules


def test_types_csv_draft_keeps_int64_extremes_and_timezones_and_accepts_its_sample(lake):
    text = drafted(DATA, "types.csv").text
    contract.parse(text.encode("utf-8"), "contracts/sales.yaml", "etag")
    fields = fields_of(text)

    assert (fields["big"]["minimum"], fields["big"]["maximum"]) == (-5, 2**63 - 1)
    assert fields["stamp_tz"]["minimum"] == "2024-01-02T10:00:00Z" and fields["stamp_tz"]["type"] == "datetime"
    assert (fields["us"]["type"], fields["us"]["maximum"]) == ("date", "2024-12-31")
    assert fields["ambiguous"]["type"] == "string"  # 01/02/2024: the pipeline keeps it text, so does the draft
    assert fields["huge"]["enum"] == ["1", "9223372036854775808"]
    assert "nullable" not in fields["nulls"]
    assert_accepted(ingest_under(lake, text, "types.csv", (DATA / "types.csv").read_bytes()))


def test_generated_file_draft_is_exact_and_accepts_its_sample_read_in_small_blocks(tmp_path, small_blocks_lake):
    data, facts = generated()
    (tmp_path / "orders.csv").write_bytes(data)

    text = drafted(tmp_path, "orders.csv").text

    contract.parse(text.encode("utf-8"), "contracts/sales.yaml", "etag")
    fields = fields_of(text)
    assert [f["type"] for f in fields.values()] == [
        "integer",
        "integer",
        "number",
        "date",
        "date",
        "datetime",
        "string",
        "boolean",
        "string",
        "string",
        "string",
    ]
    assert fields["id"]["unique"] is True and (fields["id"]["minimum"], fields["id"]["maximum"]) == (1, facts["rows"])
    assert (fields["qty"]["minimum"], fields["qty"]["maximum"]) == facts["qty"]
    assert "nullable" not in fields["qty"] and "unique" not in fields["qty"]
    assert (fields["price"]["minimum"], fields["price"]["maximum"]) == facts["price"]  # floats read back exactly
    assert (fields["day"]["minimum"], fields["day"]["maximum"]) == facts["day"]
    assert (fields["due"]["minimum"], fields["due"]["maximum"]) == facts["day"]  # 31/12/2024 → ISO bounds
    # Eight values, more than the report's top five, all of them exactly as written.
    assert fields["status"]["enum"] == sorted(STATUSES) and "nullable" not in fields["status"]
    assert "enum" not in fields["note"] and "enum" not in fields["code"]
    assert fields["empty"] == {"name": "empty", "type": "string", "required": True}

    report = ingest_under(small_blocks_lake, text, "orders.csv", data)
    assert_accepted(report)
    assert report["rows"]["written"] == facts["rows"]


def test_a_second_file_outside_the_drafted_ranges_is_rejected_row_by_row(tmp_path, lake):
    data, facts = generated()
    (tmp_path / "orders.csv").write_bytes(data)
    text = drafted(tmp_path, "orders.csv").text
    # A row whose d/m/Y date cannot be read m/d/Y (a file without one: see the test further down).
    sample = next(r for r in csv.DictReader(io.StringIO(data.decode("utf-8"))) if int(r["due"][:2]) > 12)

    def row(**changes: str) -> dict:
        return {**sample, **changes}

    low, high = facts["qty"]
    later = dt.date.fromisoformat(facts["day"][1]) + dt.timedelta(days=1)
    rows = [
        row(id="1"),  # line 2: as in the sample
        row(id="2", qty=str(high + 1)),  # line 3: maximum
        row(id="3", qty=str(low - 1)),  # line 4: minimum
        row(id="4", status="archived"),  # line 5: enum
        row(id="5", day=later.isoformat()),  # line 6: maximum
        row(id="1"),  # line 7: unique (id 1 is on line 2)
        row(id="7", price="-0.5", status="closed"),  # line 8: minimum and enum ("closed " had a space)
    ]
    second = io.StringIO()
    writer = csv.DictWriter(second, fieldnames=list(sample), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)

    report = ingest_under(lake, text, "orders-2.csv", second.getvalue().encode("utf-8"))

    assert report["status"] == "partial"
    assert report["rows"] == {"read": 7, "written": 1, "rejected": 6}
    assert [(e["line"], e["column"], e["rule"]) for e in report["errors"]] == [
        (3, "qty", "maximum"),
        (4, "qty", "minimum"),
        (5, "status", "enum"),
        (6, "day", "maximum"),
        (7, "id", "unique"),
        (8, "price", "minimum"),
        (8, "status", "enum"),
    ]


def test_malformed_rows_are_rejected_under_the_draft_as_without_it(lake):
    result = drafted(DATA, "bad_rows.csv")
    without = lake.ingest("bad_rows.csv")

    assert result.notes == (
        "the sample's malformed rows (2; line 4: expected 3 fields, found 2) are left out: "
        "they are rejected with or without a contract.",
    )
    assert "# Note: The sample's malformed rows (2; line 4" in result.text
    report = ingest_under(lake, result.text, "bad_rows.csv", (DATA / "bad_rows.csv").read_bytes())
    assert report["status"] == "partial" and report["rows"] == without["rows"]
    assert report["errors"] == without["errors"] and {e["rule"] for e in report["errors"]} == {"structure"}
    assert all(rule["failures"] == 0 for rule in report["validation"]["rules"])


def test_a_type_a_few_values_keep_from_a_column_is_proposed_and_declared_it_rejects_exactly_their_rows(tmp_path, lake):
    # GIVEN a pt-BR export whose numbers, dates, quantities and flags each hold one stray value
    rows = [f"{i};{i},5;{i % 28 + 1:02d}/03/2024;{i};{'true' if i % 2 else 'false'}" for i in range(40)]
    rows[10] = "10;n/d;11/03/2024;10;false"  # line 12
    rows[20] = "20;20,5;31/02/2024;20;false"  # line 22
    rows[30] = "30;30,5;03/03/2024;abc;false"  # line 32
    rows[35] = "35;35,5;08/03/2024;35;talvez"  # line 37
    data = ("id;valor;data;qtd;ativo\n" + "\n".join(rows) + "\n").encode()
    (tmp_path / "vendas.csv").write_bytes(data)

    result = drafted(tmp_path, "vendas.csv")

    # THEN the draft declares the types, without the text columns' extremes or enums, and names the values
    fields = fields_of(result.text)
    assert fields["valor"] == {"name": "valor", "type": "number", "required": True, "nullable": False}
    assert fields["data"] == {"name": "data", "type": "date", "required": True, "nullable": False}
    assert fields["qtd"] == {"name": "qtd", "type": "integer", "required": True, "nullable": False, "unique": True}
    assert fields["ativo"] == {"name": "ativo", "type": "boolean", "required": True, "nullable": False}
    assert result.notes == (
        "'valor' is text in the sample, but 39 of its 40 values are numbers: declared number, the rows "
        "holding 'n/d' (line 12) go to the rejected rows (string keeps them).",
        "'data' is text in the sample, but 39 of its 40 values are dates: declared date, the rows "
        "holding '31/02/2024' (line 22) go to the rejected rows (string keeps them).",
        "'qtd' is text in the sample, but 39 of its 40 values are integers: declared integer, the rows "
        "holding 'abc' (line 32) go to the rejected rows (string keeps them).",
        "'ativo' is text in the sample, but 39 of its 40 values are booleans: declared boolean, the rows "
        "holding 'talvez' (line 37) go to the rejected rows (string keeps them).",
    )
    assert "# Every rule holds for the 40 rows of that sample, but the types the notes name:" in result.text
    assert "# Note: 'valor' is text in the sample, but 39 of its 40 values are numbers" in result.text

    # AND the sample under its draft: exactly those rows rejected, for their type, the rest typed
    report = ingest_under(lake, result.text, "vendas.csv", data)
    assert report["rows"] == {"read": 40, "written": 36, "rejected": 4}
    assert [(e["line"], e["column"], e["rule"], e["value"]) for e in report["errors"]] == [
        (12, "valor", "type", "n/d"),
        (22, "data", "type", "31/02/2024"),
        (32, "qtd", "type", "abc"),
        (37, "ativo", "type", "talvez"),
    ]
    assert [c["type"] for c in report["columns"]] == ["integer", "number", "date", "integer", "boolean"]
    assert all(c["type_evidence"] is None for c in report["columns"]) and report["warnings"] == []
    rejected = list(csv.reader(io.StringIO(lake.read(report["outputs"]["rejected_rows"]).decode("utf-8"))))
    assert [row[-2] for row in rejected[1:]] == ["12", "22", "32", "37"]  # _line


def test_blank_and_repeated_headers_get_no_field_or_a_field_that_only_requires_them(tmp_path, lake):
    (tmp_path / "dups.csv").write_text("id,x,,x\n1,2,a,b\n2,3,c,d\n")

    result = drafted(tmp_path, "dups.csv")

    fields = fields_of(result.text)
    assert list(fields) == ["id", "x"] and fields["x"] == {"name": "x", "required": True}
    assert result.notes == (
        "header 'x' names 2 columns: its field only requires it.",
        "column 3 has a blank header: no field can name it (columns: allow_extra keeps it).",
    )
    assert_accepted(ingest_under(lake, result.text, "dups.csv", (tmp_path / "dups.csv").read_bytes()))


def test_headerless_file_fields_are_the_generated_names(lake):
    text = drafted(DATA, "headerless.csv").text
    assert list(fields_of(text)) == ["column_1", "column_2", "column_3"] and "header: false" in text
    assert_accepted(ingest_under(lake, text, "headerless.csv", (DATA / "headerless.csv").read_bytes()))


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.iterdir()))
def test_every_sample_file_is_accepted_under_its_draft_or_rejected_without_one(name, tmp_path):
    """Whatever the file, ingestion under its draft rejects exactly the rows it rejects without one."""
    without = LocalLake(tmp_path / "without", Config()).ingest(name)
    try:
        text = drafted(DATA, name).text
    except SampleRejected as exc:
        assert without["status"] == "rejected" and str(exc) == without["reason"]
        return
    contract.parse(text.encode("utf-8"), "contracts/sales.yaml", "etag")
    report = ingest_under(LocalLake(tmp_path / "with", Config()), text, name, (DATA / name).read_bytes())
    assert (report["status"], report["rows"], report["errors"]) == (
        without["status"],
        without["rows"],
        without["errors"],
    )
    assert all(rule["failures"] == 0 for rule in report["validation"]["rules"]), report["validation"]


def test_save_as_and_a_source_with_a_line_break_are_written_in_the_header(tmp_path):
    (tmp_path / "a.csv").write_text("n\n1\n")
    result = draft(
        DirectoryStore(tmp_path), ObjectRef("", "a.csv"), "s3://b/raw/x/a\nb.csv", TODAY, "s3://b/contracts/x.yaml"
    )
    assert (
        result.text.splitlines()[0]
        == "# Draft contract from s3://b/raw/x/a\\nb.csv on 2025-03-14, by `csvlake contract draft`."
    )
    assert result.text.splitlines()[3] == "# s3://b/contracts/x.yaml."


def test_unique_on_a_string_column_is_checked(lake):
    text = "fields:\n- name: code\n  type: string\n  unique: true\n"
    report = ingest_under(lake, text, "codes.csv", b"code\na\nb\na\n")
    assert report["status"] == "partial" and report["errors"][0]["rule"] == "unique"


def test_a_later_file_with_only_ambiguous_day_first_dates_is_accepted(tmp_path, lake):
    (tmp_path / "a.csv").write_text("due\n25/12/2024\n31/01/2025\n")
    text = drafted(tmp_path, "a.csv").text
    assert_accepted(ingest_under(lake, text, "b.csv", b"due\n01/01/2025\n"))


# --- the command -------------------------------------------------------------------------------


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_contract_draft_prints_the_yaml_or_writes_it_to_a_file(tmp_path, capsys):
    code, out, err = run(capsys, "contract", "draft", str(DATA / "ptbr_cp1252.csv"))
    assert code == 0 and err == ""
    assert out.startswith(f"# Draft contract from {DATA / 'ptbr_cp1252.csv'} on ")
    assert contract.parse(out.encode("utf-8"), "contracts/x.yaml", "etag").fields[0].name == "Código"

    target = tmp_path / "vendas.yaml"
    code, out2, _ = run(capsys, "contract", "draft", str(DATA / "ptbr_cp1252.csv"), "-o", str(target))
    assert code == 0 and out2 == f"draft contract written to {target}\n"
    assert target.read_text(encoding="utf-8") == out


def test_contract_draft_notes_malformed_rows_on_stderr(capsys):
    code, out, err = run(capsys, "contract", "draft", str(DATA / "bad_rows.csv"))
    assert code == 0 and out.startswith("# Draft contract")
    assert err == (
        f"csvlake: note: {DATA / 'bad_rows.csv'}: the sample's malformed rows (2; line 4: expected 3 fields, "
        "found 2) are left out: they are rejected with or without a contract.\n"
    )


def test_contract_draft_of_a_rejected_file_exits_1(capsys):
    code, out, err = run(capsys, "contract", "draft", str(DATA / "xlsx_renamed.csv"))
    assert code == 1 and out == ""
    assert err.startswith(f"csvlake: error: {DATA / 'xlsx_renamed.csv'}: rejected, so there is nothing to describe: ")
    assert "ZIP archive" in err and err.count("\n") == 1


def test_contract_draft_mistakes_are_one_line_errors_with_exit_2(tmp_path, capsys):
    cases = {
        (str(tmp_path / "missing.csv"),): "missing.csv: no such file",
        (str(tmp_path),): "is a folder, not a CSV file",
        ("s3://bucket-only",): "expected s3://BUCKET/KEY, the key of a CSV file",
        (str(DATA / "types.csv"), "-o", str(tmp_path)): "is a folder",
        (str(DATA / "types.csv"), "-o", str(tmp_path / "no" / "x.yaml")): "cannot write there",
    }
    for argv, message in cases.items():
        code, out, err = run(capsys, "contract", "draft", *argv)
        assert code == 2, argv
        assert out == "" and err.startswith("csvlake: error: ") and message in err, (argv, err)
        assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("argv", [["contract", "--help"], ["contract", "draft", "--help"]])
def test_contract_commands_have_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: csvlake {' '.join(argv[:-1])}")


@pytest.mark.parametrize("argv", [["contract"], ["contract", "draft"], ["contract", "draft", "x.csv", "-o"]])
def test_contract_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert "usage: csvlake contract" in capsys.readouterr().err
