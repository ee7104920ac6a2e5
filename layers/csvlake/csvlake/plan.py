"""Between the passes: each column's type, output name and rules, once the contract is applied."""

from __future__ import annotations

from dataclasses import dataclass

from . import types
from .errors import Rejected
from .first_pass import Inspection
from .names import output_names
from .validate import ColumnRules, Validation


@dataclass
class Plan:
    """What the second pass does with each source column, the contract applied."""

    formats: list[types.Format | None]
    checked: list[bool]  # the contract declares a type: each value is checked against it
    written: list[int]  # the source columns in the processed copy
    names: list[str]  # and their output names
    validation: Validation | None
    # Per source column, the type a few values keep from it (None where the contract states its type).
    evidence: list[types.TypeEvidence | None]


def plan(inspection: Inspection, validation: Validation | None, warnings: list[str]) -> Plan:
    """Each column's type, output name and rules. Raises Rejected when the file's columns break the
    contract (a required column missing, an extra one where `columns: strict`), or when lines that
    hold data gave no row (Lines.unread)."""
    if reason := inspection.lines.unread(inspection.rows, inspection.structure.header_rows):
        raise Rejected(reason)
    sources = inspection.source_names
    if validation is None:
        evidence = [e.near_miss() for e in inspection.evidence]
        written = _with_name_or_value(inspection, warnings)
        names, renamed = output_names([sources[i] for i in written])
        warnings.extend(renamed)
        _warn(evidence, sources, written, warnings)
        return Plan(inspection.formats, [False] * len(sources), written, names, None, evidence)
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
    checked = [spec is not None and spec.type not in (None, "string") for spec in specs]
    formats = [
        types.declared(spec.type, evidence, spec.format) if spec and spec.type else evidence.result()
        for spec, evidence in zip(specs, inspection.evidence)
    ]
    renames = {k: specs[i].rename for k, i in enumerate(written) if specs[i] and specs[i].rename}
    names, renamed = output_names([sources[i] for i in written], renames)
    warnings.extend(renamed)
    evidence = [None if spec and spec.type else e.near_miss() for spec, e in zip(specs, inspection.evidence)]
    _warn(evidence, sources, written, warnings)
    validation.set_columns(
        [ColumnRules(spec, fmt, check) if spec else None for spec, fmt, check in zip(specs, formats, checked)]
    )
    return Plan(formats, checked, written, names, validation, evidence)


def _with_name_or_value(inspection: Inspection, warnings: list[str]) -> list[int]:
    """The columns worth a place in the copy: a column with neither a name nor a single value is the
    trail of delimiters some exports end every line with (`a;b;;;`), and holds nothing to lose."""
    pairs = enumerate(zip(inspection.source_names, inspection.evidence))
    empty = [i for i, (name, evidence) in pairs if not name.strip() and not evidence.seen_values]
    if empty:
        listed = ", ".join(str(i + 1) for i in empty)
        warnings.append(f"column(s) {listed}: no name and no value in any row; left out of the copy")
    return [i for i in range(len(inspection.source_names)) if i not in empty]


def _warn(
    evidence: list[types.TypeEvidence | None], sources: list[str], written: list[int], warnings: list[str]
) -> None:
    """A warning per written column that a few values keep from a type: they are easily missed."""
    warnings.extend(f"column {sources[i]!r}: {evidence[i]}" for i in written if evidence[i])


def check_rows(rows: int, validation: Validation | None, warnings: list[str]) -> None:
    """The contract's min_rows and max_rows, on the records read (accepted or not)."""
    if validation is None:
        return
    low, high = validation.contract.file_rule("min_rows"), validation.contract.file_rule("max_rows")
    if low is not None and rows < low.value:
        validation.failed(None, "min_rows", f"{rows} rows, fewer than {low.value}", warnings)
    if high is not None and rows > high.value:
        validation.failed(None, "max_rows", f"{rows} rows, more than {high.value}", warnings)
