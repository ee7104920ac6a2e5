"""The reader's framing: however a file is cut into pieces and blocks, each record comes out once,
with its fields and the line where it starts, as Python's csv module reads the whole file with the
same dialect; blank lines and rows of only empty fields are skipped and listed, and a row's one
extra field, empty and last (a trailing delimiter), is dropped."""

import csv
import io
import random

import numpy as np
import pytest

from csvlake.dialect import Dialect
from csvlake.reader import _Layout, _no_lone_cr, _plain_block, _scanned_block, _slow_block, read_rows
from csvlake.streams import line_ends

BLOCK_SIZES = (16, 64, 200, 1 << 20)
WORDS = ["a", "bb", "", "12,5", "São Paulo", "x y", " lead", "trail ", "\ufeffbom", "€5", "-3.5", "2024-01-31"]
# What makes framing hard: delimiters, quotes of both kinds, line ends, backslashes inside fields.
HARD = ["d;e,f|g\th i", 'say "hi"', "it's", "two\nlines", "crlf\r\ninside", "lone\rcr", "back\\slash", "\\"]


def _dialect(rng: random.Random) -> Dialect:
    delimiter = rng.choice([";", ",", "\t", "|", " "])
    escapechar = rng.choice([None, "\\"])
    skip = delimiter == "," and rng.random() < 0.3
    return Dialect(
        "utf-8",
        delimiter,
        ".",
        True,
        rng.choice(["LF", "CRLF", "CR"]),
        quotechar=rng.choice(['"', "'"]),
        escapechar=escapechar,
        skipinitialspace=skip,
    )


def _file(rng: random.Random, dialect: Dialect, ncols: int) -> bytes:
    """Records written by the csv module in `dialect`, with what a block boundary may cut and what
    the reader must reject or skip: blank lines, rows of the wrong width, NULs, stray quotes, line
    ends of another kind, backslash escapes outside quotes."""
    eol = {"LF": "\n", "CRLF": "\r\n", "CR": "\r"}[dialect.line_ending]
    out = io.StringIO()
    writer = csv.writer(
        out,
        delimiter=dialect.delimiter,
        quotechar=dialect.quotechar,
        escapechar=dialect.escapechar,
        doublequote=dialect.escapechar is None or rng.random() < 0.5,
        lineterminator=eol,
    )
    separator = ", " if dialect.skipinitialspace else dialect.delimiter
    for _ in range(rng.randrange(1, 40)):
        roll = rng.random()
        width = ncols + (roll < 0.06) - (0.06 <= roll < 0.1)
        values = [rng.choice(WORDS if rng.random() < 0.6 else HARD) for _ in range(width)]
        if 0.1 <= roll < 0.12:
            values[0] = "nul\x00here"
        if 0.12 <= roll < 0.16:
            out.write(rng.choice(["", "  ", "\t", "\x1a"]) + eol)  # a blank line
        elif 0.16 <= roll < 0.18:
            out.write(separator.join(['27"x'] * ncols) + eol)  # a quote inside unquoted fields
        elif 0.18 <= roll < 0.2:
            out.write(separator.join(["1"] * ncols) + rng.choice(["\r", "\n", "\r\n"]))  # another line end
        elif 0.2 <= roll < 0.22 and dialect.escapechar:
            out.write(separator.join(["esc\\" + rng.choice([dialect.delimiter, "\n", "\r", "x"])] * ncols) + eol)
        elif dialect.skipinitialspace:
            one = io.StringIO()
            quoted = csv.writer(one, quotechar=dialect.quotechar, lineterminator="", escapechar=dialect.escapechar)
            fields = []
            for value in values:
                one.seek(0)
                one.truncate()
                quoted.writerow([value])
                fields.append(one.getvalue())
            out.write(", ".join(fields) + eol)
        else:
            writer.writerow(values)
    text = out.getvalue()
    return text[: -len(eol)].encode() if text.endswith(eol) and rng.random() < 0.2 else text.encode()


