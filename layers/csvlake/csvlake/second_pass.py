"""Pass 2: each chunk converted to its columns' types, checked, summarised and written.

The processed copy and the rejected rows are written as the chunks come; a chunk's work is
`converted_chunk`, which says what goes to each output. The chunks are pass 1's, read back from its
spill, or the object parsed again when there is none.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import types
from .arrowtext import mix
from .chunks import chunks, decompressed, in_time
from .config import Config
from .deadline import Deadline
from .dialect import Dialect
from .first_pass import Inspection, Prepared
from .layout import OutputKeys
from .plan import Plan
from .pool import WORKERS
from .ports import ObjectRef, ObjectStore
from .reader import BadRow, Chunk
from .report import ColumnReport, Errors, RowError
from .summary import ColumnSummary, top_limit
from .writer import Pipelined, ProcessedWriter, RejectedWriter


@dataclass(frozen=True)
class ChunkResult:
    """One chunk after pass 2's work: the processed copy's columns (rows a contract rejected left
    out), the rows to quarantine, and the errors to report."""

    rows: int
    columns: list[pa.DictionaryArray]
    bad_rows: list[BadRow]
    errors: list[RowError]


@dataclass(frozen=True)
class Written:
    """What pass 2 wrote: rows written and rejected, the processed columns' summaries, and whether
    there were rejected rows to write (the processed copy is always written)."""

    rows: int
    rejected: int
    columns: list[ColumnReport]
    rejected_rows: bool


def _convert_column(
    column: pa.DictionaryArray, fmt: types.Format | None, dialect: Dialect, checked: bool, prepared: Prepared | None
) -> tuple[pa.DictionaryArray, pa.Array, pa.Array | None]:
    """The column converted to its type, its texts (nulls applied) and, for a type the contract
    declares, which texts do not parse. All three are per distinct text: far fewer than rows.
    Columns read back from pass 1's spill come with what pass 1 found out about them (`prepared`):
    reused when the column's format is still the one it had then."""
    is_null = prepared.is_null if prepared else types.null_tokens(column.dictionary, dialect.null_values)
    text = types.nulls_applied(column.dictionary, is_null)
    decimal = dialect.decimal
    if prepared is not None and prepared.format == fmt and (fmt is None or prepared.values is not None):
        values = text if fmt is None else prepared.values
        # Every text of the chunk fits this format (it survived the chunk): none fails to parse.
        unparsed = pc.and_(text.is_valid(), values.is_null()) if checked else None
    else:
        # An inferred type fits every value (pass 1 checked them all); a declared one may not.
        values, unparsed = types.parse(text, fmt, decimal) if checked else (types.convert(text, fmt, decimal), None)
    return pa.DictionaryArray.from_arrays(column.indices, values), text, unparsed


def converted_chunk(
    chunk: Chunk, prepared: list[Prepared] | None, plan: Plan, dialect: Dialect, warnings: list[str]
) -> ChunkResult:
    """A chunk's columns converted and, with a contract, checked: rows that break it move to the
    rejected rows, with the malformed records the reader found."""
    ncols = len(chunk.columns)
    converted = list(
        WORKERS.map(
            _convert_column, chunk.columns, plan.formats, [dialect] * ncols, plan.checked, prepared or [None] * ncols
        )
    )
    values = [c[0] for c in converted]
    bad_rows = chunk.bad_rows
    errors = [RowError(row.line, None, "structure", "error", None, row.error) for row in bad_rows]
    validation = plan.validation
    if validation is not None:
        texts, unparsed = [c[1] for c in converted], [c[2] for c in converted]
        failures, failed = validation.check(texts, values, unparsed, chunk.lines)
        errors = sorted(errors + failures, key=lambda e: e.line)
        if failed.any():
            keep = pa.array(~failed)
            values = [column.filter(keep) for column in values]
            bad_rows = sorted(bad_rows + _failed_rows(chunk, failed, failures), key=lambda r: r.line)
        validation.check_key(values, chunk.lines[~failed], warnings)
    return ChunkResult(len(values[0]), [values[i] for i in plan.written], bad_rows, errors)


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


def write(
    store: ObjectStore,
    ref: ObjectRef,
    config: Config,
    inspection: Inspection,
    plan: Plan,
    bucket: str,
    keys: OutputKeys,
    errors: Errors,
    warnings: list[str],
    deadline: Deadline | None,
) -> Written:
    """Convert, validate, summarise and write the processed copy and the rejected rows; the row
    errors go to `errors` as they are found. Raises Rejected when a file rule fails."""
    validation = plan.validation
    summaries = [
        ColumnSummary(types.kind(plan.formats[i]), top_limit=top_limit(len(plan.written))) for i in plan.written
    ]
    arrow_types = [types.arrow_type(plan.formats[i]) for i in plan.written]
    content_type = "text/csv; charset=utf-8" if config.output_format == "csv" else "application/vnd.apache.parquet"
    spill = inspection.spill
    if spill is not None and spill.complete:
        parts = in_time(spill.chunks(), deadline)
    else:
        pieces, _, ref = decompressed(store, ref, config)
        # Parsed again (no spill): nothing of pass 1 to reuse.
        parts = ((chunk, None) for chunk in chunks(pieces, inspection.dialect, inspection.structure, config, deadline))
    written = rejected_count = 0
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
        for chunk, prepared in parts:
            result = converted_chunk(chunk, prepared, plan, inspection.dialect, warnings)
            row_keys = mix(np.arange(written, written + result.rows, dtype=np.int64))
            list(WORKERS.map(_summarised, result.columns, summaries, [row_keys] * len(result.columns)))
            processed.write(result.columns)
            written += result.rows
            if result.bad_rows:
                if rejected is None:
                    stream = outputs.enter_context(store.writer(bucket, keys.rejected_rows, "text/csv; charset=utf-8"))
                    rejected = RejectedWriter(stream, inspection.source_names, inspection.extra_fields)
                rejected.write(result.bad_rows)
                rejected_count += len(result.bad_rows)
            for error in result.errors:
                errors.add(error)
        if spill is not None:
            # Now, not when the outputs close: closing drops its pages, which then overlaps the
            # upload's last parts instead of coming after them.
            spill.close()
        read = written + rejected_count
        limit = validation.contract.file_rule("max_rejected_fraction") if validation else None
        if limit is not None and read and rejected_count / read > limit.value:
            share = f"{rejected_count} of {read} rows rejected ({rejected_count / read:.1%}), above {limit.value:.1%}"
            validation.failed(None, "max_rejected_fraction", share, warnings)
        processed.close()
        if rejected is not None:
            rejected.close()
    if rejected is None:
        store.delete(bucket, keys.rejected_rows)  # an earlier version's bad rows are not this file's
    header = inspection.dialect.header
    columns = [
        ColumnReport(name, inspection.source_names[i] if header else None, summary, plan.evidence[i])
        for name, i, summary in zip(plan.names, plan.written, summaries)
    ]
    return Written(written, rejected_count, columns, rejected is not None)
