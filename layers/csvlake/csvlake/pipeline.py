"""Process one object: detect, parse, type, validate, summarise and write, streaming throughout.

The object is read twice. The first pass settles what needs the whole file (each column's type,
which rows are malformed); the second converts, summarises and writes. Both passes stream, so
memory is bounded by the block size, not by the file (docs/adr/0002-two-pass-streaming.md).
The first pass keeps its parsed chunks on local disk, so the second reads those instead of
parsing the object again, when the disk has room (docs/adr/0008-parse-once-spill-to-tmp.md).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import memory, types
from .config import Config
from .dialect import SAMPLE_BYTES, Dialect, Rejected, Utf8Evidence, detect
from .events import ObjectRef
from .html import render as render_html
from .layout import OutputKeys
from .names import output_names
from .reader import MAX_RECORD_BYTES, Chunk, ReadError, read_rows
from .report import Report, to_json
from .spill import Spill
from .streams import GZIP_MAGIC, StreamError, gunzip, peek, prefetched, read_pieces, to_utf8
from .summary import ColumnSummary
from .writer import Pipelined, ProcessedWriter, RejectedWriter

log = logging.getLogger(__name__)
memory.use_jemalloc()
WORKERS = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="csvlake")
# A cap on what a gzip member may expand to, so a small bomb cannot exhaust the function.
MAX_DECOMPRESSED_BYTES = 64 * 1024**3


class StoreError(Exception):
    """The object store failed (network, throttling, permissions): retrying the event may help."""


class ObjectGone(StoreError):
    """The object named by the event no longer exists: there is nothing to retry."""


class Superseded(Exception):
    """The object was overwritten after the event: the newer object's own event will process it."""


class OutOfTime(Exception):
    """The invocation would end before the file does: stop cleanly and let the retry start over."""


