"""Chunked CSV parsing: frame UTF-8 bytes into whole records, reject malformed ones, parse with Arrow.

Each block handed to Arrow's CSV reader holds whole records only. Record boundaries, field counts and source line
numbers come from a vectorised scan of the bytes (line ends and delimiters outside quotes), so a row
with the wrong number of fields is caught whatever its length, and rejected with the line where it
starts. The scan assumes RFC 4180 quoting with the dialect's quote character; a block where a quote
stands inside an unquoted field (`27" monitor`), where Arrow disagrees with the scan, or that the scan
cannot read (a backslash escape, a quote after `, `), is framed and parsed by Python's csv module
with the file's dialect instead, which reads such quotes as text, as pandas does
(docs/adr/0001-record-framing.md).

Two slips of real exports are read as meant: a record with one field too many, empty and last (a
trailing delimiter), is kept without it; a row whose every field is empty is skipped with the
blank lines, as an empty row, not read as a row of nulls.

Physical lines, as every line number counts them, end at the file's own line ends: at each LF (a
CRLF's included) and, in a file whose line ends are CR, also at each CR not followed by a LF, as
Python's universal newlines read such a file. A lone CR in a LF or CRLF file ends a record, not a
line. Line ends inside quoted fields are physical lines too.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .dialect import Dialect
from .errors import ReadError
from .streams import CR, NEWLINE, decode_errors, line_ends

MAX_RECORD_BYTES = 64 * 1024 * 1024
# What a line may hold and still count as blank: spaces, tabs, CR and DOS's end-of-file mark.
BLANK_BYTES = b" \t\r\x1a"
csv.field_size_limit(MAX_RECORD_BYTES)


@dataclass(frozen=True)
class BadRow:
    line: int
    fields: list[str]
    error: str


@dataclass
class Chunk:
    """Consecutive rows: the accepted ones as string columns, the rejected ones with their reasons."""

    columns: list[pa.ChunkedArray]
    bad_rows: list[BadRow] = field(default_factory=list)
    # The source line where each accepted row starts.
    lines: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # The blank lines among the rows (empty, or only blanks), skipped: not rows, but lines to account for.
    blank_lines: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # Those of the blank lines that are rows of empty fields (`,,`, `"",""`), with their text: empty rows.
    empty_rows: dict[int, str] = field(default_factory=dict)
    # Rows kept once their one extra field, empty and last (`2,Bia,false,`), was dropped: nothing is lost.
    trimmed: int = 0

    @property
    def rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0


@dataclass(frozen=True)
class _Layout:
    """What every block of one file is framed and parsed with."""

    ncols: int
    delimiter: str
    encoding: str  # UTF-8, or a single-byte encoding (streams.single_byte): its columns are then binary
    quotechar: str = '"'
    escapechar: str | None = None
    skipinitialspace: bool = False
    lone_cr: bool = False  # the file's line ends are CR: a CR not followed by a LF ends a line

    @classmethod
    def of(cls, dialect: Dialect, ncols: int, encoding: str) -> _Layout:
        return cls(
            ncols,
            dialect.delimiter,
            encoding,
            dialect.quotechar,
            dialect.escapechar,
            dialect.skipinitialspace,
            dialect.line_ending == "CR",
        )

    @property
    def separator(self) -> int:
        return ord(self.delimiter)

    @property
    def quote(self) -> int:
        return ord(self.quotechar)

    @property
    def errors(self) -> str:
        return decode_errors(self.encoding)

    @property
    def csv(self) -> dict:
        """The csv module's options for the dialect."""
        return {
            "delimiter": self.delimiter,
            "quotechar": self.quotechar,
            "escapechar": self.escapechar,
            "doublequote": True,
            "skipinitialspace": self.skipinitialspace,
        }

    def may_end_a_record(self, view: bytes) -> bool:
        return b"\n" in view or (self.lone_cr and b"\r" in view)

    def scannable(self, view: bytes) -> bool:
        """Whether the quote parity tells which bytes of `view` are quoted: not after an escape
        character, which the parity ignores, nor with `, ` where a quote opens a field after blanks."""
        if self.escapechar is not None and self.escapechar.encode() in view:
            return False
        return not (self.skipinitialspace and self.quote in view)


