"""Round trips through the whole pipeline: random tables written by Python's csv module under random
dialects, encodings and line endings come out of the processed copy with every value, every row
and the right line numbers; and the fuzzing findings of issue 17, each from its reproducer.

The normalisation the processed copy applies on purpose: it is UTF-8 CSV, `,`-separated, with every
text quoted; empty cells and null tokens (NA, null, none…, blanks around them) are nulls, written
empty, or `""` in a one-column file; a text a spreadsheet would run as a formula (`=`, `+`, `-`,
`@`, tab, CR first) gets a leading `'`. Every column holds a word no type takes, so every column is
text and each value is compared with the text that was written.

Detection is told, in a contract's `dialect`, only what the bytes cannot tell, as no reader could:
- a one-column file's delimiter, where it must reject a row of two fields (it has no delimiter to
  find); one-column files told nothing else are read as one column too;
- that a backslash escapes, in a file that does not double quotes: `\\"`, `\\\\` and `C:\\dir` read
  as text just as well (in a file that doubles them, detection finds doubling untold);
- a quote character that no field needs for a delimiter or a line end (`'it''s'` is also a text
  with quotes in it).
Rows whose every cell is blank are not generated: a blank line and a row of empty cells look alike.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import random
import re
import sys
from dataclasses import dataclass

import pytest

from csvlake.config import Config
from support import LocalLake

NULLS = {"", "na", "n/a", "null", "none", "nan", "#n/a", "nil"}  # types.NULL_TOKENS
FORMULA_START = "=+-@\t\r"
# Words that no type takes and no footer starts with (no "total", "source", "note"…).
WORDS = ["alpha", "beta", "São Paulo", "café", "naïve", "Zoë", "x", "Ωmega", "日本", "emoji😀", "a.b", "c/d"]
TYPED = ["0", "42", "-7", "3.14", "1.234,56", "2024-02-29", "31/12/2023", "2024-01-01T10:00:00", "true", "1e5"]
# What quoting must protect, and spaces that stay part of a text.
JOINS = [" ", ",", ";", "\t", "|", '"', "'", "\n", "\r", "\r\n", "\\", " ", "  "]
EOLS = {"LF": "\n", "CRLF": "\r\n", "CR": "\r"}
BLOCK_SIZES = (64, 300, 1 << 20)


def _value(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.08:
        return ""
    if roll < 0.12:
        return rng.choice(["NA", "null", " ", "None", "\r\n"])
    if roll < 0.3:
        return rng.choice(TYPED)
    words = [rng.choice(WORDS) for _ in range(rng.randint(1, 3))]
    text = "".join(word + rng.choice(JOINS) for word in words[:-1]) + words[-1]
    if rng.random() < 0.1:
        text = rng.choice(FORMULA_START[:4]) + text
    if rng.random() < 0.1:
        text = rng.choice([" ", "  "]) + text if rng.random() < 0.5 else text + " "
    return text


def _table(rng: random.Random, ncols: int) -> list[list[str]]:
    rows = [[_value(rng) for _ in range(ncols)] for _ in range(rng.randint(2, 25))]
    for row in rows:
        if not any(value.strip() for value in row):
            row[rng.randrange(ncols)] = rng.choice(WORDS)
    rows.append([rng.choice(WORDS) for _ in range(ncols)])  # keeps every column text
    return rows


def _written(row: list[str], options: dict, eol: str) -> str:
    """A row as the csv module writes it. The terminator it is given is `\\r\\n`, as it quotes only
    the terminator's characters: a lone CR or LF in a text stays quoted whatever the file's line end."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n", **options).writerow(row)
    return out.getvalue().removesuffix("\r\n") + eol


def _line_ends(text: str, line_ending: str) -> int:
    """The file's line ends in `text`: LF, or in a CR file CR, LF and CRLF (the reader's lines)."""
    if line_ending == "CR":
        return len(io.StringIO(text, newline="").readlines()) - (not text.endswith(("\r", "\n")))
    return text.count("\n")


def _expected(value: str) -> str:
    if value.strip().lower() in NULLS:
        return ""
    # A sign before digits and number punctuation only is arithmetic, not a formula: kept as it is.
    arithmetic = re.fullmatch(r"[+-](R\$|[£$€¥])?[0-9 .,()/%+:-]*", value)
    return "'" + value if value[0] in FORMULA_START and not arithmetic else value


@dataclass(frozen=True)
class Case:
    """A table as written, what the pipeline must make of it, and what detection is told."""

    data: bytes
    rows: list[list[str]]
    bad: list[str]  # a row of a field too few (too many in a one-column file)
    bad_line: int  # its line
    lines: int
    encoding: str
    line_ending: str
    overrides: dict


