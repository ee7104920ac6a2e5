"""Footers: the totals, notes and short records after a file's last data row, left out of the data.

Only the end of the file shows a footer, so the chunks go through a step that holds back the last
ones (as few as can hold a footer). When the file ends, the records at its end that look like a
footer (structure.footer_like) are taken out of them, if they are at most MAX_FOOTER records, and
kept as skipped lines. A record that looks like one in the middle of the data stays data (or a
rejected row).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from .lines import Lines
from .reader import Chunk
from .report import shown
from .structure import SkippedLine, footer_like

MAX_FOOTER = 20  # records: real footers are a few lines; more would be data


def without_footer(
    chunks: Iterator[Chunk], delimiter: str, encoding: str, lines: Lines | None, count: int | None = None
) -> Iterator[Chunk]:
    """The same chunks, the file's footer records taken out of the last ones (recorded in `lines`):
    those that look like one, or the last `count` records when a contract says how many."""
    held: list[Chunk] = []
    for chunk in chunks:
        held.append(chunk)
        # A chunk goes on once the chunks after it hold more records than a footer may have: only
        # the last chunk, and small ones before it, wait for the end of the file.
        while len(held) > 1 and sum(c.rows + len(c.bad_rows) for c in held[1:]) > MAX_FOOTER:
            yield _counted(held.pop(0), lines)
    footer: list[SkippedLine] = []
    for chunk in reversed(held):
        taken, done = _footer(chunk, delimiter, encoding, MAX_FOOTER - len(footer), count)
        footer = taken + footer
        if done:
            break
    else:
        footer = []  # no data record before it in what is held: a table of short records, not a footer
    if len(footer) > MAX_FOOTER and count is None:
        footer = []
    if lines is not None:
        for line in _with_blank_lines(footer, lines.total):
            lines.skip(line)
    at = {line.line for line in footer}
    end = min(at, default=None)
    for chunk in held:
        yield _counted(_without(chunk, at, end), lines)


def _footer(
    chunk: Chunk, delimiter: str, encoding: str, budget: int, count: int | None
) -> tuple[list[SkippedLine], bool]:
    """The footer records at the end of the chunk, in order, and whether a record that is not one
    ends them here (else the footer may go on in the chunk before). With `count`, the last `count`
    records are the footer, whatever they hold."""
    width = len(chunk.columns)
    good = {int(line): i for i, line in enumerate(chunk.lines)}
    bad = {row.line: row for row in chunk.bad_rows}
    taken: list[SkippedLine] = []
    for line in sorted([*good, *bad], reverse=True):
        if count is not None:
            if len(taken) >= count:
                return taken[::-1], True
        elif line in bad and not bad[line].error.startswith("expected "):
            return taken[::-1], True  # a NUL, a quote never closed: a damaged row, not a footer
        fields = bad[line].fields if line in bad else _fields(chunk, good[line], encoding)
        if count is None and (len(taken) > budget or not footer_like(fields, width)):
            return taken[::-1], True
        taken.append(SkippedLine(line, "footer", shown(delimiter.join(fields)) or ""))
    return taken[::-1], count is not None and len(taken) >= count


def _with_blank_lines(footer: list[SkippedLine], total: int) -> list[SkippedLine]:
    """The footer's records and the blank lines between and after them (the reader skips those)."""
    if not footer:
        return []
    taken = {line.line for line in footer}
    blank = [SkippedLine(n, "blank", "") for n in range(footer[0].line, total + 1) if n not in taken]
    return sorted(footer + blank, key=lambda line: line.line)


def _fields(chunk: Chunk, row: int, encoding: str) -> list[str]:
    values = [column[row].as_py() for column in chunk.columns]
    return [v.decode(encoding, "replace") if isinstance(v, bytes) else (v or "") for v in values]


def _without(chunk: Chunk, lines: set[int], end: int | None) -> Chunk:
    """The chunk without the footer's records, and without its blank lines from the footer on
    (_with_blank_lines counts those)."""
    if not lines:
        return chunk
    keep = ~np.isin(chunk.lines, list(lines))
    columns = chunk.columns if keep.all() else [column.filter(pa.array(keep)) for column in chunk.columns]
    bad_rows = [row for row in chunk.bad_rows if row.line not in lines]
    return Chunk(columns, bad_rows, chunk.lines[keep], chunk.blank_lines[chunk.blank_lines < end])


def _counted(chunk: Chunk, lines: Lines | None) -> Chunk:
    """The chunk, its blank lines counted as skipped (the reader leaves them out of the rows)."""
    if lines is not None:
        for n in chunk.blank_lines.tolist():
            lines.skip(SkippedLine(n, "blank", ""))
    return chunk