def _reference(data: bytes, dialect: Dialect, ncols: int, first_line: int) -> tuple[list, list, list]:
    """Rows, rejected rows and blank lines as the csv module reads the whole file. A record starts on
    the line after the file's line ends before it: LF, or in a CR file CR, LF and CRLF. A blank line
    holds nothing but blank records: in a LF file a lone CR can put a record and a blank one on a line."""
    lines = io.StringIO(data.decode("utf-8", "surrogateescape"), newline="").readlines()
    terminators = ("\r", "\n") if dialect.line_ending == "CR" else "\n"
    ends = np.cumsum([0] + [x.endswith(terminators) for x in lines])
    reader = csv.reader(
        lines,
        delimiter=dialect.delimiter,
        quotechar=dialect.quotechar,
        escapechar=dialect.escapechar,
        skipinitialspace=dialect.skipinitialspace,
    )
    rows, bad, blank, covered = [], [], set(), set()
    start = 0
    for fields in reader:
        line, last_line = first_line + int(ends[start]), first_line + int(ends[reader.line_num - 1])
        raw = lines[reader.line_num - 1].rstrip("\r\n")
        start = reader.line_num
        # One extra field, empty, after a delimiter that ends the record: dropped, the row kept.
        if len(fields) == ncols + 1 and fields[-1] == "" and raw.endswith(dialect.delimiter):
            fields = fields[:-1] if not any("\x00" in value for value in fields) else fields
        empty_row = ncols > 1 and len(fields) == ncols and not any(fields)
        if empty_row or not fields or (ncols > 1 and len(fields) == 1 and not fields[0].strip(" \t\r\x1a")):
            blank.add(line)
            continue
        covered.update(range(line, last_line + 1))
        if any("\x00" in value for value in fields):
            bad.append((line, fields, "contains a NUL byte"))
        elif len(fields) != ncols:
            bad.append((line, fields, f"expected {ncols} fields, found {len(fields)}"))
        else:
            rows.append((line, fields))
    return rows, sorted(bad), sorted(blank - covered)


def _read(data: bytes, dialect: Dialect, ncols: int, block_size: int, piece: int, first_line: int = 1):
    pieces = [data[i : i + piece] for i in range(0, len(data), piece)]
    rows, bad, blank = [], [], []
    for chunk in read_rows(pieces, dialect, ncols, first_line, block_size):
        fields = [column.to_pylist() for column in chunk.columns]
        rows += [(int(line), [f[i] for f in fields]) for i, line in enumerate(chunk.lines)]
        bad += [(row.line, row.fields, row.error) for row in chunk.bad_rows]
        blank += chunk.blank_lines.tolist()
    return rows, sorted(bad), blank


@pytest.mark.parametrize("seed", range(60))
def test_every_dialect_and_block_size_reads_the_records_as_the_csv_module_does(seed):
    # GIVEN a file in a random dialect: quote ' or ", backslash escapes, `, `, a space delimiter, CR
    rng = random.Random(seed)
    dialect = _dialect(rng)
    ncols = rng.choice([1, 3, 4])
    data = _file(rng, dialect, ncols)
    expected = _reference(data, dialect, ncols, first_line=3)

    for block_size in BLOCK_SIZES:
        # WHEN it is read in pieces and blocks of any size THEN the csv module's records come out
        assert _read(data, dialect, ncols, block_size, rng.randrange(1, 14), first_line=3) == expected, block_size


