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
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import drift, memory, types
from .config import Config
from .contract import Contract, ContractError, parse
from .dialect import SAMPLE_BYTES, Dialect, Utf8Evidence, detect
from .errors import OutOfTime, ReadError, Rejected, StoreError, StreamError, Superseded
from .html import render as render_html
from .layout import OutputKeys, contract_key, schema_key
from .names import output_names
from .ports import ObjectRef, ObjectStore
from .reader import MAX_RECORD_BYTES, BadRow, Chunk, read_rows
from .report import Report, RowError, to_json
from .spill import Spill
from .streams import GZIP_MAGIC, gunzip, peek, prefetched, read_pieces, single_byte, to_utf8, transcoded
from .summary import ColumnSummary, mix, top_limit
from .validate import ColumnRules, Validation
from .writer import Pipelined, ProcessedWriter, RejectedWriter

log = logging.getLogger(__name__)
T = TypeVar("T")
memory.configure()
WORKERS = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="csvlake")
# A chunk of a wide file gets one block per WIDE_COLUMNS columns, up to WIDE_BLOCKS (block_size):
# 25 MiB for 300 columns, as 3 blocks of 8 MiB were before blocks became 5 MiB (docs/adr/0014).
WIDE_COLUMNS, WIDE_BLOCKS = 60, 5
# A cap on what a gzip member may expand to, so a small bomb cannot exhaust the function.
MAX_DECOMPRESSED_BYTES = 64 * 1024**3


@dataclass
class Inspection:
    dialect: Dialect
    source_names: list[str]
    evidence: list[types.TypeInference]  # what every column's values fit
    extra_fields: int
    rows: int  # records read, accepted or malformed
    # The parsed chunks, for pass 2 to read instead of the object (None or incomplete: read it again).
    spill: Spill | None = None

    @property
    def formats(self) -> list[types.Format | None]:
        return [evidence.result() for evidence in self.evidence]


@dataclass
class Plan:
    """What the second pass does with each source column, the contract applied."""

    formats: list[types.Format | None]
    declared: list[bool]  # the contract declares a type: values are checked one by one
    written: list[int]  # the source columns in the processed copy
    names: list[str]  # and their output names
    validation: Validation | None


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
    """The object's rows, each chunk's columns dictionary-encoded (_encoded). A single-byte encoding
    (cp1252, …) is parsed as it is, and only each chunk's distinct texts are transcoded to UTF-8, not
    every byte of the file. Reading, parsing and encoding run a chunk ahead, in a thread of their own
    (encoding on WORKERS), so that they overlap the work on the chunk before."""
    if single_byte(dialect.encoding) and dialect.line_ending != "CR":
        encoding = dialect.encoding
    else:
        pieces, encoding = to_utf8(pieces, dialect.encoding, lone_cr=dialect.line_ending == "CR"), "utf-8"
    rows = read_rows(
        pieces, dialect, ncols, skip_header=dialect.header, block_size=block_size(config, ncols), encoding=encoding
    )
    return _in_time(prefetched(_encoded_chunks(rows, dialect.encoding)), deadline)


def _encoded_chunks(chunks: Iterator[Chunk], encoding: str) -> Iterator[Chunk]:
    for chunk in chunks:
        # Columns are independent, and Arrow and numpy release the GIL: use both cores.
        chunk.columns = list(WORKERS.map(_encoded, chunk.columns, [encoding] * len(chunk.columns)))
        yield chunk