@dataclass(frozen=True)
class _Framed:
    """What a framing path made of the whole records at the start of a view of the bytes."""

    consumed: int  # the bytes of those records; 0 while the view holds no whole record
    chunk: Chunk | None  # their rows and blank lines; None if there are none
    line_ends: int  # the line ends in the consumed bytes: the next view starts that many lines on


_INCOMPLETE = _Framed(0, None, 0)


def read_rows(
    pieces: Iterable[bytes], dialect: Dialect, ncols: int, first_line: int, block_size: int, encoding: str = "utf-8"
) -> Iterator[Chunk]:
    """Chunks of rows, about `block_size` bytes each, from the table's data (its first byte is on
    line `first_line`). The bytes are UTF-8, or a single-byte `encoding` (arrowtext.single_byte):
    its columns are then binary."""
    layout = _Layout.of(dialect, ncols, encoding)
    source = iter(pieces)
    buf = b""
    exhausted = False
    line = first_line
    window = block_size
    while True:
        # Joined once: `buf += piece` would copy the growing buffer for every piece, holding the GIL.
        pending, size = [buf], len(buf)
        while size < window and not exhausted:
            piece = next(source, None)
            if piece is None:
                exhausted = True
            else:
                pending.append(piece)
                size += len(piece)
        buf = b"".join(pending) if len(pending) > 1 else buf
        if not buf:
            return
        # All of it is parsed: `window` bytes and the rest of the piece that reached them. Cutting at
        # `window` would copy the block once more, a block of memory to fill and free each time.
        view, last = buf, exhausted
        # No line end at all: no record can be complete, so widen without scanning.
        framed = _read_block(view, last, line, layout) if last or layout.may_end_a_record(view) else _INCOMPLETE
        if not framed.consumed:
            if len(view) >= MAX_RECORD_BYTES:
                raise ReadError(f"a record starting at line {line} is longer than {MAX_RECORD_BYTES // 2**20} MiB")
            window *= 2  # a record longer than the window: widen it
            continue
        window = block_size
        line += framed.line_ends
        buf = buf[framed.consumed :]
        chunk = framed.chunk
        if chunk is not None and (chunk.rows or chunk.bad_rows or len(chunk.blank_lines)):
            yield chunk


def _read_block(view: bytes, last: bool, line: int, layout: _Layout) -> _Framed:
    """The whole records at the start of `view`, which starts at `line` and ends the file if `last`,
    framed by the first path that takes them."""
    if not layout.scannable(view):
        return _slow_block(view, last, line, layout)
    # Most blocks hold no NUL and only well-formed records: Arrow alone checks their field counts.
    plain = _plain_block(view, last, line, layout) if layout.ncols > 1 and 0 not in view else None
    framed = plain or _scanned_block(view, last, line, layout) or _slow_block(view, last, line, layout)
    return _without_empty_rows(framed, view, line, layout)


def _without_empty_rows(framed: _Framed, view: bytes, line: int, layout: _Layout) -> _Framed:
    """The framed records without the rows whose every field is empty (`,,`, `"","",""`): not data
    but lines to skip, as detection skips them above the header. In a file of one column an empty
    value is a value (a null). Only the first column is looked at in every row."""
    chunk = framed.chunk
    if chunk is None or layout.ncols == 1 or not chunk.rows or pc.min(pc.binary_length(chunk.columns[0])).as_py():
        return framed
    empty = pc.equal(pc.binary_length(chunk.columns[0]), 0)
    for column in chunk.columns[1:]:
        empty = pc.and_(empty, pc.equal(pc.binary_length(column), 0))
    mask = empty.to_numpy(zero_copy_only=False)
    if not mask.any():
        return framed
    keep = pa.array(~mask)
    # A line that also holds another record (after a lone CR of a LF file) is that record's.
    others = [*chunk.lines[~mask].tolist(), *(row.line for row in chunk.bad_rows)]
    skipped = np.setdiff1d(chunk.lines[mask], others)
    # An empty row is then a line of its own: its text is the bytes from the line end before it.
    ends = line_ends(np.frombuffer(view, np.uint8, framed.consumed), layout.lone_cr)
    texts = {}
    for n in skipped.tolist():
        i = n - line
        text = view[int(ends[i - 1]) + 1 if i else 0 : int(ends[i]) if i < len(ends) else framed.consumed]
        texts[n] = text.decode(layout.encoding, layout.errors).removesuffix("\r")
    columns = [column.filter(keep) for column in chunk.columns]
    blank = np.union1d(chunk.blank_lines, skipped)
    emptied = Chunk(columns, chunk.bad_rows, chunk.lines[~mask], blank, texts, chunk.trimmed)
    return _Framed(framed.consumed, emptied, framed.line_ends)