@pytest.mark.parametrize("seed", range(20))
def test_every_framing_path_accounts_for_the_bytes_and_line_ends_it_takes(seed):
    """GIVEN any prefix of a file, WHEN a path frames it, THEN it takes whole records only, with the
    line ends they hold."""
    rng = random.Random(seed)
    dialect = _dialect(rng)
    data = _file(rng, dialect, 3)
    layout = _Layout.of(dialect, 3, "utf-8")
    for end in sorted({len(data), *(rng.randrange(1, len(data) + 1) for _ in range(8))}):
        view, last = data[:end], end == len(data)
        for path in (_plain_block, _scanned_block, _slow_block):
            framed = path(view, last, 5, layout)
            if framed is None:  # the path leaves this view to the next one
                continue
            assert 0 <= framed.consumed <= len(view)
            consumed = np.frombuffer(view[: framed.consumed], np.uint8)
            assert framed.line_ends == len(line_ends(consumed, layout.lone_cr))
            if framed.chunk is not None:
                assert framed.consumed
                lines = [*framed.chunk.lines, *framed.chunk.blank_lines, *(r.line for r in framed.chunk.bad_rows)]
                assert all(5 <= line <= 5 + framed.line_ends for line in lines)


def test_a_cr_is_lone_unless_a_lf_follows_it_before_the_end():
    rng = random.Random(0)
    for _ in range(2000):
        view = bytes(rng.choice(b"\r\nx") for _ in range(rng.randrange(1, 12)))
        end = rng.randrange(1, len(view) + 1)
        assert _no_lone_cr(view, end) == (view.count(b"\r", 0, end) == view.count(b"\r\n", 0, end)), (view, end)


LF = Dialect("utf-8", ";", ",", True, "LF")
CR = Dialect("utf-8", ",", ".", True, "CR")


def test_a_nul_after_the_last_line_end_of_a_block_waits_for_the_next_block():
    # Finding F: the NUL of the record the block cuts short was looked up among the whole records.
    data = b"a;b\n1;2\n" + b"3;4\n" * 3 + b"5\x00;6\n" + b"7;8\n"

    rows, bad, blank = _read(data, LF, 2, block_size=8, piece=3)

    assert rows == [
        (1, ["a", "b"]),
        (2, ["1", "2"]),
        (3, ["3", "4"]),
        (4, ["3", "4"]),
        (5, ["3", "4"]),
        (7, ["7", "8"]),
    ]
    assert bad == [(6, ["5\x00", "6"], "contains a NUL byte")] and blank == []


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_a_cr_file_counts_every_line_end_once_quoted_crs_and_crlfs_too(block_size):
    # Findings G and H: a CRLF in a CR file is one line end; a quoted CR is a line of the file.
    assert _read(b'"x\ry",1\rBAD\r', CR, 2, block_size, 3, first_line=2) == (
        [(2, ["x\ry", "1"])],
        [(4, ["BAD"], "expected 2 fields, found 1")],
        [],
    )
    mixed = Dialect("utf-8", "|", ".", True, "CR")
    assert _read(b"\r\r\r\n6\r", mixed, 2, block_size, 3, first_line=2) == (
        [],
        [(5, ["6"], "expected 2 fields, found 1")],
        [2, 3, 4],
    )


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_a_cr_file_keeps_lfs_inside_quotes_as_data_and_lines(block_size):
    # Finding A's data: LFs inside quotes in a file of CR line ends.
    assert _read(b'"a\nb\nc",d\r1,2\r', CR, 2, block_size, 4) == ([(1, ["a\nb\nc", "d"]), (4, ["1", "2"])], [], [])


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_a_bom_that_starts_a_block_is_data(block_size):
    # Finding E: Arrow drops a BOM at the start of what it parses.
    data = b"\xef\xbb\xbfx,1\n\xef\xbb\xbf,2\n"

    rows, _, _ = _read(data, Dialect("utf-8", ",", ".", True, "LF"), 2, block_size, 100)

    assert rows == [(1, ["\ufeffx", "1"]), (2, ["\ufeff", "2"])]


def test_blank_lines_are_listed_with_their_line_numbers():
    data = b"1;2\n\n  \n3;4\r\n\r\n5;6\n\t\n"

    assert _read(data, LF, 2, 1 << 20, 100, first_line=10)[2] == [11, 12, 14, 16]
