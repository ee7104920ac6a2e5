"""Byte streams: read in pieces, gunzip on the fly, and transcode to UTF-8."""

from __future__ import annotations

import codecs
import queue
import threading
import zlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO, TypeVar

import numpy as np

from .errors import StreamError

T = TypeVar("T")

READ_SIZE = 1024 * 1024
NEWLINE, CR = 10, 13
GZIP_MAGIC = b"\x1f\x8b"


def read_pieces(stream: BinaryIO, size: int = READ_SIZE) -> Iterator[bytes]:
    while piece := stream.read(size):
        yield piece


def gunzip(pieces: Iterable[bytes], max_bytes: int) -> Iterator[bytes]:
    """Decompress gzip members one after another, never producing more than `max_bytes`.

    No ratio is refused: rows repeated in a real export compress over 500:1, and a piece at a time
    is all a bomb holds in memory; what it can cost is time, which `max_bytes` and the deadline bound.

    Concatenated members are one stream (as `cat a.gz b.gz` makes); zero bytes after a member
    (tape-block padding) end it, as GNU gzip accepts.
    """
    produced = 0
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    member_started = padding = False
    for piece in pieces:
        data = piece
        while data:
            if padding or (not member_started and data[0] == 0):
                if data.strip(b"\x00"):
                    raise StreamError("not a valid gzip stream: data after the zero padding")
                padding = True
                break
            member_started = True
            try:
                out = inflater.decompress(data, READ_SIZE)
            except zlib.error as exc:
                raise StreamError(f"not a valid gzip stream: {exc}") from exc
            rest = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
            produced += len(out)
            if produced > max_bytes:
                raise StreamError(
                    f"the gzip stream expands to more than {max_bytes:,} bytes, the limit "
                    f"(MAX_DECOMPRESSED_BYTES); split the file or raise the limit"
                )
            if out:
                yield out
            if inflater.eof:
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                member_started = False
            data = rest
    if member_started and not inflater.eof:
        raise StreamError("not a valid gzip stream: truncated")


def peek(pieces: Iterator[bytes], size: int) -> tuple[bytes, Iterator[bytes]]:
    """The first `size` bytes (or all, if fewer) and an iterator that still yields everything."""
    head: list[bytes] = []
    have = 0
    for piece in pieces:
        head.append(piece)
        have += len(piece)
        if have >= size:
            break
    sample = b"".join(head)

    def replay() -> Iterator[bytes]:
        if sample:
            yield sample
        yield from pieces

    return sample[:size], replay()


def _latin1_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    # cp1252 leaves five bytes undefined; read them as latin-1 so no byte is ever lost.
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("csvlake-latin1", _latin1_fallback)


def _without_bom(pieces: Iterable[bytes]) -> Iterator[bytes]:
    first = True
    for piece in pieces:
        yield piece.removeprefix(codecs.BOM_UTF8) if first else piece
        first = False


def decode_errors(encoding: str) -> str:
    """How bytes that `encoding` does not define are read: never dropped, never fatal."""
    return {"cp1252": "csvlake-latin1", "utf-8": "surrogateescape"}.get(encoding, "replace")


def to_utf8(pieces: Iterable[bytes], encoding: str, lone_cr: bool = False) -> Iterator[bytes]:
    """UTF-8 bytes from `encoding`. UTF-8 passes through (the parser validates it). With `lone_cr`
    (a file whose line ends are CR), no CRLF is cut between two pieces, so that each piece tells a
    lone CR from a CRLF by itself (line_ends)."""
    if encoding == "utf-8-sig":
        pieces, encoding = _without_bom(pieces), "utf-8"
    if encoding != "utf-8":
        pieces = _transcoded(pieces, encoding)
    for piece in _crlf_whole(pieces) if lone_cr else pieces:
        if piece:
            yield piece


def _transcoded(pieces: Iterable[bytes], encoding: str) -> Iterator[bytes]:
    if encoding == "utf-16":
        # Python's stream decoder refuses UTF-16 without a BOM, which bytes.decode (so detection's
        # sample) reads as little-endian, as Windows writes it: the stream is read the same way.
        head, pieces = peek(iter(pieces), 2)
        if not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16-le"
    decoder = codecs.getincrementaldecoder(encoding)(decode_errors(encoding))
    first = True
    for piece in pieces:
        text = decoder.decode(piece)
        if first and text:
            # A BOM is never data, also where the encoding named (utf-16-le, …) does not consume it.
            text, first = text.removeprefix("\ufeff"), False
        yield text.encode("utf-8", "surrogateescape")
    yield decoder.decode(b"", final=True).encode("utf-8", "surrogateescape")


def _crlf_whole(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """The same bytes, a CR that ends a piece moved to the start of the next one."""
    held = b""
    for piece in pieces:
        piece = held + piece if held else piece
        held = b"\r" if piece.endswith(b"\r") else b""
        yield piece[:-1] if held else piece
    yield held


def line_ends(arr: np.ndarray, lone_cr: bool) -> np.ndarray:
    """Where the lines of `arr` end: at each LF (a CRLF's too) and, with `lone_cr` (a file whose line
    ends are CR), at each CR not followed by a LF, as Python's universal newlines read such a file.
    A CR that ends `arr` ends a line: to_utf8 cuts no CRLF between two pieces."""
    newline = arr == NEWLINE
    if not lone_cr:
        return np.flatnonzero(newline)
    lone = arr == CR
    lone[:-1] &= ~newline[1:]
    return np.flatnonzero(newline | lone)


def prefetched(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """The same items, produced one step ahead in another thread, so reading and parsing the next
    block overlaps with processing this one. Errors are raised where the item would have been."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def hand_over(entry: tuple) -> bool:
        """Queue an entry unless the consumer has stopped: it may never take one again."""
        while not stop.is_set():
            try:
                ready.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not hand_over((item, None)):
                    return
            hand_over((done, None))
        except BaseException as exc:
            hand_over((done, exc))

    thread = threading.Thread(target=produce, name="csvlake-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item, error = ready.get()
            if error is not None:
                raise error
            if item is done:
                return
            yield item
    finally:
        stop.set()
        thread.join()