def _plain_block(view: bytes, last: bool, line: int, layout: _Layout) -> _Framed | None:
    """The whole records at the start of a `view` that holds no NUL, when its quotes follow RFC 4180.
    Records end at the line ends outside quotes; Arrow's parser checks every record's field count
    itself. None if it finds a record it does not take (a wrong field count, a line of blanks, a
    lone CR in a LF file) or a quote left open at the end: the scan then works out which lines and why."""
    arr = np.frombuffer(view, np.uint8)
    quotes = _quotes(view, layout.quote)
    if not _rfc_quotes(arr, quotes, layout) or (last and _in_quotes(quotes, len(view))):
        return None
    # Most blocks of a LF or CRLF file are one record per line: Arrow's row count then gives each
    # record's line, and only the last line end outside quotes needs finding, not every one (ADR 0015).
    cut = None if layout.lone_cr else _last_record_end(view, quotes, last)
    columns = None
    if cut is not None:
        columns = _parsed(memoryview(view)[:cut], layout)
        if columns is None:
            return None
        ends = int(np.count_nonzero(arr[:cut] == NEWLINE))  # not bytes.count, which holds the GIL (ADR 0013)
        rows = ends + int(view[cut - 1] != NEWLINE)  # the file's last record may have no line end
        if len(columns[0]) == rows and _no_lone_cr(view, cut):
            return _Framed(cut, Chunk(columns, [], line + np.arange(rows, dtype=np.int64)), ends)
    newlines = _line_ends(arr, layout, last)
    starts, ends = _records(newlines, quotes, len(view), last)
    if len(ends) == 0:
        return None
    found = min(int(ends[-1]) + 1, len(view))
    if cut is not None and found != cut:
        return None
    # Empty lines, CRLF's included, are skipped by Arrow; the chunk lists them as blank lines.
    length = ends - starts
    taken = (length > 1) | ((length == 1) & (arr[np.minimum(starts, len(arr) - 1)] != CR))
    records = np.flatnonzero(taken)
    line_count = int(np.searchsorted(newlines, found))
    blank = line + np.searchsorted(newlines, starts[~taken])
    if len(records) == 0:
        return _Framed(found, Chunk(_columns([], layout.ncols), [], blank_lines=blank), line_count)
    lines = line + np.searchsorted(newlines, starts[records])
    if columns is None:
        columns = _parsed(memoryview(view)[:found], layout)
    if columns is None or len(columns[0]) != len(lines):
        return None
    return _Framed(found, Chunk(columns, [], lines, blank), line_count)


def _last_record_end(view: bytes, quotes: np.ndarray, last: bool) -> int | None:
    """Where the view's whole records end, found from its last line ends: after the last newline
    outside quotes, or at the end of the file's last bytes. None when that takes more than a few
    tries (a long quoted text with many line ends)."""
    if last:
        return len(view) or None
    end = len(view)
    for _ in range(8):
        end = view.rfind(b"\n", 0, end)
        if end < 0:
            return None
        if not _in_quotes(quotes, end):
            return end + 1
    return None


def _no_lone_cr(view: bytes, end: int) -> bool:
    """Whether every CR before `end` is followed by a LF: Arrow also ends a record at a lone CR.
    Counting CRLFs as 16-bit words instead saves too little to keep (ADR 0016)."""
    if view.find(b"\r", 0, end) < 0:
        return True
    arr = np.frombuffer(view, np.uint8, end)
    crs = np.flatnonzero(arr == CR)
    return bool(crs[-1] + 1 < end and np.all(arr[crs + 1] == NEWLINE))


