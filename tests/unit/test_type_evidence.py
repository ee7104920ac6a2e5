"""Type evidence: when a few values keep a column from a type, the report names the type, how many
values fit it and the values that do not, with their lines; a column of real text gets none."""

from __future__ import annotations

import csv
import io
import random

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from csvlake import types
from csvlake.config import Config
from csvlake.local import show
from support import LocalLake

SMALL_BLOCKS = 64  # bytes: a chunk of a row or two, so that the evidence merges across chunks


@pytest.fixture(params=[SMALL_BLOCKS, Config().block_size], ids=["small blocks", "one block"])
def lake(request, tmp_path) -> LocalLake:
    return LocalLake(tmp_path, Config(block_size=request.param))


def column(report: dict, name: str) -> dict:
    return next(c for c in report["columns"] if c["source_name"] == name)


def processed_values(lake: LocalLake, report: dict, name: str) -> list[str]:
    rows = list(csv.DictReader(io.StringIO(lake.read(report["outputs"]["processed"]).decode("utf-8"))))
    return [row[name] for row in rows]


def test_one_n_d_among_decimal_comma_numbers_is_named_with_its_line(lake):
    # GIVEN 199 decimal-comma numbers on lines 2-200, `n/d` on line 57
    values = [f"{i},5" for i in range(199)]
    values[55] = "n/d"
    data = ("id;valor\n" + "".join(f"{i};{v}\n" for i, v in enumerate(values))).encode()
    report = lake.ingest("valores.csv", data)
    # THEN the column stays text, and the report says why, in the column and in a warning
    valor = column(report, "valor")
    assert valor["type"] == "string"
    assert valor["type_evidence"] == {"type": "number", "fit": 198, "of": 199, "not": [{"value": "n/d", "line": 57}]}
    assert report["warnings"] == ["column 'valor': number for 198 of 199 values; not: 'n/d' (line 57)"]
    assert column(report, "id")["type_evidence"] is None
    assert processed_values(lake, report, "valor") == values  # nothing changed: the texts as they were
    # AND the CLI summary marks the column and prints the warning
    lines = show.summary(report).splitlines()
    row = next(line for line in lines if line.startswith("  valor "))
    assert row.split()[:4] == ["valor", "valor", "string", "(number?)"]
    assert "  warning: column 'valor': number for 198 of 199 values; not: 'n/d' (line 57)" in lines


