"""A contract's rules applied to chunks of rows: every failure of every row is collected (lazy
validation), rows failing an `error` rule are set aside, and uniqueness holds across the whole file.

Value rules are evaluated on each column's distinct values (the dictionary of the chunk), then
mapped to rows; `unique` and `primary_key` keep 64-bit hashes of the keys seen so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import types
from .contract import Contract, ContractError, FieldSpec, Rule
from .dialect import Rejected
from .report import RowError, shown
from .summary import _hash64, _mix


class SeenKeys:
    """The 64-bit hashes of keys seen so far with the line of each, as sorted runs merged like a
    binary counter (O(n log n) over a file, 16 bytes per distinct key)."""

    def __init__(self) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []

    def first_lines(self, hashes: np.ndarray, lines: np.ndarray) -> np.ndarray:
        """For each key, the line where it was seen first if it was seen before (else 0)."""
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        repeat = np.r_[False, ordered[1:] == ordered[:-1]]
        group_start = np.maximum.accumulate(np.where(repeat, 0, np.arange(len(ordered))))
        first = np.zeros(len(hashes), np.int64)
        first[order[repeat]] = lines[order[group_start[repeat]]]
        for run_hashes, run_lines in self._runs:
            at = np.minimum(np.searchsorted(run_hashes, hashes), len(run_hashes) - 1)
            hit = run_hashes[at] == hashes
            first[hit] = run_lines[at[hit]]
        new = order[~repeat]
        new = new[first[new] == 0]
        run = (hashes[new], lines[new])  # already sorted: `order` sorts the hashes
        while self._runs and len(self._runs[-1][0]) <= len(run[0]):
            older = self._runs.pop()
            merged = np.concatenate([older[0], run[0]])
            by_hash = np.argsort(merged, kind="stable")
            run = (merged[by_hash], np.concatenate([older[1], run[1]])[by_hash])
        if len(run[0]):
            self._runs.append(run)
        return first


def _typed_value(rule: Rule, arrow_type: pa.DataType, kind: str, contract: Contract, column: str) -> pa.Scalar:
    """A bound of the contract as a value of the column's type."""
    try:
        if isinstance(rule.value, bool) or pa.types.is_string(arrow_type) or pa.types.is_boolean(arrow_type):
            raise ValueError
        return pa.scalar(rule.value).cast(arrow_type)
    except (ValueError, TypeError, pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise ContractError(
            f"{contract.key} line {rule.line}: {rule.name} {rule.value!r} is not a value of type "
            f"{kind} (column {column!r}); dates are written 2024-01-31"
        ) from None


class ColumnRules:
    """One contract field's row rules, prepared for the column's type."""

    def __init__(self, spec: FieldSpec, fmt: types.Format | None, contract: Contract, declared: bool) -> None:
        self.spec = spec
        arrow_type, kind = types.arrow_type(fmt), types.kind(fmt)
        self.rules: list[Rule] = []
        if declared:
            self.rules.append(Rule("type", spec.type, "error", spec.line))
        self.rules.extend(spec.rules)
        self.bounds: dict[str, pa.Scalar] = {}
        for rule in spec.rules:
            if rule.name in ("minimum", "maximum"):
                self.bounds[rule.name] = _typed_value(rule, arrow_type, kind, contract, spec.name)
            elif rule.name == "enum":
                try:
                    values = [str(v) for v in rule.value] if pa.types.is_string(arrow_type) else rule.value
                    self.enum = pa.array(values).cast(arrow_type)
                except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                    raise ContractError(
                        f"{contract.key} line {rule.line}: enum values are not all of type {kind} (column {spec.name!r})"
                    ) from None
        self.seen = SeenKeys() if any(r.name == "unique" for r in spec.rules) else None

    def _failing(self, rule: Rule, text: pa.Array, typed: pa.Array, unparsed: pa.Array) -> pa.Array:
        """Which distinct values fail `rule` (a boolean per value of the dictionary)."""
        present = typed.is_valid()
        if rule.name == "type":
            return unparsed
        if rule.name == "nullable":
            return text.is_null()
        if rule.name == "minimum":
            return pc.less(typed, self.bounds["minimum"])
        if rule.name == "maximum":
            return pc.greater(typed, self.bounds["maximum"])
        if rule.name == "min_length":
            return pc.less(pc.utf8_length(text), rule.value)
        if rule.name == "max_length":
            return pc.greater(pc.utf8_length(text), rule.value)
        if rule.name == "pattern":
            return pc.and_(present, pc.invert(pc.match_substring_regex(text, f"^(?:{rule.value})$")))
        if rule.name == "enum":
            return pc.and_(present, pc.invert(pc.is_in(typed, value_set=self.enum)))
        raise AssertionError(rule.name)

    def _message(self, rule: Rule, value: str | None, first_line: int = 0) -> str:
        spec = self.spec
        return {
            "type": lambda: f"{value!r} is not a valid {spec.type}" + (f" ({spec.format})" if spec.format else ""),
            "nullable": lambda: "is empty, and the column may not be",
            "unique": lambda: f"{value!r} already appears at line {first_line}",
            "minimum": lambda: f"{value} is less than the minimum {rule.value}",
            "maximum": lambda: f"{value} is greater than the maximum {rule.value}",
            "min_length": lambda: f"{value!r} is shorter than {rule.value} characters",
            "max_length": lambda: f"{value!r} is longer than {rule.value} characters",
            "pattern": lambda: f"{value!r} does not match the pattern {rule.value}",
            "enum": lambda: f"{value!r} is not one of {', '.join(map(str, rule.value))}",
        }[rule.name]()

    def check(self, text: pa.Array, column: pa.DictionaryArray, unparsed: pa.Array, lines: np.ndarray):
        """(rule, row positions, messages) for each rule some row of the chunk fails."""
        indices = column.indices.to_numpy(zero_copy_only=False)
        found = []
        for rule in self.rules:
            if rule.name == "unique":
                rows, first = self._repeats(column, unparsed, indices, lines)
                values = [text[int(indices[r])].as_py() for r in rows]
                found.append((rule, rows, [self._message(rule, shown(v), f) for v, f in zip(values, first)]))
                continue
            failing = pc.fill_null(self._failing(rule, text, column.dictionary, unparsed), False)
            failing = failing.to_numpy(zero_copy_only=False)
            if not failing.any():
                continue
            rows = np.flatnonzero(failing[indices])
            messages = {int(i): self._message(rule, shown(text[int(i)].as_py())) for i in np.flatnonzero(failing)}
            found.append((rule, rows, [messages[int(indices[r])] for r in rows]))
        return found

    def _repeats(self, column: pa.DictionaryArray, unparsed: pa.Array | None, indices: np.ndarray, lines: np.ndarray):
        """Rows whose (parsed, present) value appeared on an earlier row of the file, and that row's line."""
        keyed = column.dictionary.is_valid()
        if unparsed is not None:  # a value that does not parse has no key to compare
            keyed = pc.and_(keyed, pc.invert(pc.fill_null(unparsed, False)))
        keyed = keyed.to_numpy(zero_copy_only=False)[indices]
        rows = np.flatnonzero(keyed)
        hashes = _hash64(column.dictionary)[indices[rows]]
        assert self.seen is not None
        first = self.seen.first_lines(hashes, lines[rows])
        return rows[first > 0], first[first > 0]


@dataclass
class RuleCount:
    column: str | None
    rule: str
    severity: str
    line: int
    failures: int = 0

    def as_report(self) -> dict:
        return {
            "column": self.column,
            "rule": self.rule,
            "severity": self.severity,
            "contract_line": self.line,
            "failures": self.failures,
        }


@dataclass
class Validation:
    """The contract's row rules and primary key over the columns of one file, chunk after chunk."""

    contract: Contract
    names: list[str]  # source names, in file order
    columns: list[ColumnRules | None]
    counts: list[RuleCount] = field(default_factory=list)
    key_seen: SeenKeys = field(default_factory=SeenKeys)

    def __post_init__(self) -> None:
        for name, rules in zip(self.names, self.columns):
            for rule in rules.rules if rules else ():
                self.counts.append(RuleCount(name, rule.name, rule.severity, rule.line))
        for rule in self.contract.file_rules:
            self.counts.append(RuleCount(None, rule.name, rule.severity, rule.line))

    def count(self, column: str | None, rule: str, n: int = 1) -> None:
        next(c for c in self.counts if c.column == column and c.rule == rule).failures += n

    def check(
        self, texts: list[pa.Array], typed: list[pa.DictionaryArray], unparsed: list[pa.Array], lines: np.ndarray
    ) -> tuple[list[RowError], np.ndarray]:
        """The chunk's failures in line order, and which of its rows an `error` rule rejects."""
        failures: list[RowError] = []
        rejected = np.zeros(len(lines), bool)
        for name, rules, text, column, bad in zip(self.names, self.columns, texts, typed, unparsed):
            if rules is None:
                continue
            for rule, rows, messages in rules.check(text, column, bad, lines):
                self.count(name, rule.name, len(rows))
                if rule.severity == "error":
                    rejected[rows] = True
                indices = column.indices.to_numpy(zero_copy_only=False)
                failures.extend(
                    RowError(int(lines[r]), name, rule.name, rule.severity, shown(text[int(indices[r])].as_py()), m)
                    for r, m in zip(rows.tolist(), messages)
                )
        order = {name: i for i, name in enumerate(self.names)}
        failures.sort(key=lambda f: (f.line, order[f.column]))
        return failures, rejected

    def check_key(self, typed: list[pa.DictionaryArray], lines: np.ndarray) -> str | None:
        """Primary key of the rows kept: the first problem as a message (None if there is none)."""
        rule = self.contract.file_rule("primary_key")
        if rule is None or not len(lines):
            return None
        if missing := [name for name in rule.value if name not in self.names]:
            return f"primary key column {missing[0]!r} is missing"
        positions = [self.names.index(name) for name in rule.value]
        combined = np.zeros(len(lines), np.uint64)
        for position in positions:
            column = typed[position]
            empty = column.is_null().to_numpy(zero_copy_only=False)
            if empty.any():
                row = int(np.flatnonzero(empty)[0])
                return f"primary key column {self.names[position]!r} is empty at line {lines[row]}"
            hashed = _hash64(column.dictionary)[column.indices.to_numpy(zero_copy_only=False)]
            with np.errstate(over="ignore"):
                combined = _mix(combined * np.uint64(0x9E3779B97F4A7C15) ^ hashed)
        first = self.key_seen.first_lines(combined, lines)
        if first.any():
            row = int(np.flatnonzero(first)[0])
            return f"primary key ({', '.join(rule.value)}) at line {lines[row]} repeats line {first[row]}"
        return None

    def file_rule_failed(self, name: str, message: str, warnings: list[str]) -> None:
        """A file rule failed: the whole file is rejected, or (severity warn) a warning is kept."""
        rule = self.contract.file_rule(name)
        assert rule is not None
        self.count(None, name)
        text = f"{message} ({name}, {self.contract.key} line {rule.line})"
        if rule.severity == "error":
            raise Rejected(f"contract: {text}")
        if f"contract warning: {text}" not in warnings:  # a rule checked chunk by chunk warns once
            warnings.append(f"contract warning: {text}")

    def as_report(self) -> dict:
        return {"contract": self.contract.as_report(), "rules": [c.as_report() for c in self.counts]}