def _line_ends(arr: np.ndarray, layout: _Layout, last: bool) -> np.ndarray:
    """Where the lines of a view end (streams.line_ends)."""
    ends = line_ends(arr, layout.lone_cr)
    # A CR that ends a view before the file's end may be half a CRLF: its line is not known to end yet.
    if layout.lone_cr and not last and len(ends) and ends[-1] == len(arr) - 1 and arr[-1] == CR:
        return ends[:-1]
    return ends


def _scanned_block(view: bytes, last: bool, line: int, layout: _Layout) -> _Framed | None:
    """The whole records at the start of `view` as the scan frames them, when its quotes follow
    RFC 4180: each record's fields counted, the malformed ones split by the csv module and rejected,
    the others parsed by Arrow. None where the scan and the grammar disagree."""
    arr = np.frombuffer(view, np.uint8)
    quotes = _quotes(view, layout.quote)
    if not _rfc_quotes(arr, quotes, layout):
        return None
    frame = _Frame.scan(view, arr, quotes, layout, last)
    block = view[: frame.cut]
    if not block:
        return _Framed(frame.cut, None, frame.line_ends())
    chunk = _scanned_chunk(block, frame, line, layout)
    if chunk is None:
        return None
    return _Framed(frame.cut, chunk, frame.line_ends())


@dataclass
class _Frame:
    """Whole records at the start of a block of bytes that itself starts at a record boundary."""

    cut: int
    starts: np.ndarray
    ends: np.ndarray
    newlines: np.ndarray
    fields: np.ndarray
    blank: np.ndarray
    nul: np.ndarray
    open_quote_at_end: bool

    @classmethod
    def scan(cls, buf: bytes, arr: np.ndarray, quotes: np.ndarray, layout: _Layout, last: bool) -> _Frame:
        newlines = _line_ends(arr, layout, last)
        delims = np.flatnonzero(arr == layout.separator)
        if len(quotes):
            delims = delims[~_in_quotes(quotes, delims)]
        starts, ends = _records(newlines, quotes, len(buf), last)
        fields = np.searchsorted(delims, ends) - np.searchsorted(delims, starts) + 1
        blank = ends == starts
        # In a file of one column a line of blanks is a value, as the csv module reads it (_blank).
        blanks = BLANK_BYTES if layout.ncols > 1 else b"\r"
        for i in np.flatnonzero((fields == 1) & ~blank):
            blank[i] = not buf[starts[i] : ends[i]].strip(blanks)
        cut = min(int(ends[-1]) + 1, len(buf)) if len(ends) else 0
        nul = np.zeros(len(ends), bool)
        if 0 in buf:
            # Only the NULs of whole records: the bytes after the last one are the next view's.
            nul[np.unique(np.searchsorted(ends, np.flatnonzero(arr[:cut] == 0)))] = True
        open_quote = last and bool(_in_quotes(quotes, len(buf)))
        return cls(cut, starts, ends, newlines, fields, blank, nul, open_quote)

    def lines(self, first_line: int) -> np.ndarray:
        return first_line + np.searchsorted(self.newlines, self.starts)

    def line_ends(self) -> int:
        """The line ends in its whole records."""
        return int(np.searchsorted(self.newlines, self.cut))


