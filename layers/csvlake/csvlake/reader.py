"""Chunked CSV parsing: frame UTF-8 bytes into whole records, reject malformed ones, parse with Arrow.

Each block handed to Arrow's CSV reader holds whole records only. Record boundaries, field counts and source line
numbers come from a vectorised scan of the bytes (newlines and delimiters outside quotes), so a row
with the wrong number of fields is caught whatever its length, and rejected with the line where it
starts. The scan assumes RFC 4180 quoting; a block where a quote stands inside an unquoted field
(`27" monitor`), or where Arrow disagrees with the scan, is framed and parsed by Python's csv
module instead, which reads such quotes as text, as pandas does (docs/adr/0001-record-framing.md).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from .dialect import Dialect
from .errors import ReadError
from .streams import decode_errors

NEWLINE, CR, QUOTE = 10, 13, 34
CRLF_WORD = CR | NEWLINE << 8  # CR then LF, read as a little-endian 16-bit word
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

    @property
    def rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0


def _columns(rows: list[list[str]], ncols: int) -> list[pa.ChunkedArray]:
    return [pa.chunked_array([pa.array([r[i] for r in rows], pa.string())]) for i in range(ncols)]


def _rfc_quotes(arr: np.ndarray, quotes: np.ndarray, delimiter: int) -> bool:
    """Whether every quote (at `quotes` in `arr`) opens a field, closes one, or is half of a `""`
    escape. Under that condition, counting quotes tells exactly which bytes are inside quoted fields.
    """
    if len(quotes) == 0:
        return True
    structural = np.array([delimiter, NEWLINE, CR, QUOTE], np.uint8)
    openers, closers = quotes[0::2], quotes[1::2]
    before = arr[np.maximum(openers - 1, 0)]
    if not np.all(np.isin(before, structural) | (openers == 0)):
        return False
    at_end = closers == len(arr) - 1
    after = arr[np.minimum(closers + 1, len(arr) - 1)]
    return bool(np.all(np.isin(after, structural) | at_end))


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
    def scan(cls, buf: bytes, delimiter: int, last: bool) -> _Frame:
        arr = np.frombuffer(buf, np.uint8)
        newlines = np.flatnonzero(arr == NEWLINE)
        delims = np.flatnonzero(arr == delimiter)
        ends = newlines
        open_quote = False
        if QUOTE in buf:
            # Inside quotes where an odd number of quotes came before: RFC 4180's "" escape keeps parity.
            # Counted by binary search at the newlines and delimiters only: 15 ms per 8 MiB block here,
            # against 40 ms for a running sum over every byte (and no slower when every field is quoted).
            quotes = np.flatnonzero(arr == QUOTE)
            ends = ends[(np.searchsorted(quotes, ends) & 1) == 0]
            delims = delims[(np.searchsorted(quotes, delims) & 1) == 0]
            open_quote = last and bool(len(quotes) & 1)
        if last and len(buf) and (len(ends) == 0 or ends[-1] != len(buf) - 1):
            ends = np.append(ends, len(buf))
        starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64) if len(ends) else ends.astype(np.int64)
        fields = np.searchsorted(delims, ends) - np.searchsorted(delims, starts) + 1
        blank = ends == starts
        for i in np.flatnonzero((fields == 1) & ~blank):
            blank[i] = not buf[starts[i] : ends[i]].strip(BLANK_BYTES)
        nul = np.zeros(len(ends), bool)
        if 0 in buf:
            nul[np.unique(np.searchsorted(ends, np.flatnonzero(arr == 0)))] = True
        cut = int(ends[-1]) + 1 if len(ends) else 0
        return cls(min(cut, len(buf)), starts, ends, newlines, fields, blank, nul, open_quote)

    def lines(self, first_line: int) -> np.ndarray:
        return first_line + np.searchsorted(self.newlines, self.starts)


def _fields(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True))


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


def _slow_block(view: bytes, last: bool, first_line: int, ncols: int, delimiter: str, skip_header: bool, encoding: str):
    """Frame and parse with Python's csv module, line by line: exact records, fields and lines.

    Returns (bytes consumed, chunk, header skipped); consumed is 0 if the view holds no whole record.
    """
    lines = view.splitlines(keepends=True)
    offsets = np.concatenate(([0], np.cumsum([len(x) for x in lines]))).astype(np.int64)
    newlines_before = np.concatenate(([0], np.cumsum([x.endswith(b"\n") for x in lines]))).astype(np.int64)
    reader = csv.reader(
        (x.decode(encoding, decode_errors(encoding)) for x in lines),
        delimiter=delimiter,
        quotechar='"',
        doublequote=True,
    )
    records: list[tuple[int, int, list[str]]] = []  # (first line index, end line index, fields)
    done = 0
    for row in reader:
        records.append((done, reader.line_num, row))
        done = reader.line_num
    if not last and records:
        records.pop()  # it may continue past the view
    if not records:
        return 0, None, False
    good: list[list[str]] = []
    good_lines: list[int] = []
    bad: list[BadRow] = []
    header_done = False
    for start, end, row in records:
        if _blank(row, ncols):
            continue
        if skip_header and not header_done:
            header_done = True
            continue
        line = first_line + int(newlines_before[start])
        if last and end == len(lines) and _unterminated(view[offsets[start] :], delimiter):
            bad.append(BadRow(line, [_readable(v) for v in row], "quoted field is never closed"))
        elif reason := _check(row, ncols):
            bad.append(BadRow(line, [_readable(v) for v in row], reason))
        else:
            good.append(row)
            good_lines.append(line)
    chunk = Chunk(_columns(good, ncols), bad, np.array(good_lines, np.int64))
    return int(offsets[records[-1][1]]), chunk, header_done


def _unterminated(record: bytes, delimiter: str) -> bool:
    try:
        list(csv.reader(io.StringIO(record.decode("utf-8", "replace"), newline=""), delimiter=delimiter, strict=True))
    except csv.Error:
        return True
    return False


def _readable(value: str) -> str:
    # Invalid UTF-8 bytes (kept as surrogates while parsing) shown as U+FFFD in the rejected-rows file.
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _arrow(good: bytes, ncols: int, delimiter: str, encoding: str) -> list[pa.ChunkedArray]:
    # Arrow's multithreaded CSV reader, 4x pandas' C engine (ADR 0005), called directly rather than
    # through pd.read_csv(engine="pyarrow"), which passes the same options and converts the table to
    # a DataFrame and back (ADR 0009). Good records only: blank lines are skipped, as pandas did.
    names = [str(i) for i in range(ncols)]
    table = pacsv.read_csv(
        pa.py_buffer(good),
        read_options=pacsv.ReadOptions(column_names=names),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, quote_char='"', double_quote=True, ignore_empty_lines=True
        ),
        convert_options=pacsv.ConvertOptions(
            # Bytes of another encoding are read as binary, each chunk's distinct texts transcoded later.
            column_types=dict.fromkeys(names, pa.string() if encoding == "utf-8" else pa.binary()),
            null_values=[],
            strings_can_be_null=False,
        ),
    )
    return table.columns


def _fast_block(
    block: bytes, frame: _Frame, first_line: int, ncols: int, delimiter: str, encoding: str
) -> Chunk | None:
    """The block's rows, Arrow parsing the good ones; None where the scan and the grammar disagree."""
    keep = ~frame.blank
    bad = keep & ((frame.fields != ncols) | frame.nul)
    if frame.open_quote_at_end:
        bad[-1] = keep[-1]
    good_mask = keep & ~bad
    bad_rows = []
    lines = frame.lines(first_line)
    if bad.any() or (frame.blank & (frame.ends > frame.starts)).any():
        for i in np.flatnonzero(bad):
            text = block[frame.starts[i] : frame.ends[i]].decode(encoding, decode_errors(encoding)).removesuffix("\r")
            unterminated = frame.open_quote_at_end and i == len(bad) - 1
            rows = [[text]] if unterminated else _fields(text, delimiter)
            if len(rows) != 1 or (len(rows[0]) == ncols and not frame.nul[i] and not unterminated):
                return None
            if frame.nul[i]:
                reason = "contains a NUL byte"
            elif unterminated:
                reason = "quoted field is never closed"
            else:
                reason = f"expected {ncols} fields, found {len(rows[0])}"
            bad_rows.append(BadRow(int(lines[i]), [_readable(v) for v in rows[0]], reason))
        good = b"".join(block[frame.starts[i] : frame.ends[i] + 1] for i in np.flatnonzero(good_mask))
    else:
        good = block
    good_lines = lines[good_mask]
    if len(good_lines) == 0:
        return Chunk(_columns([], ncols), bad_rows)
    try:
        columns = _arrow(good, ncols, delimiter, encoding)
    except (ValueError, pa.ArrowInvalid):  # invalid UTF-8, or a record the parser reads otherwise
        return None
    return Chunk(columns, bad_rows, good_lines) if len(columns[0]) == len(good_lines) else None


