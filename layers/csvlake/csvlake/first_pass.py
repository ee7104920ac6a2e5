"""Pass 1: the dialect, and each column's type from all of its values, the parsed chunks kept on disk.

What needs the whole file is settled here, so that pass 2 can convert and write each chunk as it
comes (docs/adr/0002-two-pass-streaming.md); the chunks it parsed are spilled for pass 2 to read
instead of the object, when the disk has room (docs/adr/0008-parse-once-spill-to-tmp.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import types
from .chunks import chunks, sampled
from .config import Config
from .contract import Contract
from .deadline import Deadline
from .dialect import Dialect, Utf8Evidence, detect
from .lines import Lines
from .pool import WORKERS
from .ports import ObjectRef, ObjectStore
from .spill import Spill
from .structure import Structure


@dataclass
class Inspection:
    dialect: Dialect
    structure: Structure
    lines: Lines
    source_names: list[str]
    evidence: list[types.TypeInference]  # what every column's values fit
    extra_fields: int
    rows: int  # records read, accepted or malformed
    # The parsed chunks, for pass 2 to read instead of the object (None or incomplete: read it again).
    spill: Spill | None = None

    @property
    def warnings(self) -> list[str]:
        """What detection decided without certainty, and which lines it left out."""
        found = [self.dialect.assumption, *self.structure.notes, *self.lines.notes()]
        return [warning for warning in found if warning]

    @property
    def formats(self) -> list[types.Format | None]:
        return [evidence.result() for evidence in self.evidence]


@dataclass(frozen=True)
class Prepared:
    """What pass 1 found out about a chunk's column, kept for pass 2 so it is not worked out twice:
    which distinct texts are null tokens, and the format the column had after this chunk with the
    texts converted by it (None for text, or when the check did not need to convert them)."""

    is_null: pa.Array
    format: types.Format | None
    values: pa.Array | None


def _prepared(
    column: pa.DictionaryArray, evidence: types.TypeInference, lines: np.ndarray, null_values: tuple[str, ...]
) -> Prepared:
    is_null = types.null_tokens(column.dictionary, null_values)
    # A type is a property of the set of values: checking each distinct value once suffices. The
    # rows (indices, lines) only count and place the few values that keep a column from a type.
    converted = evidence.update(types.nulls_applied(column.dictionary, is_null), column.indices, lines)
    fmt = evidence.result()
    return Prepared(is_null, fmt, converted.get(fmt))


def inspect(
    store: ObjectStore,
    ref: ObjectRef,
    config: Config,
    contract: Contract | None = None,
    deadline: Deadline | None = None,
    overrides: dict | None = None,
) -> tuple[Inspection, ObjectRef]:
    """The dialect (the contract's overrides aside), and every column's type from all of its values;
    with the ref completed with the version read."""
    overrides = {**(dict(contract.dialect) if contract else {}), **(overrides or {})}
    sample, complete, pieces, ref = sampled(store, ref, config)
    dialect, structure = detect(sample, complete, overrides)
    source_names = structure.names
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
    lines = Lines()
    try:
        for chunk in chunks(pieces, dialect, structure, config, deadline, lines):
            rows += chunk.rows + len(chunk.bad_rows)
            ncols = len(inference)
            prepared = list(
                WORKERS.map(_prepared, chunk.columns, inference, [chunk.lines] * ncols, [dialect.null_values] * ncols)
            )
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
    return Inspection(dialect, structure, lines, source_names, inference, extra, rows, spill), ref