def _case(seed: int) -> Case:
    """A random table written by the csv module in a random dialect, encoding and line ending, with
    a row of the wrong width somewhere in it."""
    rng = random.Random(seed)
    ncols = rng.choice([1, 2, 3, 5])
    delimiter = rng.choice([",", ";", "\t", "|"])
    quotechar = rng.choice(['"', "'"])
    escaped = rng.random() < 0.25
    options = {"delimiter": delimiter, "quotechar": quotechar}
    options |= {"escapechar": "\\", "doublequote": False} if escaped else {}
    line_ending = rng.choice(list(EOLS))
    rows = _table(rng, ncols)
    bad_at = rng.randrange(1, len(rows) - 1) if len(rows) > 2 else 1
    names = [f"col{i + 1}" for i in range(ncols)]
    eol = EOLS[line_ending]
    bad = ["z9"] * (ncols - 1 or 2)
    written = [_written(row, options, eol) for row in [names, *rows[:bad_at], bad, *rows[bad_at:]]]
    text = "".join(written)
    encoding = rng.choice(["utf-8", "utf-8-sig", "cp1252", "utf-16"])
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        encoding, data = "utf-8", text.encode()
    if encoding == "cp1252" and text.isascii():
        encoding = "utf-8"  # the same bytes
    overrides: dict = {}
    if ncols == 1:
        overrides |= {"delimiter": delimiter, "quotechar": quotechar}
    overrides |= _untold(text, rows, options, escaped, (delimiter,))
    bad_line = 1 + sum(_line_ends(row, line_ending) for row in written[: bad_at + 1])
    lines = _line_ends(text, line_ending) + (not text.endswith(eol))
    return Case(data, rows, bad, bad_line, lines, encoding, line_ending, overrides)


def _untold(text: str, rows: list[list[str]], options: dict, escaped: bool, delimiters: tuple[str, ...]) -> dict:
    """What no reader can tell from the bytes: that a backslash escapes, and a quote character that
    no field needs for one of the `delimiters` or a line end."""
    told: dict = {}
    if "\\" in text and escaped:
        told["escapechar"] = "\\"
    quoted = [v for row in rows for v in row if _written([v], options, "").startswith(options["quotechar"])]
    if not any(c in v for v in quoted for c in (*delimiters, "\r", "\n")):
        told["quotechar"] = options["quotechar"]
    return told


def _ingest(lake: LocalLake, data: bytes, overrides: dict) -> dict:
    if overrides:
        dialect = "".join(f"  {key}: {json.dumps(value)}\n" for key, value in overrides.items())
        lake.drop("contracts/t.yaml", f"dialect:\n{dialect}".encode())
    return lake.ingest("t.csv", data, key="raw/t/t.csv")


@pytest.mark.parametrize("seed", range(150))
def test_random_tables_round_trip_with_every_value_row_and_line(tmp_path, seed):
    case = _case(seed)
    ncols = len(case.rows[0])
    bad = f"expected {ncols} fields, found {len(case.bad)}"
    for block_size in BLOCK_SIZES:
        # WHEN the pipeline processes it, detection told only what the bytes cannot tell
        lake = LocalLake(tmp_path / str(block_size), Config(block_size=block_size))
        report = _ingest(lake, case.data, case.overrides)

        # THEN every row but the bad one is written, each value as it was, and the lines are right
        assert report["rows"] == {"read": len(case.rows) + 1, "written": len(case.rows), "rejected": 1}, block_size
        assert [(e["line"], e["message"]) for e in report["errors"]] == [(case.bad_line, bad)], block_size
        assert report["lines"]["total"] == case.lines
        processed = _rows(lake.read("processed/t/t.csv"))[1:]
        assert processed == [[_expected(v) for v in row] for row in case.rows], block_size
        rejected = _rows(lake.read("quarantine/t/t.rejected.csv"))[1:]
        assert rejected == [[*case.bad, *[""] * (ncols - len(case.bad)), str(case.bad_line), bad]]
        assert (report["dialect"]["encoding"], report["dialect"]["line_ending"]) == (case.encoding, case.line_ending)