def _scanned_chunk(block: bytes, frame: _Frame, line: int, layout: _Layout) -> Chunk | None:
    """The block's rows, Arrow parsing the good ones; None where the scan and the grammar disagree."""
    ncols = layout.ncols
    keep = ~frame.blank
    bad = keep & ((frame.fields != ncols) | frame.nul)
    if frame.open_quote_at_end:
        bad[-1] = keep[-1]
    trim = bad & _trailing_delimiter(block, frame, layout)
    if frame.open_quote_at_end:
        trim[-1] = False
    bad &= ~trim
    good_mask = keep & ~bad
    bad_rows = []
    lines = frame.lines(line)
    if trim.any() or bad.any() or (frame.blank & (frame.ends > frame.starts)).any():
        for i in np.flatnonzero(bad):
            text = block[frame.starts[i] : frame.ends[i]].decode(layout.encoding, layout.errors).removesuffix("\r")
            if "\n" in text or (layout.lone_cr and "\r" in text):
                return None  # a stray quote may have joined lines: _slow_block reads them one by one
            unterminated = frame.open_quote_at_end and i == len(bad) - 1
            rows = [[text]] if unterminated else _fields(text, layout)
            if len(rows) != 1 or (len(rows[0]) == ncols and not frame.nul[i] and not unterminated):
                return None
            if frame.nul[i]:
                reason = "contains a NUL byte"
            elif unterminated:
                reason = "quoted field is never closed"
            else:
                reason = f"expected {ncols} fields, found {len(rows[0])}"
            bad_rows.append(BadRow(int(lines[i]), [_readable(v) for v in rows[0]], reason))
        # A trimmed record ends before its last delimiter; Arrow checks that it has the right count.
        stops = np.where(trim, _content_end(block, frame) - 1, frame.ends + 1)
        good = b"".join(
            block[frame.starts[i] : stops[i]] + b"\n" if trim[i] else block[frame.starts[i] : stops[i]]
            for i in np.flatnonzero(good_mask)
        )
    else:
        good = block
    good_lines = lines[good_mask]
    blank_lines = lines[frame.blank]
    if len(good_lines) == 0:
        return Chunk(_columns([], ncols), bad_rows, blank_lines=blank_lines)
    columns = _parsed(good, layout)
    if columns is None or len(columns[0]) != len(good_lines):
        return None
    return Chunk(columns, bad_rows, good_lines, blank_lines, trimmed=int(trim.sum()))


def _content_end(block: bytes, frame: _Frame) -> np.ndarray:
    """Where each record's last field ends: before its line end, a CRLF's CR included."""
    arr = np.frombuffer(block, np.uint8)
    last = np.minimum(frame.ends, len(arr)) - 1
    return np.where((last > frame.starts) & (arr[np.maximum(last, 0)] == CR), last, last + 1)


def _trailing_delimiter(block: bytes, frame: _Frame, layout: _Layout) -> np.ndarray:
    """Which records have one field too many, empty and last (`2,Bia,false,`): they end with a
    delimiter, outside quotes as the record's end is."""
    arr = np.frombuffer(block, np.uint8)
    end = _content_end(block, frame) - 1
    ends_with = (end >= frame.starts) & (arr[np.clip(end, 0, max(len(arr) - 1, 0))] == layout.separator)
    return ends_with & (frame.fields == layout.ncols + 1) & ~frame.nul


def _slow_block(view: bytes, last: bool, line: int, layout: _Layout) -> _Framed:
    """The whole records at the start of `view` as Python's csv module frames and parses them, line
    by line: exact records, fields and lines."""
    lines = view.splitlines(keepends=True)
    offsets = np.concatenate(([0], np.cumsum([len(x) for x in lines]))).astype(np.int64)
    # The csv module also ends a record at a lone CR of a LF file, which is not a line end.
    ended = [x.endswith((b"\n", b"\r") if layout.lone_cr else b"\n") for x in lines]
    newlines_before = np.concatenate(([0], np.cumsum(ended))).astype(np.int64)
    errors = layout.errors
    reader = csv.reader((x.decode(layout.encoding, errors) for x in lines), **layout.csv)
    records: list[tuple[int, int, list[str]]] = []  # (first line index, end line index, fields)
    done = 0
    for row in reader:
        records.append((done, reader.line_num, row))
        done = reader.line_num
    if not last and records:
        records.pop()  # it may continue past the view
        while records and not ended[records[-1][1] - 1]:
            records.pop()  # the next view starts a line, as the line numbers count from there
    if not records:
        return _INCOMPLETE
    good: list[list[str]] = []
    good_lines: list[int] = []
    blank: set[int] = set()
    covered: set[int] = set()  # the lines that hold some of a record that is not blank
    bad: list[BadRow] = []
    trimmed = 0
    for start, end, row in records:
        at = line + int(newlines_before[start])
        if _blank(row, layout.ncols):
            blank.add(at)
            continue
        covered.update(range(at, line + int(newlines_before[end - 1]) + 1))
        if last and end == len(lines) and _unterminated(view[offsets[start] :], layout):
            reason = "quoted field is never closed"
        else:
            reason = _check(row, layout.ncols)
            if reason and _trailing_empty(row, lines[end - 1], layout):
                row, reason = row[:-1], None
                trimmed += 1
        # A record of several lines that is malformed, or whose quotes break RFC 4180 (`Ann "X`).
        suspect = end - start > 1 and (reason or not _closes(view[offsets[start] : offsets[end]], layout))
        if suspect and (split := _stray_quote_split(lines[start:end], ended[start:end], layout)):
            good.extend(split)
            good_lines.extend(range(at, at + len(split)))
        elif reason:
            bad.append(BadRow(at, [_readable(v) for v in row], reason))
        else:
            good.append(row)
            good_lines.append(at)
    blank_lines = np.array(sorted(blank - covered), np.int64)
    chunk = Chunk(_columns(good, layout.ncols), bad, np.array(good_lines, np.int64), blank_lines, trimmed=trimmed)
    taken = records[-1][1]  # the lines the records took
    return _Framed(int(offsets[taken]), chunk, int(newlines_before[taken]))


