"""Every line of a file accounted for: the header's, the data's, and each line left out and why.

The stream stage `table_bytes` hands the reader the bytes of the table only, from its first data
line to a second table, if any, and counts every line of the file on the way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from .streams import line_ends
from .structure import SkippedLine, Structure, skipped_line

MAX_LISTED = 100  # skipped lines listed with their text in the report; all are counted
TAIL_BYTES = 64 * 1024  # of a second table, kept for the texts of the lines listed
NEWLINE, CR = 10, 13
ENDS = {False: (NEWLINE,), True: (NEWLINE, CR)}  # the bytes that end a file's last line


@dataclass
class Lines:
    """The file's lines: how many, which are the header's, and those skipped (the first listed)."""

    header: int = 0
    total: int = 0
    listed: list[SkippedLine] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    trimmed: int = 0  # rows whose one extra field, empty and last, was dropped (Chunk.trimmed)

    def skip(self, line: SkippedLine) -> None:
        self.skipped[line.reason] += 1
        if len(self.listed) < MAX_LISTED:
            self.listed.append(line)

    @property
    def data(self) -> int:
        """The lines of the data's records, accepted or rejected."""
        return self.total - self.header - sum(self.skipped.values())

    def unread(self, rows: int, header_rows: int) -> str | None:
        """Why a file that gave no row cannot pass as processed, or None: lines of data that no row
        came from, or a header that took more lines than its rows and left none (a quote in it that
        never closes makes the lines below part of a name: `"id,name,v` / `2,Ana,3.0` / …)."""
        if rows:
            return None
        if self.data:
            return f"no row was read from the file's {self.data} line(s) of data"
        if self.header > header_rows:
            return (
                f"no data row: the header's {header_rows} row(s) take {self.header} lines, "
                "as a quote in it that is never closed would take the data into a name"
            )
        return None

    def as_report(self) -> dict:
        return {
            "total": self.total,
            "header": self.header,
            "data": self.data,
            "skipped": sum(self.skipped.values()),
            "skipped_by_reason": dict(sorted(self.skipped.items())),
        }

    def notes(self) -> list[str]:
        """The warnings about the lines: those left out, and the rows kept without a trailing delimiter."""
        notes = [summary] if (summary := self.summary()) else []
        if self.trimmed:
            notes.append(
                f"{self.trimmed} row(s) end with one field more than the header, empty (a trailing delimiter): "
                "that field was dropped and the rows kept"
            )
        return notes

    def summary(self) -> str | None:
        """The warning that says which lines were left out, or None when none but blank ones were."""
        if not set(self.skipped) - {"blank"}:
            return None
        parts = ", ".join(f"{n} {reason}" for reason, n in sorted(self.skipped.items()))
        return f"{sum(self.skipped.values())} line(s) are not data and were left out ({parts}): see skipped_lines"


def table_bytes(
    pieces: Iterator[bytes], structure: Structure, lines: Lines | None, encoding: str, lone_cr: bool
) -> Iterator[bytes]:
    """The bytes from the structure's first data line up to its second table, if any; `lines`, if
    given, counts every line and records the second table's as skipped. Lines end at LFs, and at
    lone CRs too in a file of CR line ends (`lone_cr`), as the reader counts them."""
    first, end = structure.data_line, structure.end_line
    line = 1  # the line the next byte is on
    tail: list[bytes] = []  # the second table's first bytes, for the texts of the lines listed
    kept = 0
    last_byte = NEWLINE
    for piece in pieces:
        if not piece:
            continue
        arr = np.frombuffer(piece, np.uint8)
        newlines = line_ends(arr, lone_cr)
        last_byte = piece[-1]
        start_line, line = line, line + len(newlines)
        # Where in this piece each of the wanted lines starts: after the (n - start_line)th newline.
        begin = _offset(newlines, first - start_line, len(piece))
        stop = len(piece) if end is None else _offset(newlines, end - start_line, len(piece))
        if begin < stop:
            yield piece[begin:stop]
        if lines is not None and stop < len(piece) and kept < TAIL_BYTES:
            tail.append(piece[stop:])
            kept += len(piece) - stop
    if lines is None:
        return
    lines.total = line - 1 + (last_byte not in ENDS[lone_cr])
    # The lines above the data that are not skipped: more than the header's rows when a name is a
    # quoted text of several lines.
    lines.header = structure.data_line - 1 - sum(s.line < structure.data_line for s in structure.skipped)
    for skipped in structure.skipped:
        lines.skip(skipped)
    if end is not None:
        texts = b"".join(tail).decode(encoding, "replace")
        texts = texts.replace("\r\n", "\n").replace("\r", "\n").split("\n") if lone_cr else texts.split("\n")
        for n in range(end, lines.total + 1):
            text = texts[n - end].rstrip("\r") if n - end < len(texts) else ""
            lines.skip(skipped_line(n, text, "second table"))


def _offset(newlines: np.ndarray, n: int, size: int) -> int:
    """Where the piece's nth line starts (0: at the piece's start), or its size if past its end."""
    if n <= 0:
        return 0
    return int(newlines[n - 1]) + 1 if n <= len(newlines) else size