@pytest.mark.parametrize("seed", range(60))
def test_random_one_column_files_are_read_as_one_column_untold(tmp_path, seed):
    # GIVEN a random column of texts that hold delimiters, quotes and line ends, not told its delimiter
    rng = random.Random(seed)
    options = {"delimiter": rng.choice([",", ";", "\t", "|"]), "quotechar": rng.choice(['"', "'"])}
    rows = _table(rng, 1)
    eol = EOLS[rng.choice(list(EOLS))]
    text = "".join(_written(row, options, eol) for row in [["col1"], *rows])
    overrides = _untold(text, rows, options, escaped=False, delimiters=(",", ";", "\t", "|"))

    lake = LocalLake(tmp_path, Config())
    report = _ingest(lake, text.encode(), overrides)

    # THEN it is one column, every value as it was
    assert report["rows"] == {"read": len(rows), "written": len(rows), "rejected": 0}
    processed = _rows(lake.read("processed/t/t.csv"))
    assert processed == [["col1"], *[[_expected(v) for v in row] for row in rows]]


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_a_cr_file_with_lfs_inside_quotes_keeps_its_rows(tmp_path, block_size):
    # Finding A: the LFs inside quotes outnumbered the CRs, and every row was lost.
    lake = LocalLake(tmp_path, Config(block_size=block_size))
    report = lake.ingest("a.csv", data=b'"a\nb\nc",d\r1,2\r')

    assert report["dialect"]["line_ending"] == "CR"
    assert report["rows"] == {"read": 1, "written": 1, "rejected": 0}
    assert _rows(lake.read("processed/a.csv"))[1:] == [["1", "2"]]
    assert report["lines"]["total"] == 4


def test_a_null_in_a_one_column_file_is_a_row_not_an_empty_line(lake):
    # Finding B: an empty line for the null, which readers skip.
    lake.ingest("b.csv", data=b"a\nNone\nx\n")

    assert lake.read("processed/b.csv") == b'a\n""\n"x"\n'
    assert _rows(lake.read("processed/b.csv")) == [["a"], [""], ["x"]]


def test_a_lone_cr_in_a_rejected_row_keeps_it_one_record(lake):
    # Finding C: the csv module quotes only the line terminator's characters.
    lake.ingest("c.csv", data=b'a,b\n"x\ry",1,2\n')

    assert _rows(lake.read("quarantine/c.rejected.csv")) == [
        ["a", "b", "_extra_1", "_line", "_error"],
        ["x\ry", "1", "2", "2", "expected 2 fields, found 3"],
    ]


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_a_bom_at_the_start_of_a_row_is_kept(tmp_path, block_size):
    # Finding E: Arrow drops a BOM at the start of a block; a cell of only a BOM became null.
    lake = LocalLake(tmp_path, Config(block_size=block_size))
    lake.ingest("e.csv", data=b"a,b\n\xef\xbb\xbfx,1\n\xef\xbb\xbf,2\n")

    assert _rows(lake.read("processed/e.csv"))[1:] == [["\ufeffx", "1"], ["\ufeff", "2"]]


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_mixed_line_ends_of_a_cr_file_are_counted_once_each(tmp_path, block_size):
    # Finding G: each CRLF of a CR file counted as two lines (five lines, line 7 reported).
    lake = LocalLake(tmp_path, Config(block_size=block_size))
    report = lake.ingest("g.csv", data=b"|3\r\n\r\r\r\n6\r")

    assert [(e["line"], e["message"]) for e in report["errors"]] == [(5, "expected 2 fields, found 1")]
    assert report["lines"]["total"] == 5


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_a_quoted_cr_of_a_cr_file_is_a_line(tmp_path, block_size):
    # Finding H: the quoted CR was not counted, and the footer after it was put on line 3.
    lake = LocalLake(tmp_path, Config(block_size=block_size))
    report = lake.ingest("h.csv", data=b'a,b\r"x\ry",1\rBAD\r')

    assert report["rows"] == {"read": 1, "written": 1, "rejected": 0}
    assert report["skipped_lines"] == [{"line": 4, "reason": "footer", "text": "BAD"}]
    assert report["lines"]["total"] == 4


def test_the_parquet_writer_is_closed_when_pass_two_fails(tmp_path, monkeypatch):
    # Finding I: left open, it wrote its footer to the aborted stream when collected.
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    lake = LocalLake(tmp_path, Config(output_format="parquet"))
    lake.drop("contracts/v.yaml", b"max_rejected_fraction: 0.25\nfields:\n  - name: n\n    type: integer\n")

    report = lake.ingest("a.csv", b"n\n1\nx\n3\n", key="raw/v/a.csv")
    gc.collect()

    assert report["status"] == "rejected" and not lake.exists("processed/v/a.parquet")
    assert [u.exc_value for u in unraisable] == []
