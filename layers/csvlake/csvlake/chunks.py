"""The object's bytes as both passes read them: gunzipped, sampled, and parsed into chunks of rows.

A chunk's columns come dictionary-encoded, their distinct texts as UTF-8: the passes work per
distinct text, far fewer than rows. Reading, parsing and encoding run a chunk ahead, in a thread
of their own, so that they overlap the work on the chunk before.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from .arrowtext import single_byte, transcoded
from .config import Config
from .deadline import Deadline
from .dialect import SAMPLE_BYTES, Dialect
from .errors import OutOfTime, Rejected
from .footer import Tail, without_footer
from .lines import Lines, table_bytes
from .pool import WORKERS
from .ports import ObjectRef, ObjectStore
from .reader import MAX_RECORD_BYTES, Chunk, read_rows
from .streams import GZIP_MAGIC, gunzip, peek, prefetched, read_pieces, to_utf8
from .structure import Structure, skipped_line

T = TypeVar("T")
# A chunk of a wide file gets one block per WIDE_COLUMNS columns, up to WIDE_BLOCKS (docs/adr/0014).
WIDE_COLUMNS, WIDE_BLOCKS = 60, 5


def decompressed(store: ObjectStore, ref: ObjectRef, config: Config) -> tuple[Iterator[bytes], bool, ObjectRef]:
    """The object's bytes, gunzipped on the fly when they are gzip (by their magic, not their name),
    whether they were, and the ref completed with the version being read."""
    stream, ref = store.open(ref)
    magic, pieces = peek(read_pieces(stream), len(GZIP_MAGIC))
    gzipped = magic == GZIP_MAGIC
    return (gunzip(pieces, config.max_decompressed_bytes) if gzipped else pieces), gzipped, ref


def sampled(store: ObjectStore, ref: ObjectRef, config: Config) -> tuple[bytes, bool, Iterator[bytes], ObjectRef]:
    """The first bytes for dialect detection (whether they are the whole file), and all the bytes."""
    pieces, gzipped, ref = decompressed(store, ref, config)
    size = SAMPLE_BYTES
    while True:
        sample, pieces = peek(pieces, size + 1)
        if gzipped and not sample:
            raise Rejected("empty file: the gzip stream holds no bytes")
        # Very wide files: the sample must hold the header and a row after it.
        if len(sample) <= size or max(sample.count(b"\n"), sample.count(b"\r")) > 2 or size >= MAX_RECORD_BYTES:
            return sample[:size], len(sample) <= size, pieces, ref
        size *= 4


def chunks(
    pieces: Iterator[bytes],
    dialect: Dialect,
    structure: Structure,
    config: Config,
    deadline: Deadline | None,
    lines: Lines | None = None,
) -> Iterator[Chunk]:
    """The rows of the file's table, each chunk's columns dictionary-encoded; `lines`, if given,
    accounts for every line (the preamble's, the footer's…). A single-byte encoding (cp1252, …)
    is parsed as it is, and only each chunk's distinct texts are transcoded to UTF-8, not every byte
    of the file."""
    if single_byte(dialect.encoding) and dialect.line_ending != "CR":
        encoding = dialect.encoding
    else:
        pieces, encoding = to_utf8(pieces, dialect.encoding, lone_cr=dialect.line_ending == "CR"), "utf-8"
    ncols = len(structure.names)
    lone_cr = dialect.line_ending == "CR"
    table, tail = table_bytes(pieces, structure, lines, encoding, lone_cr), Tail(lone_cr)
    rows = read_rows(tail.watch(table), dialect, ncols, structure.data_line, block_size(config, ncols), encoding)
    rows = _accounted(rows, structure, dialect.delimiter, encoding, lines)
    rows = without_footer(rows, dialect, structure, encoding, lines, tail)
    return in_time(prefetched(_encoded_chunks(rows, dialect.encoding)), deadline)


def _accounted(
    chunks: Iterator[Chunk], structure: Structure, delimiter: str, encoding: str, lines: Lines | None
) -> Iterator[Chunk]:
    """The chunks without the header's line repeated among the rows (files exported and joined),
    their trimmed rows told to `lines`, if given. In a file of one column a value
    that is the name is a value: one field is too little to tell."""
    names = structure.names if structure.header_rows == 1 and len(structure.names) > 1 else None
    for chunk in chunks:
        if names and chunk.rows:
            chunk = _without_repeated_header(chunk, names, delimiter, encoding, lines)
        if lines is not None:
            lines.trimmed += chunk.trimmed
        yield chunk


def _without_repeated_header(
    chunk: Chunk, names: list[str], delimiter: str, encoding: str, lines: Lines | None
) -> Chunk:
    """The chunk without the rows whose every field is the header's name for its column, exactly.
    Only the rows whose first field is the first name are compared further: a pass over one column."""
    kind = chunk.columns[0].type
    wanted = [pa.scalar(name if pa.types.is_string(kind) else name.encode(encoding), kind) for name in names]
    repeated = pc.equal(chunk.columns[0], wanted[0])
    if not pc.any(repeated).as_py():
        return chunk
    for column, name in zip(chunk.columns[1:], wanted[1:]):
        repeated = pc.and_(repeated, pc.equal(column, name))
    mask = repeated.to_numpy(zero_copy_only=False)
    if not mask.any():
        return chunk
    if lines is not None:
        # Its text as the names join: the line's own quotes, if any, are not kept.
        for n in chunk.lines[mask].tolist():
            lines.skip(skipped_line(n, delimiter.join(names), "repeated header"))
    keep = pa.array(~mask)
    columns = [column.filter(keep) for column in chunk.columns]
    return Chunk(columns, chunk.bad_rows, chunk.lines[~mask], chunk.blank_lines, chunk.empty_rows, chunk.trimmed)


def _encoded_chunks(chunks: Iterator[Chunk], encoding: str) -> Iterator[Chunk]:
    for chunk in chunks:
        chunk.columns = list(WORKERS.map(encoded, chunk.columns, [encoding] * len(chunk.columns)))
        yield chunk


def block_size(config: Config, ncols: int) -> int:
    """Bytes read per chunk. The work on a chunk is mostly per column (a few dozen Arrow calls each,
    whatever its rows), so a wide file is read in bigger blocks: one `config.block_size` per
    WIDE_COLUMNS columns, up to WIDE_BLOCKS of them (docs/adr/0013-fourth-round-less-cpu.md, 0014)."""
    return config.block_size * min(WIDE_BLOCKS, max(1, ncols // WIDE_COLUMNS))


def encoded(column: pa.ChunkedArray, encoding: str) -> pa.DictionaryArray:
    """A parsed column dictionary-encoded, its distinct texts as UTF-8 strings. Arrow encodes the
    chunks of a column against one dictionary that they share, so joining them after encoding
    joins their indices only, not their texts."""
    column = pc.dictionary_encode(column).combine_chunks()
    if pa.types.is_binary(column.dictionary.type):
        return pa.DictionaryArray.from_arrays(column.indices, transcoded(column.dictionary, encoding))
    return column


def in_time(items: Iterator[T], deadline: Deadline | None) -> Iterator[T]:
    """The same items, until the invocation's deadline has passed."""
    for item in items:
        if deadline is not None and deadline.passed():
            raise OutOfTime()
        yield item