def _plain_block(view: bytes, last: bool, line: int, ncols: int, delimiter: str, skip_header: bool, encoding: str):
    """(bytes consumed, chunk or None, header skipped, line ends consumed) for the whole records at
    the start of a `view` that holds no NUL, when its quotes follow RFC 4180. Records end at the
    newlines outside quotes; Arrow's parser checks every record's field count itself. None if it
    finds a record it does not take (a wrong field count, a line of blanks, a lone CR) or a quote
    left open at the end: the scan then works out which lines and why."""
    arr = np.frombuffer(view, np.uint8)
    quotes = np.flatnonzero(arr == QUOTE) if QUOTE in view else np.zeros(0, np.int64)
    if not _rfc_quotes(arr, quotes, ord(delimiter)) or (last and len(quotes) & 1):
        return None
    # Most blocks after the header are one record per line: Arrow's row count then gives each
    # record's line, and only the last line end outside quotes needs finding, not every one.
    cut = None if skip_header else _last_record_end(view, quotes, last)
    columns = None
    if cut is not None:
        columns = _parsed(memoryview(view)[:cut], ncols, delimiter, encoding)
        if columns is None:
            return None
        ends = int(np.count_nonzero(arr[:cut] == NEWLINE))
        records = ends + int(view[cut - 1] != NEWLINE)  # the file's last record may have no line end
        if len(columns[0]) == records and _no_lone_cr(view, cut):
            return cut, Chunk(columns, [], line + np.arange(records, dtype=np.int64)), False, ends
    newlines = np.flatnonzero(arr == NEWLINE)
    # Inside quotes where an odd number of quotes came before (RFC 4180's "" keeps the parity).
    ends = newlines[(np.searchsorted(quotes, newlines) & 1) == 0] if len(quotes) else newlines
    if last and len(view) and (len(ends) == 0 or ends[-1] != len(view) - 1):
        ends = np.append(ends, len(view))
    if len(ends) == 0:
        return None
    found = min(int(ends[-1]) + 1, len(view))
    if cut is not None and found != cut:
        return None
    consumed = int(np.searchsorted(newlines, found))
    starts = np.concatenate(([0], ends[:-1] + 1))
    # Empty lines, CRLF's included, are skipped by Arrow; the line numbers skip them too.
    length = ends - starts
    records = np.flatnonzero((length > 1) | ((length == 1) & (arr[np.minimum(starts, len(arr) - 1)] != CR)))
    start = 0
    if skip_header:
        if len(records) == 0:
            return found, None, False, consumed  # only blank lines so far
        # The header is the first record that is not blank; dialect detection has read it.
        if not view[starts[records[0]] : ends[records[0]]].strip(BLANK_BYTES):
            return None  # a line of blanks first: the scan tells blank lines apart
        start, records = int(ends[records[0]]) + 1, records[1:]
    if len(records) == 0:
        return found, None, skip_header, consumed
    lines = line + np.searchsorted(newlines, starts[records])
    if columns is None:
        columns = _parsed(memoryview(view)[start:found], ncols, delimiter, encoding)
    if columns is None or len(columns[0]) != len(lines):
        return None
    return found, Chunk(columns, [], lines), skip_header, consumed