def block_size(config: Config, ncols: int) -> int:
    """Bytes read per chunk. The work on a chunk is mostly per column (a few dozen Arrow calls each,
    whatever its rows), so a wide file is read in bigger blocks: one `config.block_size` per
    WIDE_COLUMNS columns, up to WIDE_BLOCKS of them (docs/adr/0013-fourth-round-less-cpu.md, 0014)."""
    return config.block_size * min(WIDE_BLOCKS, max(1, ncols // WIDE_COLUMNS))


def _encoded(column: pa.ChunkedArray, encoding: str) -> pa.DictionaryArray:
    """A parsed column dictionary-encoded, its distinct texts as UTF-8 strings. Arrow encodes the
    chunks of a column against one dictionary that they share, so joining them after encoding
    joins their indices only, not their texts."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    if pa.types.is_binary(encoded.dictionary.type):
        return pa.DictionaryArray.from_arrays(encoded.indices, transcoded(encoded.dictionary, encoding))
    return encoded


def _in_time(items: Iterator[T], deadline: float | None) -> Iterator[T]:
    for item in items:
        if deadline is not None and time.monotonic() > deadline:
            raise OutOfTime("the invocation's time is nearly up; uploads aborted, nothing written")
        yield item


@dataclass(frozen=True)
class Prepared:
    """What pass 1 found out about a chunk's column, kept for pass 2 so it is not worked out twice:
    which distinct texts are null tokens, and the format the column had after this chunk with the
    texts converted by it (None for text, or when the check did not need to convert them)."""

    is_null: pa.Array
    format: types.Format | None
    values: pa.Array | None


def _inferred(encoded: pa.DictionaryArray, evidence: types.TypeInference) -> Prepared:
    is_null = types.null_tokens(encoded.dictionary)
    # A type is a property of the set of values: checking each distinct value once suffices.
    converted = evidence.update(types.nulls_applied(encoded.dictionary, is_null))
    fmt = evidence.result()
    return Prepared(is_null, fmt, converted.get(fmt))


def inspect(
    store: ObjectStore,
    ref: ObjectRef,
    config: Config,
    contract: Contract | None = None,
    deadline: float | None = None,
    overrides: dict | None = None,
) -> tuple[Inspection, ObjectRef]:
    """First pass: the dialect (the contract's overrides aside), and every column's type from all of its values."""
    overrides = {**(dict(contract.dialect) if contract else {}), **(overrides or {})}
    sample, complete, pieces, ref = _sampled(store, ref)
    dialect, source_names = detect(sample, complete, overrides)
    # An all-ASCII sample reads as UTF-8; the rest of the file decides whether it really is.
    guessed = dialect.encoding == "utf-8" and "encoding" not in overrides
    utf8 = Utf8Evidence() if guessed and not complete and sample.isascii() else None
    if utf8:
        pieces = utf8.watch(pieces)
    # Dates a contract declares without a format: which format reads the most values (types.declared).
    tallied = {f.name for f in contract.fields if f.type in ("date", "datetime") and not f.format} if contract else ()
    inference = [types.TypeInference(dialect.decimal, tally={} if n in tallied else None) for n in source_names]
    extra = rows = 0
    spill = Spill(len(source_names), budget=config.spill_bytes)
    try:
        for chunk in _chunks(pieces, dialect, len(source_names), config, deadline):
            rows += chunk.rows + len(chunk.bad_rows)
            prepared = list(WORKERS.map(_inferred, chunk.columns, inference))
            for row in chunk.bad_rows:
                extra = max(extra, len(row.fields) - len(source_names))
            spill.add(chunk, prepared)
        spill.finish()
    except BaseException:
        spill.close()
        raise
    if utf8 and utf8.legacy:
        spill.close()
        return inspect(store, ref, config, contract, deadline, {**overrides, "encoding": "cp1252"})
    return Inspection(dialect, source_names, inference, extra, rows, spill), ref


def _converted(
    encoded: pa.DictionaryArray,
    fmt: types.Format | None,
    decimal: str,
    declared: bool,
    prepared: Prepared | None,
) -> tuple[pa.DictionaryArray, pa.Array, pa.Array | None]:
    """The column converted to its type, its texts (nulls applied) and, for a type the contract
    declares, which texts do not parse. All three are per distinct text: far fewer than rows.
    Columns read back from pass 1's spill come with what pass 1 found out about them (`prepared`):
    reused when the column's format is still the one it had then."""
    text = types.nulls_applied(encoded.dictionary, prepared.is_null if prepared else None)
    if prepared is not None and prepared.format == fmt and (fmt is None or prepared.values is not None):
        values = text if fmt is None else prepared.values
        # Every text of the chunk fits this format (it survived the chunk): none fails to parse.
        unparsed = pc.and_(text.is_valid(), values.is_null()) if declared else None
    else:
        # An inferred type fits every value (pass 1 checked them all); a declared one may not.
        values, unparsed = types.parse(text, fmt, decimal) if declared else (types.convert(text, fmt, decimal), None)
    return pa.DictionaryArray.from_arrays(encoded.indices, values), text, unparsed


def _summarised(column: pa.DictionaryArray, summary: ColumnSummary, row_keys: np.ndarray) -> None:
    """Merge the rows of a converted column into `summary`. `row_keys` are the hashed numbers in the
    file of the chunk's written rows (for quantile sampling)."""
    values = column.dictionary
    indices = column.indices.to_numpy(zero_copy_only=False)
    counts = np.bincount(indices, minlength=len(values))
    present = values.is_valid().to_numpy(zero_copy_only=False)
    # Values of rows a contract rejected stay in the dictionary with no row left.
    kept = present & (counts > 0)
    summary.update(values if kept.all() else values.filter(pa.array(kept)), counts[kept], int(counts[~present].sum()))
    if summary.kind in ("integer", "number"):
        numbers = values.to_numpy(zero_copy_only=False).astype(np.float64)  # nulls → NaN
        summary.sample_rows(row_keys, numbers, indices)


def _failed_rows(chunk: Chunk, rejected: np.ndarray, failures: list[RowError]) -> list[BadRow]:
    """The rows a contract rejects, as they were in the file, with all their reasons."""
    reasons: dict[int, list[str]] = {}
    for failure in failures:
        if failure.severity == "error":
            reasons.setdefault(failure.line, []).append(f"{failure.column}: {failure.rule}: {failure.message}")
    rows = pa.array(np.flatnonzero(rejected))
    fields = [column.take(rows).to_pylist() for column in chunk.columns]
    lines = chunk.lines[rejected].tolist()
    return [BadRow(line, [f[i] for f in fields], "; ".join(reasons[line])) for i, line in enumerate(lines)]


def _write(
    store: ObjectStore,
    ref: ObjectRef,
    config: Config,
    found: Inspection,
    plan: Plan,
    report: Report,
    keys: OutputKeys,
    deadline: float | None,
) -> None:
    """Second pass: convert, validate, summarise and write the processed copy and the rejected rows."""
    bucket = report.outputs["bucket"]
    validation = plan.validation
    decimal = found.dialect.decimal
    summaries = [
        ColumnSummary(types.kind(plan.formats[i]), top_limit=top_limit(len(plan.written))) for i in plan.written
    ]
    arrow_types = [types.arrow_type(plan.formats[i]) for i in plan.written]
    content_type = "text/csv; charset=utf-8" if config.output_format == "csv" else "application/vnd.apache.parquet"
    if found.spill is not None and found.spill.complete:
        chunks = _in_time(found.spill.chunks(), deadline)
    else:
        pieces, _, ref = _decompressed(store, ref)
        # Parsed again (no spill): nothing of pass 1 to reuse.
        chunks = ((chunk, None) for chunk in _chunks(pieces, found.dialect, len(found.source_names), config, deadline))
    with contextlib.ExitStack() as outputs:
        processed = Pipelined(
            ProcessedWriter(
                outputs.enter_context(store.writer(bucket, keys.processed, content_type)),
                plan.names,
                arrow_types,
                config.output_format,
                WORKERS,
            )
        )
        outputs.callback(processed.settle)
        rejected: RejectedWriter | None = None
        ncols = len(found.source_names)
        for chunk, prepared in chunks:
            # Columns are independent, and Arrow and numpy release the GIL: use both cores.
            converted = list(
                WORKERS.map(
                    _converted,
                    chunk.columns,
                    plan.formats,
                    [decimal] * ncols,
                    plan.declared,
                    prepared or [None] * ncols,
                )
            )
            typed = [c[0] for c in converted]
            bad_rows = chunk.bad_rows
            errors = [RowError(row.line, None, "structure", "error", None, row.error) for row in bad_rows]
            if validation is not None:
                texts, unparsed = [c[1] for c in converted], [c[2] for c in converted]
                failures, failed = validation.check(texts, typed, unparsed, chunk.lines)
                errors = sorted(errors + failures, key=lambda e: e.line)
                if failed.any():
                    keep = pa.array(~failed)
                    typed = [column.filter(keep) for column in typed]
                    bad_rows = sorted(bad_rows + _failed_rows(chunk, failed, failures), key=lambda r: r.line)
                validation.check_key(typed, chunk.lines[~failed], report.warnings)
            columns = [typed[i] for i in plan.written]
            row_keys = mix(np.arange(report.written, report.written + len(typed[0]), dtype=np.int64))
            list(WORKERS.map(_summarised, columns, summaries, [row_keys] * len(columns)))
            processed.write(columns)
            report.written += len(typed[0])
            if bad_rows:
                if rejected is None:
                    stream = outputs.enter_context(store.writer(bucket, keys.rejected_rows, "text/csv; charset=utf-8"))
                    rejected = RejectedWriter(stream, found.source_names, found.extra_fields)
                rejected.write(bad_rows)
                report.rejected += len(bad_rows)
            for error in errors:
                report.add_error(error)
        if found.spill is not None:
            # Now, not when the outputs close: closing drops its pages (~0.1 s for 150 MB here), which
            # then overlaps the upload's last parts instead of coming after them.
            found.spill.close()
        read = report.written + report.rejected
        limit = validation.contract.file_rule("max_rejected_fraction") if validation else None
        if limit is not None and read and report.rejected / read > limit.value:
            share = f"{report.rejected} of {read} rows rejected ({report.rejected / read:.1%}), above {limit.value:.1%}"
            validation.failed(None, "max_rejected_fraction", share, report.warnings)
        processed.close()
        if rejected is not None:
            rejected.close()
    report.read = report.written + report.rejected
    report.status = "partial" if report.rejected else "processed"
    report.outputs.update(processed=keys.processed, rejected_rows=keys.rejected_rows if rejected else None)
    if rejected is None:
        store.delete(bucket, keys.rejected_rows)  # an earlier version's bad rows are not this file's
    report.columns = [
        {
            "name": name,
            "source_name": found.source_names[i] if found.dialect.header else None,
            **summary.as_report(),
        }
        for name, i, summary in zip(plan.names, plan.written, summaries)
    ]


def _plan(found: Inspection, validation: Validation | None, warnings: list[str]) -> Plan:
    """Each column's type, output name and rules. Raises Rejected when the file's columns break the
    contract (a required column missing, an extra one where `columns: strict`)."""
    sources = found.source_names
    if validation is None:
        names, renamed = output_names(sources)
        warnings.extend(renamed)
        return Plan(found.formats, [False] * len(sources), list(range(len(sources))), names, None)
    contract = validation.contract
    for spec in contract.fields:
        if spec.required and spec.name not in sources:
            validation.failed(spec.name, "required", f"required column {spec.name!r} is missing", warnings)
    specs = [contract.field(name) for name in sources]
    extra = [name for name, spec in zip(sources, specs) if spec is None]
    if extra and contract.columns == "strict":
        listed = ", ".join(repr(name) for name in extra)
        validation.failed(None, "columns", f"column {listed} is not in the contract", warnings)
    written = [i for i, spec in enumerate(specs) if spec is not None or contract.columns != "drop_extra"]
    declared = [spec is not None and spec.type not in (None, "string") for spec in specs]
    formats = [
        types.declared(spec.type, evidence, spec.format) if spec and spec.type else evidence.result()
        for spec, evidence in zip(specs, found.evidence)
    ]
    renames = {k: specs[i].rename for k, i in enumerate(written) if specs[i] and specs[i].rename}
    names, renamed = output_names([sources[i] for i in written], renames)
    warnings.extend(renamed)
    validation.set_columns(
        [ColumnRules(spec, fmt, typed) if spec else None for spec, fmt, typed in zip(specs, formats, declared)]
    )
    return Plan(formats, declared, written, names, validation)


# A warm function keeps each contract it read with its ETag, and reads it again only if it changed.
_CONTRACTS: dict[tuple[str, str], tuple[str, Contract | ContractError]] = {}


def _contract(store: ObjectStore, ref: ObjectRef, config: Config) -> Contract | None:
    """The contract of the file's dataset, or None. Raises ContractError if it is invalid."""
    key = contract_key(ref.key, config)
    if key is None:
        return None
    cached = _CONTRACTS.get((ref.bucket, key))
    found = store.get(ref.bucket, key, cached[0] if cached else None)
    if found is None:
        _CONTRACTS.pop((ref.bucket, key), None)
        return None
    data, etag = found
    if data is not None:  # None: unchanged since it was cached
        try:
            result: Contract | ContractError = parse(data, key, etag)
        except ContractError as exc:
            result = exc
        cached = _CONTRACTS[(ref.bucket, key)] = (etag, result)
    if isinstance(cached[1], ContractError):
        raise cached[1]
    return cached[1]


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
    validation: Validation | None = None
    found: Inspection | None = None
    try:
        contract = _contract(store, ref, config)
        with stage("inspect"):
            found, report.source = inspect(store, ref, config, contract, deadline)
        report.dialect = found.dialect.as_report()
        if found.dialect.assumption:
            report.warnings.append(found.dialect.assumption)
        validation = Validation(contract, found.source_names) if contract else None
        remember = _drift(store, report, config, contract, found)
        plan = _plan(found, validation, report.warnings)
        _check_rows(found.rows, validation, report.warnings)
        with stage("write"):
            _write(store, report.source, config, found, plan, report, keys, deadline)
        remember()
    except (StoreError, Superseded, OutOfTime):
        raise
    except ContractError as exc:
        _reject(store, report, keys, f"invalid contract: {exc}")
    except (Rejected, StreamError, ReadError) as exc:
        _reject(store, report, keys, str(exc))
    except Exception as exc:
        # A file that trips an unforeseen error must still end in a visible place, not in a retry loop.
        log.exception("unexpected error processing s3://%s/%s", ref.bucket, ref.key)
        _reject(store, report, keys, f"could not be processed: {type(exc).__name__}: {exc}")
    finally:
        if found is not None and found.spill is not None:
            found.spill.close()  # also when pass 1 rejected the file or pass 2 failed: no spill file stays
    report.validation = validation.as_report() if validation else None
    document = report.as_dict(now())
    with stage("report"):
        # The page first: the JSON report, written last, is what says the file is done.
        store.put(bucket, keys.report_html, render_html(document).encode("utf-8"), "text/html; charset=utf-8")
        store.put(bucket, keys.report, to_json(document), "application/json")
    return document


def _check_rows(rows: int, validation: Validation | None, warnings: list[str]) -> None:
    """The contract's min_rows and max_rows, on the records read (accepted or not)."""
    if validation is None:
        return
    low, high = validation.contract.file_rule("min_rows"), validation.contract.file_rule("max_rows")
    if low is not None and rows < low.value:
        validation.failed(None, "min_rows", f"{rows} rows, fewer than {low.value}", warnings)
    if high is not None and rows > high.value:
        validation.failed(None, "max_rows", f"{rows} rows, more than {high.value}", warnings)


def _drift(
    store: ObjectStore, report: Report, config: Config, contract: Contract | None, found: Inspection
) -> Callable[[], None]:
    """Compare the file's schema with the last one of its dataset (report.drift); rejects the file
    if its contract says `on_drift: reject`. Returns what records this schema once the file is written."""
    key = schema_key(report.source.key, config)
    if key is None:
        return lambda: None
    bucket = report.outputs["bucket"]
    found_state = store.get(bucket, key)
    previous = drift.baseline(found_state[0] if found_state else None, report.source)
    # Each column's type as pass 2 will see it: the contract's, else the inferred one.
    declared = [contract.field(name) if contract else None for name in found.source_names]
    kinds = [
        spec.type if spec and spec.type else types.kind(evidence.result())
        for spec, evidence in zip(declared, found.evidence)
    ]
    schema = drift.schema_of(found.source_names, kinds)
    report.drift = drift.compare(previous, schema)
    if drift.drifted(report.drift):
        message = drift.describe(report.drift)
        if contract is not None and contract.on_drift == "reject":
            raise Rejected(f"contract: {message} (on_drift: reject, {contract.where('on_drift')})")
        report.warnings.append(message)
    return lambda: store.put(bucket, key, drift.state(report.source, schema, previous), "application/json")


def _reject(store: ObjectStore, report: Report, keys: OutputKeys, reason: str) -> None:
    """Whole-file rejection: the original bytes go to quarantine, the report says why, and no
    processed copy or rejected rows of an earlier version of the file remain to contradict it."""
    report.reject(reason)
    report.read = report.written = report.rejected = 0
    report.columns = []  # the row errors found before the rejection stay: they may be why
    bucket = report.outputs["bucket"]
    for stale in (keys.processed, keys.rejected_rows):
        store.delete(bucket, stale)
    store.copy(report.source, bucket, keys.quarantine)
    report.outputs.update(processed=None, rejected_rows=None, quarantine=keys.quarantine)
