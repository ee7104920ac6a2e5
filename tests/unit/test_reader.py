"""The reader's framing: however a file is cut into blocks, each record comes out once, with its
fields and the line where it starts, as Python's csv module reads the whole file at once."""

import random

import pytest

from csvlake.dialect import Dialect
from csvlake.reader import _slow_block, read_rows

NCOLS = 3
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
    _, chunk, _ = _slow_block(data, True, 1, NCOLS, ";", True, "utf-8")
    fields = [column.to_pylist() for column in chunk.columns]
    expected = [(int(line), [f[i] for f in fields]) for i, line in enumerate(chunk.lines)]
    expected_bad = sorted((row.line, row.fields, row.error) for row in chunk.bad_rows)

    for block_size in (16, 64, 200, 1 << 20):
        assert _read(data, block_size) == (expected, expected_bad), block_size
