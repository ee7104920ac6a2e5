"""The reader's framing: however a file is cut into blocks, each record comes out once, with its
fields and the line where it starts, as Python's csv module reads the whole file at once."""

import random

import pytest

from csvlake.dialect import Dialect
from csvlake.reader import _Layout, _no_lone_cr, _plain_block, _scanned_block, _slow_block, read_rows

NCOLS = 3
LAYOUT = _Layout(NCOLS, ";", "utf-8")
FIELDS = ["a", "bb", "", "12,5", '"q;uoted"', '"two\nlines"', '"crlf\r\ninside"', '"say ""hi"""', '"lone\rcr"']


def _file(rng: random.Random) -> bytes:
    """A header and rows with what a block boundary may cut: quoted line ends, blank lines, CRLF,
    a lone CR."""
    eol = rng.choice(["\n", "\r\n"])
    lines = [";".join(["x", "y", "z"])]
    for _ in range(rng.randrange(1, 60)):
        roll = rng.random()
        if roll < 0.08:
            lines.append("")  # a blank line
        elif roll < 0.12:
            lines.append(";".join(rng.choice(FIELDS) for _ in range(NCOLS + 1)))  # a field too many
        elif roll < 0.14:
            lines.append("1;2;3\r4;5;6")  # two records on one line, a lone CR between them
        else:
            lines.append(";".join(rng.choice(FIELDS[:4] if roll < 0.6 else FIELDS) for _ in range(NCOLS)))
    return (eol.join(lines) + (eol if rng.random() < 0.8 else "")).encode()


def _read(data: bytes, block_size: int) -> tuple[list, list]:
    dialect = Dialect("utf-8", ";", ",", True, "LF")
    pieces = [data[i : i + 7] for i in range(0, len(data), 7)]
    rows, bad = [], []
    for chunk in read_rows(pieces, dialect, NCOLS, skip_header=True, block_size=block_size):
        fields = [column.to_pylist() for column in chunk.columns]
        rows += [(int(line), [f[i] for f in fields]) for i, line in enumerate(chunk.lines)]
        bad += [(row.line, row.fields, row.error) for row in chunk.bad_rows]
    return rows, sorted(bad)


@pytest.mark.parametrize("seed", range(40))
def test_every_block_size_frames_the_records_as_the_csv_module_does(seed):
    rng = random.Random(seed)
    data = _file(rng)
    chunk = _slow_block(data, True, 1, True, LAYOUT).chunk
    fields = [column.to_pylist() for column in chunk.columns]
    expected = [(int(line), [f[i] for f in fields]) for i, line in enumerate(chunk.lines)]
    expected_bad = sorted((row.line, row.fields, row.error) for row in chunk.bad_rows)

    for block_size in (16, 64, 200, 1 << 20):
        assert _read(data, block_size) == (expected, expected_bad), block_size


@pytest.mark.parametrize("seed", range(20))
def test_every_framing_path_accounts_for_the_bytes_and_line_ends_it_takes(seed):
    """GIVEN any prefix of a file, WHEN a path frames it, THEN it takes whole records only, with the
    line ends they hold, and a header only among them."""
    rng = random.Random(seed)
    data = _file(rng)
    for end in sorted({len(data), *(rng.randrange(1, len(data) + 1) for _ in range(8))}):
        view, last = data[:end], end == len(data)
        for path in (_plain_block, _scanned_block, _slow_block):
            for skip_header in (True, False):
                framed = path(view, last, 5, skip_header, LAYOUT)
                if framed is None:  # the path leaves this view to the next one
                    continue
                assert 0 <= framed.consumed <= len(view)
                assert framed.line_ends == view.count(b"\n", 0, framed.consumed)
                assert not framed.header_skipped or (skip_header and framed.consumed)
                if framed.chunk is not None:
                    assert framed.consumed
                    assert all(5 <= line <= 5 + framed.line_ends for line in framed.chunk.lines)


def test_a_cr_is_lone_unless_a_lf_follows_it_before_the_end():
    rng = random.Random(0)
    for _ in range(2000):
        view = bytes(rng.choice(b"\r\nx") for _ in range(rng.randrange(1, 12)))
        end = rng.randrange(1, len(view) + 1)
        assert _no_lone_cr(view, end) == (view.count(b"\r", 0, end) == view.count(b"\r\n", 0, end)), (view, end)