@pytest.mark.parametrize(
    ("values", "odd", "kind"),
    [
        ([f"{d:02d}/03/2024" for d in range(1, 29)], "31/02/2024", "date"),
        ([f"2024-03-{d:02d}T10:00:00" for d in range(1, 29)], "2024-03-01T25:00:00", "datetime"),
        ([str(i) for i in range(28)], "abc", "integer"),
        (["true", "false"] * 14, "maybe", "boolean"),
        # Year-first slash dates are dates, so a stray value among them is evidence too.
        ([f"2015/01/{d:02d}" for d in range(1, 29)], "2015/13/01", "date"),
    ],
)
def test_a_stray_value_in_a_typed_column_is_evidence_of_that_type(lake, values, odd, kind):
    values = [*values[:10], odd, *values[10:]]
    data = ("n,x\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values))).encode()
    report = lake.ingest("stray.csv", data)
    evidence = column(report, "x")["type_evidence"]
    assert column(report, "x")["type"] == "string"
    assert evidence == {"type": kind, "fit": 28, "of": 29, "not": [{"value": odd, "line": 12}]}
    assert report["warnings"] == [f"column 'x': {kind} for 28 of 29 values; not: '{odd}' (line 12)"]


@pytest.mark.parametrize(
    "values",
    [
        [f"name {i}" for i in range(40)],  # real text
        ["SP", "RJ", "MG", "SP", "1"] * 8,  # a few distinct texts, and a number among them
        [str(i) for i in range(10_000, 10_039)] + ["01310"],  # zip codes: a leading zero makes them text
        ["true", "false", "1", "0"] * 10,  # a declared boolean reads them all: no stray value
        [f"{i}.5" for i in range(39)] + ["0.12345678901234567"],  # more digits than float64 keeps
        [str(i) for i in range(30)] + ["a", "b", "c", "d", "e", "f"],  # six odd texts: not a few
        ["n/d"] * 20 + [str(i) for i in range(19)],  # most values do not fit
        [f"0{i % 9 + 1}/0{i % 9 + 1}/2024" for i in range(30)] + ["31/02/2024"],  # day or month first?
    ],
    ids=["text", "codes", "zip codes", "booleans as 1 and 0", "precision", "six odd", "most odd", "ambiguous"],
)
def test_a_column_of_text_gets_no_evidence(lake, values):
    data = ("x\n" + "".join(f"{v}\n" for v in values)).encode()
    report = lake.ingest("text.csv", data)
    assert column(report, "x")["type"] == "string"
    assert column(report, "x")["type_evidence"] is None
    assert report["warnings"] == []


def test_evidence_counts_values_not_nulls_and_lists_up_to_five_odd_texts_in_file_order(lake):
    # GIVEN integers with empty cells and NA, and five odd texts, one of them twice
    values = [str(i) if i % 5 else ("" if i % 10 else "NA") for i in range(100)]
    for line, odd in [(90, "x"), (8, "?"), (40, "-"), (61, "x"), (71, "n/d"), (33, "s/i")]:
        values[line - 2] = odd
    data = ("x\n" + "".join(f"{v}\n" for v in values)).encode()
    report = lake.ingest("nulls.csv", data)
    x = column(report, "x")
    odd = [("?", 8), ("s/i", 33), ("-", 40), ("x", 61), ("n/d", 71)]  # x: its first line
    assert x["type_evidence"] == {
        "type": "integer",
        "fit": 74,
        "of": 80,
        "not": [{"value": value, "line": line} for value, line in odd],
    }
    assert x["count"] == 80  # the usual null tokens are not values, here as everywhere in the report
    listed = ", ".join(f"'{value}' (line {line})" for value, line in odd)
    assert report["warnings"] == [f"column 'x': integer for 74 of 80 values; not: {listed}"]


def test_the_type_fewest_values_miss_is_the_evidence_not_the_most_specific(lake):
    # 1.5 is no integer but a number: `abc` alone keeps the column from being numbers.
    values = [str(i) for i in range(30)] + ["1.5", "abc"]
    report = lake.ingest("mixed.csv", ("x\n" + "".join(f"{v}\n" for v in values)).encode())
    assert column(report, "x")["type_evidence"] == {
        "type": "number",
        "fit": 31,
        "of": 32,
        "not": [{"value": "abc", "line": 33}],
    }


def test_a_file_without_header_names_the_column_as_the_report_does(lake):
    values = [f"{i},{i}.25" for i in range(30)] + ["30,n/d"]
    report = lake.ingest("noheader.csv", "".join(f"{v}\n" for v in values).encode())
    assert report["dialect"]["header"] is False
    assert report["warnings"] == ["column 'column_2': number for 30 of 31 values; not: 'n/d' (line 31)"]


def test_a_column_whose_type_a_contract_states_gets_no_evidence(lake):
    lake.drop("contracts/sales.yaml", b"fields:\n  - name: x\n    type: string\n  - name: y\n")
    values = [f"{i},{i}" for i in range(30)] + ["30,abc", "abc,31"]
    report = lake.ingest("c.csv", ("x,y\n" + "".join(f"{v}\n" for v in values)).encode(), key="raw/sales/c.csv")
    assert column(report, "x")["type_evidence"] is None  # the data owner said: text
    assert column(report, "y")["type_evidence"]["not"] == [{"value": "abc", "line": 32}]  # no type stated


@pytest.mark.parametrize(
    ("odd", "kind"),
    [
        ("0000-01-01", "date"),
        ("9999-12-31T23:59:59-05:00", "datetime"),  # in UTC, year 10000
        ("0001-01-01T00:00:00+01:00", "datetime"),  # in UTC, year 0
    ],
)
def test_dates_beyond_years_1_to_9999_are_text_not_a_crash(lake, odd, kind):
    """Fuzz finding D: such a value rejected the whole file with OverflowError."""
    alone = lake.ingest("alone.csv", f"d\n{odd}\n".encode())
    assert alone["status"] == "processed", alone["reason"]
    assert column(alone, "d")["type"] == "string"
    assert processed_values(lake, alone, "d") == [odd]
    # Among dates that fit: the column stays text, with the stray value as evidence.
    valid = "2024-01-02" if kind == "date" else "2024-01-02T03:04:05+00:00"
    report = lake.ingest("among.csv", f"d\n{valid}\n{valid}\n{odd}\n{valid}\n".encode())
    assert report["status"] == "processed", report["reason"]
    assert column(report, "d")["type_evidence"] == {"type": kind, "fit": 3, "of": 4, "not": [{"value": odd, "line": 4}]}
    assert processed_values(lake, report, "d") == [valid, valid, odd, valid]


def test_years_1_and_9999_themselves_are_dates(lake):
    data = b"d,t\n0001-01-01,0001-01-01T00:00:00Z\n9999-12-31,9999-12-31T23:59:59.999999Z\n"
    report = lake.ingest("edges.csv", data)
    assert [column(report, name)["type"] for name in ("d", "t")] == ["date", "datetime"]
    assert column(report, "t")["max"] == "9999-12-31T23:59:59.999999Z"


def test_a_contract_declaring_a_date_rejects_a_date_beyond_year_9999_as_a_row(lake):
    lake.drop("contracts/sales.yaml", b"fields:\n  - name: t\n    type: datetime\n")
    data = b"t\n2024-01-02T03:04:05Z\n9999-12-31T23:59:59-05:00\n"
    report = lake.ingest("c.csv", data, key="raw/sales/c.csv")
    assert report["status"] == "partial", report["reason"]
    assert report["rows"] == {"read": 2, "written": 1, "rejected": 1}
    assert [(e["line"], e["rule"]) for e in report["errors"]] == [(3, "type")]


def test_year_first_slash_dates_are_written_as_their_iso_spelling_is(lake):
    slash = lake.ingest("slash.csv", b"d,t\n2015/01/01,2015/01/01 01:00:00\n2015/1/31,2015/12/31 23:59\n")
    iso = lake.ingest("iso.csv", b"d,t\n2015-01-01,2015-01-01T01:00:00\n2015-01-31,2015-12-31T23:59\n")
    assert [column(slash, name)["type"] for name in ("d", "t")] == ["date", "datetime"]
    assert lake.read(slash["outputs"]["processed"]) == lake.read(iso["outputs"]["processed"])
    assert processed_values(lake, slash, "t") == ["2015-01-01T01:00:00", "2015-12-31T23:59:00"]


def test_evidence_over_random_chunks_is_what_one_reading_of_the_rows_finds():
    """Seeded: integers, nulls and a few odd texts, cut at random into dictionary-encoded chunks as
    pass 1 reads them. The evidence must be what one reading of the rows in order finds: from the
    first chunk with an odd text on, after every chunk, at most 5 distinct odd texts, in fewer rows
    than the integers."""
    rnd = random.Random(17)
    odd_texts = ["n/d", "-", "?", "x", "s/i", "abc", "N.D."]
    for _ in range(300):
        odd = rnd.sample(odd_texts, rnd.randint(1, len(odd_texts)))
        share = rnd.choice([0.0, 0.02, 0.1, 0.4, 0.7])
        texts = [
            rnd.choice(odd)
            if rnd.random() < share
            else rnd.choice(["", "NA", f" {rnd.randint(-9, 9)}", str(rnd.randint(-99, 99))])
            for _ in range(rnd.randint(1, 80))
        ]
        cuts = (
            sorted(rnd.sample(range(1, len(texts)), min(len(texts) - 1, rnd.randint(0, 6)))) if len(texts) > 1 else []
        )
        inference = types.TypeInference(".")
        kept, values, misfits, odd_rows = True, 0, {}, 0
        for start, stop in zip([0, *cuts], [*cuts, len(texts)]):
            chunk = texts[start:stop]
            column = pc.dictionary_encode(pa.array(chunk, pa.string()))
            lines = np.arange(start, stop) + 2
            inference.update(types.nulls_applied(column.dictionary), column.indices, lines)
            # The reference: one reading of the chunk's rows.
            values += sum(text.strip().lower() not in ("", "na") for text in chunk)
            for text, line in zip(chunk, lines):
                if text in odd:
                    odd_rows += 1
                    misfits.setdefault(text, int(line))
            if misfits:
                kept = kept and len(misfits) <= types.MISFIT_TEXTS and odd_rows < values - odd_rows
        expected = None
        if misfits and kept:
            expected = types.TypeEvidence(
                "integer", values - odd_rows, values, tuple(sorted(misfits.items(), key=lambda m: m[1]))
            )
        assert inference.near_miss() == expected, (texts, cuts)
        assert types.kind(inference.result()) == ("integer" if values and not misfits else "string"), (texts, cuts)