def _last_record_end(view: bytes, quotes: np.ndarray, last: bool) -> int | None:
    """Where the view's whole records end, found from its last line ends: after the last newline
    outside quotes (an even number of quotes before it), or at the end of the file's last bytes.
    None when that takes more than a few tries (a long quoted text with many line ends)."""
    if last:
        return len(view) or None
    end = len(view)
    for _ in range(8):
        end = view.rfind(b"\n", 0, end)
        if end < 0:
            return None
        if not int(np.searchsorted(quotes, end)) & 1:
            return end + 1
    return None


def _no_lone_cr(view: bytes, end: int) -> bool:
    """Whether every CR before `end` is the first half of a CRLF: Arrow also ends a record at a
    lone CR. CRLFs are counted as 16-bit words at even and at odd offsets (0.9 ms per 5 MiB here,
    1.6 ms comparing bytes with the next)."""
    if view.find(b"\r", 0, end) < 0:
        return True
    arr = np.frombuffer(view, np.uint8, end)
    even, odd = arr[: end // 2 * 2].view("<u2"), arr[1 : 1 + (end - 1) // 2 * 2].view("<u2")
    crlf = np.count_nonzero(even == CRLF_WORD) + np.count_nonzero(odd == CRLF_WORD)
    return int(np.count_nonzero(arr == CR)) == int(crlf)


def _parsed(records, ncols: int, delimiter: str, encoding: str) -> list[pa.ChunkedArray] | None:
    """The records parsed by Arrow, or None if it does not take them (invalid UTF-8, a field count)."""
    try:
        return _arrow(records, ncols, delimiter, encoding)
    except (ValueError, pa.ArrowInvalid):
        return None


def _read_block(view: bytes, last: bool, line: int, ncols: int, delimiter: str, skip_header: bool, encoding: str):
    """(bytes consumed, chunk or None, header skipped, line ends consumed) for the whole records at
    the start of `view`."""
    # Most blocks hold no NUL and only well-formed records: Arrow alone checks their field counts.
    if ncols > 1 and 0 not in view:
        plain = _plain_block(view, last, line, ncols, delimiter, skip_header, encoding)
        if plain is not None:
            return plain
    consumed, chunk, skipped = _framed_block(view, last, line, ncols, delimiter, skip_header, encoding)
    # numpy counts the line ends 2.5x faster than bytes.count, which holds the GIL for the whole block.
    return consumed, chunk, skipped, int(np.count_nonzero(np.frombuffer(view, np.uint8, consumed) == NEWLINE))


def _framed_block(view: bytes, last: bool, line: int, ncols: int, delimiter: str, skip_header: bool, encoding: str):
    """(bytes consumed, chunk or None, header skipped): the scan's framing, or Python's csv module's."""
    separator = ord(delimiter)
    arr = np.frombuffer(view, np.uint8)
    if _rfc_quotes(arr, np.flatnonzero(arr == QUOTE), separator):
        frame = _Frame.scan(view, separator, last)
        if frame.cut == 0:
            return 0, None, False
        start = 0
        if skip_header:
            first = np.flatnonzero(~frame.blank)
            if not len(first):
                return frame.cut, None, False  # only blank lines so far
            # The header is the first record that is not blank; dialect detection has read it.
            start = int(frame.ends[first[0]]) + 1
        block = view[start : frame.cut]
        if not block:
            return frame.cut, None, skip_header
        if start:
            frame = _Frame.scan(block, separator, last)
        chunk = _fast_block(block, frame, line + view.count(b"\n", 0, start), ncols, delimiter, encoding)
        if chunk is not None:
            return frame.cut + start, chunk, skip_header
    return _slow_block(view, last, line, ncols, delimiter, skip_header, encoding)


def read_rows(
    pieces: Iterable[bytes], dialect: Dialect, ncols: int, skip_header: bool, block_size: int, encoding: str = "utf-8"
) -> Iterator[Chunk]:
    """Chunks of rows, about `block_size` bytes each, the header record left out. The bytes are
    UTF-8, or a single-byte `encoding` (streams.single_byte): its columns are then binary."""
    source = iter(pieces)
    buf = b""
    exhausted = False
    line = 1
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
        consumed, chunk, skipped, line_ends = (
            (0, None, False, 0)
            if not last and b"\n" not in view
            else _read_block(view, last, line, ncols, dialect.delimiter, skip_header, encoding)
        )
        if not consumed:
            if len(view) >= MAX_RECORD_BYTES:
                raise ReadError(f"a record starting at line {line} is longer than {MAX_RECORD_BYTES // 2**20} MiB")
            window *= 2  # a record longer than the window: widen it
            continue
        skip_header = skip_header and not skipped
        window = block_size
        line += line_ends
        buf = buf[consumed:]
        if chunk is not None and (chunk.rows or chunk.bad_rows):
            yield chunk
