"""Footers: the totals, notes and short records after a file's last data row, left out of the data.

Only the end of the file shows a footer, so the chunks go through a step that holds back the last
ones: as few as hold a footer and the rows it is compared with, or a small file whole, for the sums
a totals row repeats. At the end, the footer is the longest run of records at the file's end, at
most MAX_FOOTER, whose shape breaks the columns of the data above it (_verdict): text in a column of
numbers or dates, blanks where the data always hold a value, a number that is the column's sum or
mean, a totals or notes label. A last record that types like the rows above stays data, whatever
word it starts with. Every line from the footer's first one on is skipped, with its text as the
file has it (Tail).
"""

from __future__ import annotations

import dataclasses
import math
import re
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from .dialect import Dialect
from .lines import Lines
from .reader import Chunk
from .structure import NOTES, TOTALS, SkippedLine, Structure, skipped_line, typed, value_kind

MAX_FOOTER = 20  # records: real footers are a few lines; more would be data
ABOVE = 50  # the records above a footer that its records are compared with
MIN_ROWS = 3  # of them, for what its columns hold to be known
# Fewer rows above, but at least these: only a notes label, or a totals one whose numbers are all the
# columns' exact sums, is a footer (a sum of one row is the row itself; two rows' seldom repeat by chance).
SUMMED_ROWS = 2
SUMMED_CELLS = 100_000  # a file of at most this many cells is held whole: its columns' sums are known
TAIL_BYTES = 1024 * 1024  # of the table's end, kept for the texts of the footer's lines
FILLED = 0.95  # a column with a value in this share of the rows above: a blank there breaks it
TYPED = 0.9  # a column of numbers, dates or booleans: this share of its values above are of that kind

EMPTY, NUMBER = 0, 1
KINDS = {"empty": EMPTY, "number": NUMBER, "date": 2, "boolean": 3, "words": 4, "other": 5}
TYPED_KINDS = (NUMBER, 2, 3)
# What may follow a totals word for the cell to be a label (`Total`, `Total geral:`, `Soma (R$)`),
# not a name that starts with one (`Total Express Ltda`); a note's word is followed by a colon soon.
LABEL_REST = re.compile(r"^(?:\s+(?:geral|gerais|general))?(?:\s*\([^)]*\))?\s*(?:[:=].*)?\W*$", re.S)
# A subtotal names what it sums (`Subtotal Norte`): a label whatever follows.
SUBTOTAL = re.compile(r"^(?i:sub-?\s?totais|sub-?\s?totals?)\b")
NOTE_REST = re.compile(r"^[^:\n]{0,15}:|^\W*$")