def _trailing_empty(row: list[str], last_line: bytes, layout: _Layout) -> bool:
    """Whether a row's only extra field is empty and last, unquoted: its record's last line ends
    with the delimiter (as _trailing_delimiter finds it on the scan's paths)."""
    return (
        len(row) == layout.ncols + 1
        and row[-1] == ""
        and _check(row[:-1], layout.ncols) is None
        and last_line.rstrip(b"\r\n").endswith(layout.delimiter.encode(layout.encoding))
    )


def _stray_quote_split(lines: list[bytes], ended: list[bool], layout: _Layout) -> list[list[str]] | None:
    """The rows of a malformed record of several lines when a stray quote joined them: each line,
    read alone, is a whole record, its quotes well-formed or a single quote taken as text
    (`12" pipe`). None otherwise, as for a record whose quoted text really spans lines: its other
    lines are not rows."""
    if len(lines) < 2 or not all(ended[:-1]):
        return None
    rows = []
    for raw in lines:
        text = raw.decode(layout.encoding, layout.errors).rstrip("\r\n")
        row = next(csv.reader([text], **layout.csv), []) if _closes(raw, layout) else []
        if len(row) != layout.ncols and text.count(layout.quotechar) == 1:
            row = next(csv.reader([text], quoting=csv.QUOTE_NONE, **layout.csv), [])
        if len(row) != layout.ncols or _check(row, layout.ncols):
            return None
        rows.append(row)
    return rows


def _closes(record: bytes, layout: _Layout) -> bool:
    """Whether a record's quoted fields open and close as RFC 4180 has them (the csv module, strict)."""
    records, error = _strictly(record, layout)
    return error is None and records <= 2


def _quotes(buf: bytes, quote: int) -> np.ndarray:
    return np.flatnonzero(np.frombuffer(buf, np.uint8) == quote) if quote in buf else np.zeros(0, np.int64)


def _in_quotes(quotes: np.ndarray, positions: np.ndarray | int) -> np.ndarray | np.bool_:
    """Whether each position is inside a quoted field: after an odd number of the `quotes`, a parity
    that RFC 4180's "" escape keeps. Searched at the positions only, not summed over every byte (ADR 0009)."""
    return (np.searchsorted(quotes, positions) & 1) == 1


def _rfc_quotes(arr: np.ndarray, quotes: np.ndarray, layout: _Layout) -> bool:
    """Whether every quote (at `quotes` in `arr`) opens a field, closes one, or is half of a doubled
    quote. Under that condition, counting quotes tells exactly which bytes are inside quoted fields.
    """
    if len(quotes) == 0:
        return True
    structural = np.array([layout.separator, NEWLINE, CR, layout.quote], np.uint8)
    openers, closers = quotes[0::2], quotes[1::2]
    before = arr[np.maximum(openers - 1, 0)]
    if not np.all(np.isin(before, structural) | (openers == 0)):
        return False
    at_end = closers == len(arr) - 1
    after = arr[np.minimum(closers + 1, len(arr) - 1)]
    return bool(np.all(np.isin(after, structural) | at_end))