class ObjectStore(Protocol):
    """Where objects are read and written: S3 in Lambda, a directory for the CLI and tests.

    Failures of the store itself are raised as StoreError (ObjectGone for a missing object).
    """

    def open(self, ref: ObjectRef) -> tuple[BinaryIO, ObjectRef]:
        """A stream of the object's bytes, and the ref completed with the version being read.

        Raises Superseded if `ref` names a version or ETag that is no longer the object's latest.
        """

    def writer(self, bucket: str, key: str, content_type: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """A stream whose object appears only when the block exits without an exception."""

    def put(self, bucket: str, key: str, data: bytes, content_type: str) -> None: ...

    def copy(self, ref: ObjectRef, bucket: str, key: str) -> None: ...

    def delete(self, bucket: str, key: str) -> None:
        """Remove an object if it exists (an output left by an earlier version of the file)."""


@dataclass
class Inspection:
    dialect: Dialect
    source_names: list[str]
    formats: list[types.Format | None]
    extra_fields: int
    # The parsed chunks, for pass 2 to read instead of the object (None or incomplete: read it again).
    spill: Spill | None = None


def _decompressed(store: ObjectStore, ref: ObjectRef) -> tuple[Iterator[bytes], bool, ObjectRef]:
    """The object's bytes, gunzipped on the fly when they are gzip (by their magic, not their name)."""
    stream, ref = store.open(ref)
    magic, pieces = peek(read_pieces(stream), len(GZIP_MAGIC))
    gzipped = magic == GZIP_MAGIC
    return (gunzip(pieces, MAX_DECOMPRESSED_BYTES) if gzipped else pieces), gzipped, ref


def _sampled(store: ObjectStore, ref: ObjectRef) -> tuple[bytes, bool, Iterator[bytes], ObjectRef]:
    """The first bytes for dialect detection (whether they are the whole file), and all the bytes."""
    pieces, gzipped, ref = _decompressed(store, ref)
    size = SAMPLE_BYTES
    while True:
        sample, pieces = peek(pieces, size + 1)
        if gzipped and not sample:
            raise Rejected("empty file: the gzip stream holds no bytes")
        # Very wide files: the sample must hold the header and a row after it.
        if len(sample) <= size or max(sample.count(b"\n"), sample.count(b"\r")) > 2 or size >= MAX_RECORD_BYTES:
            return sample[:size], len(sample) <= size, pieces, ref
        size *= 4


def _chunks(
    pieces: Iterator[bytes], dialect: Dialect, ncols: int, config: Config, deadline: float | None
) -> Iterator[Chunk]:
    utf8 = to_utf8(pieces, dialect.encoding, lone_cr=dialect.line_ending == "CR")
    rows = read_rows(utf8, dialect, ncols, skip_header=dialect.header, block_size=config.block_size)
    return _in_time(prefetched(rows), deadline)


def _in_time(chunks: Iterator[Chunk], deadline: float | None) -> Iterator[Chunk]:
    for chunk in chunks:
        if deadline is not None and time.monotonic() > deadline:
            raise OutOfTime("the invocation's time is nearly up; uploads aborted, nothing written")
        yield chunk


def _encoded_and_inferred(column: pa.ChunkedArray, evidence: types.TypeInference) -> pa.DictionaryArray:
    encoded = pc.dictionary_encode(column.combine_chunks())
    # A type is a property of the set of values: checking each distinct value once suffices.
    evidence.update(types.nulls_applied(encoded.dictionary))
    return encoded


def inspect(
    store: ObjectStore, ref: ObjectRef, config: Config, encoding: str | None = None, deadline: float | None = None
) -> tuple[Inspection, ObjectRef]:
    """First pass: the dialect, and every column's type from all of its values."""
    sample, complete, pieces, ref = _sampled(store, ref)
    dialect, source_names = detect(sample, complete, encoding)
    # An all-ASCII sample reads as UTF-8; the rest of the file decides whether it really is.
    utf8 = Utf8Evidence() if dialect.encoding == "utf-8" and not complete and sample.isascii() else None
    if utf8:
        pieces = utf8.watch(pieces)
    inference = [types.TypeInference(dialect.decimal) for _ in source_names]
    extra = 0
    spill = Spill(len(source_names), budget=config.spill_bytes)
    try:
        for chunk in _chunks(pieces, dialect, len(source_names), config, deadline):
            # Columns are independent, and Arrow and numpy release the GIL: use both cores.
            chunk.columns = list(WORKERS.map(_encoded_and_inferred, chunk.columns, inference))
            for row in chunk.bad_rows:
                extra = max(extra, len(row.fields) - len(source_names))
            spill.add(chunk)
        spill.finish()
    except BaseException:
        spill.close()
        raise
    if utf8 and utf8.legacy:
        spill.close()
        return inspect(store, ref, config, "cp1252", deadline)
    return Inspection(dialect, source_names, [e.result() for e in inference], extra, spill), ref


def _typed_and_summarised(
    column: pa.ChunkedArray | pa.DictionaryArray,
    fmt: types.Format | None,
    decimal: str,
    summary: ColumnSummary,
    first_row: int,
) -> pa.DictionaryArray:
    """The column converted to its type, its statistics merged into `summary`.

    Both happen on the column's distinct texts, which are far fewer than its rows in most columns.
    `first_row` is the index of the chunk's first accepted row in the file (for quantile sampling).
    """
    encoded = column if pa.types.is_dictionary(column.type) else pc.dictionary_encode(column.combine_chunks())
    values = types.convert(types.nulls_applied(encoded.dictionary), fmt, decimal)
    indices = encoded.indices.to_numpy()
    counts = np.bincount(indices, minlength=len(values))
    present = values.is_valid().to_numpy(zero_copy_only=False)
    summary.update(values.filter(pa.array(present)), counts[present], int(counts[~present].sum()))
    if summary.kind in ("integer", "number"):
        numbers = values.to_numpy(zero_copy_only=False).astype(np.float64)  # nulls → NaN
        summary.sample_rows(first_row, numbers[indices])
    return pa.DictionaryArray.from_arrays(encoded.indices, values)


def _write(
    store: ObjectStore,
    ref: ObjectRef,
    config: Config,
    found: Inspection,
    report: Report,
    keys: OutputKeys,
    deadline: float | None,
) -> None:
    """Second pass: convert, summarise and write the processed copy and the rejected rows."""
    bucket = report.outputs["bucket"]
    names, warnings = output_names(found.source_names)
    report.warnings.extend(warnings)
    summaries = [ColumnSummary(types.kind(fmt)) for fmt in found.formats]
    arrow_types = [types.arrow_type(fmt) for fmt in found.formats]
    content_type = "text/csv; charset=utf-8" if config.output_format == "csv" else "application/vnd.apache.parquet"
    if found.spill is not None and found.spill.complete:
        chunks = _in_time(found.spill.chunks(), deadline)
    else:
        pieces, _, ref = _decompressed(store, ref)
        chunks = _chunks(pieces, found.dialect, len(names), config, deadline)
    with contextlib.ExitStack() as outputs:
        if found.spill is not None:
            outputs.callback(found.spill.close)
        processed = Pipelined(
            ProcessedWriter(
                outputs.enter_context(store.writer(bucket, keys.processed, content_type)),
                names,
                arrow_types,
                config.output_format,
            )
        )
        outputs.callback(processed.settle)
        rejected: RejectedWriter | None = None
        for chunk in chunks:
            # Columns are independent, and Arrow and numpy release the GIL: use both cores.
            typed = list(
                WORKERS.map(
                    _typed_and_summarised,
                    chunk.columns,
                    found.formats,
                    [found.dialect.decimal] * len(names),
                    summaries,
                    [report.written] * len(names),
                )
            )
            processed.write(typed)
            report.written += chunk.rows
            if chunk.bad_rows:
                if rejected is None:
                    stream = outputs.enter_context(store.writer(bucket, keys.rejected_rows, "text/csv; charset=utf-8"))
                    rejected = RejectedWriter(stream, found.source_names, found.extra_fields)
                rejected.write(chunk.bad_rows)
                report.rejected += len(chunk.bad_rows)
                for row in chunk.bad_rows:
                    report.add_error(row.line, None, row.error)
        processed.close()
        if rejected is not None:
            rejected.close()
    report.read = report.written + report.rejected
    report.status = "partial" if report.rejected else "processed"
    report.outputs.update(processed=keys.processed, rejected_rows=keys.rejected_rows if rejected else None)
    if rejected is None:
        store.delete(bucket, keys.rejected_rows)  # an earlier version's bad rows are not this file's
    report.columns = [
        {"name": name, "source_name": source if found.dialect.header else None, **summary.as_report()}
        for name, source, summary in zip(names, found.source_names, summaries)
    ]


def process(
    store: ObjectStore,
    ref: ObjectRef,
    config: Config,
    now=lambda: dt.datetime.now(dt.UTC),
    deadline: float | None = None,
    stage: Callable[[str], contextlib.AbstractContextManager] = lambda name: contextlib.nullcontext(),
) -> dict:
    """Ingest one raw object; the report is written last, whatever happened, and returned.

    `deadline` (a time.monotonic() value) stops the work with OutOfTime, outputs unwritten.
    `stage(name)` wraps each stage (a tracer's subsegment in Lambda).
    """
    report = Report(source=ref, started_at=now())
    keys = OutputKeys.for_key(ref.key, config)
    bucket = config.output_bucket or ref.bucket
    report.outputs = {
        "bucket": bucket,
        "processed": None,
        "rejected_rows": None,
        "quarantine": None,
        "report": keys.report,
        "report_html": keys.report_html,
    }
    try:
        with stage("inspect"):
            found, report.source = inspect(store, ref, config, deadline=deadline)
        report.dialect = found.dialect.as_report()
        if found.dialect.assumption:
            report.warnings.append(found.dialect.assumption)
        with stage("write"):
            _write(store, report.source, config, found, report, keys, deadline)
    except (StoreError, Superseded, OutOfTime):
        raise
    except (Rejected, StreamError, ReadError) as exc:
        _reject(store, report, keys, str(exc))
    except Exception as exc:
        # A file that trips an unforeseen error must still end in a visible place, not in a retry loop.
        log.exception("unexpected error processing s3://%s/%s", ref.bucket, ref.key)
        _reject(store, report, keys, f"could not be processed: {type(exc).__name__}: {exc}")
    document = report.as_dict(now())
    with stage("report"):
        # The page first: the JSON report, written last, is what says the file is done.
        store.put(bucket, keys.report_html, render_html(document).encode("utf-8"), "text/html; charset=utf-8")
        store.put(bucket, keys.report, to_json(document), "application/json")
    return document


def _reject(store: ObjectStore, report: Report, keys: OutputKeys, reason: str) -> None:
    """Whole-file rejection: the original bytes go to quarantine, the report says why, and no
    processed copy or rejected rows of an earlier version of the file remain to contradict it."""
    report.reject(reason)
    report.read = report.written = report.rejected = 0
    report.columns, report.errors, report.error_count = [], [], 0
    bucket = report.outputs["bucket"]
    for stale in (keys.processed, keys.rejected_rows):
        store.delete(bucket, stale)
    store.copy(report.source, bucket, keys.quarantine)
    report.outputs.update(processed=None, rejected_rows=None, quarantine=keys.quarantine)