class Tail:
    """The table's last bytes, at least TAIL_BYTES of them in whole pieces, kept as they stream to
    the reader: the footer's lines are listed with their text as the file has it."""

    def __init__(self, lone_cr: bool) -> None:
        self.lone_cr = lone_cr  # the file's line ends are CR (streams.line_ends)
        self.pieces: deque[bytes] = deque()
        self.size = 0
        self.whole = True  # it holds the table from its first byte

    def watch(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        for piece in pieces:
            self.pieces.append(piece)
            self.size += len(piece)
            while self.size - len(self.pieces[0]) >= TAIL_BYTES:
                self.size -= len(self.pieces.popleft())
                self.whole = False
            yield piece

    def texts(self, last: int, encoding: str) -> dict[int, str]:
        """The lines it holds whole, by number, the table's last line being `last`."""
        text = b"".join(self.pieces).decode(encoding, "replace")
        if self.lone_cr:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        texts = text.split("\n")
        if not texts[-1]:
            texts.pop()  # after the last line's end
        first = last - len(texts) + 1
        return {first + i: t.removesuffix("\r") for i, t in enumerate(texts) if i or self.whole}


def without_footer(
    chunks: Iterator[Chunk],
    dialect: Dialect,
    structure: Structure,
    encoding: str,
    lines: Lines | None,
    tail: Tail,
) -> Iterator[Chunk]:
    """The same chunks, the file's footer records taken out of the last ones (their lines recorded
    in `lines`): those detected, or the last `structure.footer_rows` when a contract says how many."""
    width, count = len(structure.names), structure.footer_rows
    keep = MAX_FOOTER + ABOVE if count is None else count
    held: deque[Chunk] = deque()
    cells = after = 0  # the file's cells so far; the records of the held chunks after the first
    for chunk in chunks:
        held.append(chunk)
        cells += _records_in(chunk) * width
        after += _records_in(chunk) if len(held) > 1 else 0
        # A chunk goes on once the chunks after it hold more records than the footer needs.
        while cells > SUMMED_CELLS and len(held) > 1 and after > keep:
            yield _counted(held.popleft(), lines)
            after -= _records_in(held[0])
    records = _last_records(held, width, encoding, keep + 1)
    if count is not None:
        footer = records[len(records) - min(count, len(records)) :]
    else:
        sums = _Sums(held, dialect.decimal, encoding) if cells <= SUMMED_CELLS else None
        blanks = {int(n) for chunk in held for n in chunk.blank_lines.tolist()}
        footer = _detected(records, width, sums, _headings(records, blanks))
    at = {record.line for record in footer}
    first = footer[0].line if footer else None
    for chunk in held:
        yield _counted(_without(chunk, at, first), lines)
    if lines is not None and first is not None:
        last = structure.end_line - 1 if structure.end_line is not None else lines.total
        texts = tail.texts(last, encoding)
        for n in range(first, last + 1):
            # A blank line or one of only delimiters among the footer is listed as such (skipped_line).
            lines.skip(skipped_line(n, texts[n], "footer") if n in texts else SkippedLine(n, "footer", ""))


@dataclass(frozen=True)
class _Record:
    line: int
    fields: list[str]
    row: bool  # accepted by the reader: one of the data rows a footer is compared with
    damaged: bool = False  # rejected for a NUL or a quote never closed: not a footer
    kinds: np.ndarray | None = field(default=None, compare=False)  # per column; None: another width


def _records_in(chunk: Chunk) -> int:
    return chunk.rows + len(chunk.bad_rows)


def _last_records(held: deque[Chunk], width: int, encoding: str, n: int) -> list[_Record]:
    """The last `n` records of the held chunks, accepted and rejected, in order."""
    records: list[_Record] = []
    for chunk in reversed(held):
        m = min(chunk.rows, n)
        values = [_texts(column.slice(chunk.rows - m), encoding) for column in chunk.columns]
        these = [_Record(int(line), list(row), True) for line, row in zip(chunk.lines[chunk.rows - m :], zip(*values))]
        for bad in chunk.bad_rows:
            damaged = not bad.error.startswith("expected ")
            these.append(_Record(bad.line, bad.fields, False, damaged))
        records = sorted(these, key=lambda r: r.line)[-n:] + records
        if len(records) >= n:
            break
    records = records[-n:]
    return [
        _Record(r.line, r.fields, r.row, r.damaged, _kinds(r.fields) if len(r.fields) == width else None)
        for r in records
    ]


def _texts(column: pa.ChunkedArray, encoding: str) -> list[str]:
    values = column.to_pylist()
    return [v.decode(encoding, "replace") if isinstance(v, bytes) else (v or "") for v in values]


def _kinds(fields: list[str]) -> np.ndarray:
    return np.array([KINDS[value_kind(value)] for value in fields], np.int8)


@dataclass(frozen=True)
class _Columns:
    """What the data rows above a footer hold, per column."""

    kind: np.ndarray  # NUMBER, a date's or a boolean's code when nearly all its values are of it; else -1
    filled: np.ndarray  # whether nearly every row has a value in it
    few: bool = False  # SUMMED_ROWS to MIN_ROWS rows: only a label (and exact sums) below them tell a footer

    @classmethod
    def of(cls, kinds: np.ndarray, run: int) -> _Columns:
        """What the rows of `kinds` hold, known only if they are at least SUMMED_ROWS and as many as
        the `run` of records below them: else those records would be the table, not its footer."""
        if len(kinds) < max(SUMMED_ROWS, run):
            return cls(np.full(kinds.shape[1], -1, np.int8), np.zeros(kinds.shape[1], bool))
        present = kinds != EMPTY
        counts = np.maximum(present.sum(axis=0), 1)
        kind = np.full(kinds.shape[1], -1, np.int8)
        for code in TYPED_KINDS:
            kind[(kinds == code).sum(axis=0) >= TYPED * counts] = code
        kind[~present.any(axis=0)] = -1
        return cls(kind, present.mean(axis=0) >= FILLED, len(kinds) < MIN_ROWS)


def _detected(records: list[_Record], width: int, sums: _Sums | None, headings: set[int]) -> list[_Record]:
    """The longest run of records at the end, at most MAX_FOOTER, each a footer record or a blank
    one, compared with the accepted rows just above the run; none if no run is. Below a notes
    heading (`headings`), a record with fewer fields than the table is a note."""
    rows = [i for i, r in enumerate(records) if r.row]
    kinds = np.stack([records[i].kinds for i in rows]) if rows else np.zeros((0, width), np.int8)
    best = 0
    for k in range(1, min(MAX_FOOTER, len(records) - 1) + 1):
        start = len(records) - k
        above = kinds[bisect_left(rows, start - ABOVE) : bisect_left(rows, start)]
        if not len(above):
            continue
        columns = _Columns.of(above, k)
        if _footer_run(records[start:], width, columns, sums, headings):
            best = k
    return records[len(records) - best :] if best else []


def _footer_run(run: list[_Record], width: int, columns: _Columns, sums: _Sums | None, headings: set[int]) -> bool:
    """Whether every record of the run is a footer's or a blank one. In a file of one column a blank
    value is a value: only after a footer record is a blank one the footer's."""
    found = notes = False
    for record in run:
        if notes and len(record.fields) < width and not record.damaged:
            verdict: bool | None = True  # `1,Source: Statistics Canada` below `Footnotes:`
        else:
            verdict = _verdict(record, width, columns, sums, run[0].line)
        if verdict is False or (verdict is None and width == 1 and not found):
            return False
        found = found or bool(verdict)
        notes = notes or (bool(verdict) and record.line in headings)
    return found or width > 1


def _headings(records: list[_Record], blanks: set[int]) -> set[int]:
    """The lines of the records that head a block of notes: after a blank line or an empty record,
    a first cell alone that is a notes label or ends with a colon (`Footnotes:`, `Notes`, `Fonte:`)."""
    headings = set()
    for before, record in zip([None, *records], records):
        after_blank = record.line - 1 in blanks or (before is not None and not any(v.strip() for v in before.fields))
        first, *rest = [value.strip() for value in record.fields] or [""]
        if after_blank and first and not any(rest) and (_label(first) == "note" or first.endswith(":")):
            headings.add(record.line)
    return headings


def _verdict(record: _Record, width: int, columns: _Columns, sums: _Sums | None, start: int) -> bool | None:
    """Whether a record at the end, in a run from line `start`, is a footer's (None: a blank one,
    which goes with the run). Its cells break the columns where they hold text in a typed column or
    a blank in a column always filled: many breaks (the key column's among them, or a text), or one
    and a label or a repeated sum, make it a footer; a label alone, only a totals one with a sum
    (or in a file too large for the sums to be known). Below only SUMMED_ROWS rows, only a notes
    label alone, or a totals one whose numbers are all their columns' sums."""
    filled = [value.strip() for value in record.fields if value.strip()]
    if not filled:
        return None
    if record.damaged:
        return False
    label = _label(filled[0])
    if record.kinds is None:  # another width: its cells are not the columns'
        # A numbered note (`"1","Estimates are preliminary."`): half the fields or fewer, one of prose.
        note = len(record.fields) <= width // 2 and any(" " in v and not typed(v) for v in filled)
        return label is not None or note or (len(record.fields) < width and not typed(filled[0]))
    numbers = np.flatnonzero((record.kinds == NUMBER) & (columns.kind == NUMBER))
    if columns.few:
        if label != "totals" or sums is None or not len(numbers):
            return label == "note" and len(filled) == 1  # `Fonte: ERP;;;`, not a row `Source;3`
        return all(sums.repeated(int(j), record.fields[j], start, means=False) for j in numbers)
    present = record.kinds != EMPTY
    wrong = present & (columns.kind >= 0) & (record.kinds != columns.kind)
    blank = ~present & columns.filled
    breaks = int(wrong.sum() + blank.sum())
    fitting = int(present.sum() - wrong.sum())
    if breaks >= 2 and breaks > fitting and (wrong.any() or blank[0]):
        return True
    if breaks and label:
        return True
    if not breaks and label != "totals":
        return False
    if sums is None:
        return not breaks
    return any(sums.repeated(int(j), record.fields[j], start) for j in numbers)


def _label(value: str) -> str | None:
    """The kind of label a first cell is: "totals" (`TOTAL`, `Soma:`), "note" (`Fonte: IBGE`) or None."""
    if (match := TOTALS.match(value)) and (LABEL_REST.match(value[match.end() :]) or SUBTOTAL.match(value)):
        return "totals"
    if (match := NOTES.match(value)) and NOTE_REST.match(value[match.end() :]):
        return "note"
    return None


class _Sums:
    """The numbers of each column's accepted rows, in a file held whole."""

    def __init__(self, held: deque[Chunk], decimal: str, encoding: str) -> None:
        self.held, self.decimal, self.encoding = held, decimal, encoding
        self.columns: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.subtotals: set[int] | None = None

    def repeated(self, j: int, text: str, start: int, means: bool = True) -> bool:
        """Whether `text` is the sum or (with `means`) the mean of column j's numbers above line
        `start`, as exported (rounded to its decimals), and none of the rows summed holds it. Rows
        labelled as totals (subtotals mid-table) are left out; the rows since the last of them are
        summed too, for the subtotal they end with."""
        number = _number(text, self.decimal)
        lines, values, labelled = self._column(j)
        before = lines < start
        above = values[before & ~labelled]
        if number is None or len(above) < 2:
            return False
        value, unit = number
        since = values[before & ~labelled & (lines > lines[before & labelled].max(initial=0))]
        if any(len(part) >= 2 and _near_sum(part, value, unit) and not _holds(part, value) for part in (above, since)):
            return True
        if _holds(above, value):
            return False
        with np.errstate(over="ignore", invalid="ignore"):  # numbers past a float's range: no mean repeats them
            mean = float(above.sum()) / len(above)
        # The mean rounded, or cut, to the value's decimals.
        return means and (abs(value - mean) <= unit / 2 + 1e-9 or 0 <= (mean - value) * math.copysign(1, mean) < unit)

    def _column(self, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if j not in self.columns:
            lines, values = [], []
            for chunk in self.held:
                for line, text in zip(chunk.lines.tolist(), _texts(chunk.columns[j], self.encoding)):
                    if value_kind(text) == "number" and (number := _number(text, self.decimal)):
                        lines.append(line)
                        values.append(number[0])
            labelled = np.isin(np.array(lines, np.int64), list(self._subtotals()))
            self.columns[j] = (np.array(lines, np.int64), np.array(values, np.float64), labelled)
        return self.columns[j]

    def _subtotals(self) -> set[int]:
        """The lines of the rows whose first cell is a totals label (`Subtotal Norte`)."""
        if self.subtotals is None:
            self.subtotals = {
                line
                for chunk in self.held
                for line, text in zip(chunk.lines.tolist(), _texts(chunk.columns[0], self.encoding))
                if _label(text.strip()) == "totals"
            }
        return self.subtotals


def _holds(values: np.ndarray, value: float) -> bool:
    return bool(np.isclose(values, value, rtol=0, atol=1e-9).any())


def _near_sum(values: np.ndarray, value: float, unit: float) -> bool:
    """Whether `value` is the sum of `values`: they are rounded as exported, so their sum may be off
    the total by their rounding."""
    with np.errstate(over="ignore", invalid="ignore"):  # numbers past a float's range: no sum repeats them
        total = float(values.sum())
    return abs(value - total) <= unit / 2 * max(1, math.sqrt(len(values))) + 1e-9 * abs(total)


def _number(text: str, decimal: str) -> tuple[float, float] | None:
    """A number as exported, and the unit of its last decimal (0.01 for `1.234,50`); None if it is not one."""
    digits = text.strip().rstrip("%").replace("." if decimal == "," else ",", "").replace(" ", "")
    whole, _, fraction = digits.partition(decimal)
    try:
        return float(f"{whole}.{fraction}" if fraction else whole), 10.0 ** -len(fraction)
    except ValueError:
        return None


def _without(chunk: Chunk, lines: set[int], end: int | None) -> Chunk:
    """The chunk without the footer's records, and without its blank lines from the footer on
    (the footer's lines are all counted together)."""
    if not lines:
        return chunk
    keep = ~np.isin(chunk.lines, list(lines))
    columns = chunk.columns if keep.all() else [column.filter(pa.array(keep)) for column in chunk.columns]
    bad_rows = [row for row in chunk.bad_rows if row.line not in lines]
    blank_lines = chunk.blank_lines[chunk.blank_lines < end]
    empty_rows = {n: text for n, text in chunk.empty_rows.items() if n < end}
    return dataclasses.replace(
        chunk,
        columns=columns,
        bad_rows=bad_rows,
        lines=chunk.lines[keep],
        blank_lines=blank_lines,
        empty_rows=empty_rows,
    )


def _counted(chunk: Chunk, lines: Lines | None) -> Chunk:
    """The chunk, its blank lines counted as skipped (the reader leaves them out of the rows), its
    empty rows (`,,`) by their text."""
    if lines is not None:
        for n in chunk.blank_lines.tolist():
            lines.skip(skipped_line(n, chunk.empty_rows.get(n, ""), "blank"))
    return chunk