def _records(newlines: np.ndarray, quotes: np.ndarray, size: int, last: bool) -> tuple[np.ndarray, np.ndarray]:
    """Where the whole records in `size` bytes start and end: at each line end outside quotes, and
    at the end of the file's last bytes."""
    ends = newlines[~_in_quotes(quotes, newlines)] if len(quotes) else newlines
    if last and size and (len(ends) == 0 or ends[-1] != size - 1):
        ends = np.append(ends, size)
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64) if len(ends) else ends.astype(np.int64)
    return starts, ends


def _parsed(records: bytes | memoryview, layout: _Layout) -> list[pa.ChunkedArray] | None:
    """The records parsed by Arrow, or None if it does not take them (invalid UTF-8, a field count)."""
    try:
        return _arrow(records, layout)
    except (ValueError, pa.ArrowInvalid):
        return None


def _arrow(good: bytes | memoryview, layout: _Layout) -> list[pa.ChunkedArray]:
    # Arrow's multithreaded CSV reader (ADR 0005), called directly rather than through
    # pd.read_csv(engine="pyarrow"), which passes the same options and converts the table to
    # a DataFrame and back (ADR 0009). Good records only: blank lines are skipped, as pandas did.
    if bytes(good[:3]) == codecs.BOM_UTF8:
        good = b"\n" + bytes(good)  # Arrow drops a BOM that starts what it parses: here it is data
    names = [str(i) for i in range(layout.ncols)]
    table = pacsv.read_csv(
        pa.py_buffer(good),
        read_options=pacsv.ReadOptions(column_names=names),
        parse_options=pacsv.ParseOptions(
            delimiter=layout.delimiter, quote_char=layout.quotechar, double_quote=True, ignore_empty_lines=True
        ),
        convert_options=pacsv.ConvertOptions(
            # Bytes of another encoding are read as binary, each chunk's distinct texts transcoded later.
            column_types=dict.fromkeys(names, pa.string() if layout.encoding == "utf-8" else pa.binary()),
            null_values=[],
            strings_can_be_null=False,
        ),
    )
    if layout.skipinitialspace:
        # Blocks with `, ` and no quote only (_Layout.scannable): the csv module drops those spaces.
        return [pc.replace_substring_regex(column, "^ +", "") for column in table.columns]
    return table.columns


def _fields(text: str, layout: _Layout) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), **layout.csv))


def _check(row: list[str], ncols: int) -> str | None:
    """Why a parsed row is rejected, or None."""
    if any("\udc80" <= ch <= "\udcff" for value in row for ch in value):
        return "invalid UTF-8 byte sequence"
    if any("\x00" in value for value in row):
        return "contains a NUL byte"
    if len(row) != ncols:
        return f"expected {ncols} fields, found {len(row)}"
    return None


def _blank(row: list[str], ncols: int) -> bool:
    return not row or (ncols > 1 and len(row) == 1 and not row[0].strip(BLANK_BYTES.decode()))


def _unterminated(record: bytes, layout: _Layout) -> bool:
    """Whether the file's last record leaves a quoted field open: the csv module, strict, reaches the
    end inside it."""
    return "unexpected end of data" in (_strictly(record, layout)[1] or "")


def _strictly(record: bytes, layout: _Layout) -> tuple[int, str | None]:
    """The records the csv module, strict, reads in `record` and a line added after it, and its
    complaint, if any. The added line tells a quote left open at the end from an escaped line end
    there, which it reports the same way."""
    text = record.decode(layout.encoding, layout.errors) + "x\n"
    try:
        return len(list(csv.reader(io.StringIO(text, newline=""), strict=True, **layout.csv))), None
    except csv.Error as error:
        return 0, str(error)


def _readable(value: str) -> str:
    # Invalid UTF-8 bytes (kept as surrogates while parsing) shown as U+FFFD in the rejected-rows file.
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _columns(rows: list[list[str]], ncols: int) -> list[pa.ChunkedArray]:
    return [pa.chunked_array([pa.array([r[i] for r in rows], pa.string())]) for i in range(ncols)]
