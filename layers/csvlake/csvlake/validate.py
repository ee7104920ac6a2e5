"""A contract's rules applied to chunks of rows: every failure of every row is collected (lazy
validation), rows failing an `error` rule are set aside, and uniqueness holds across the whole file.

What each row rule checks and says is its entry in contract.ROW_RULES. Value rules are evaluated on
each column's distinct values (the dictionary of the chunk), then mapped to rows; `unique` and
`primary_key` keep 64-bit hashes of the keys seen so far.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import types
from .arrowtext import hash64, mix
from .contract import ROW_RULES, Contract, FieldSpec, RowRule, Rule, Values
from .errors import Rejected
from .report import RowError, shown


def _keys(values: pa.Array) -> np.ndarray:
    """64-bit hashes of typed values; a null's slot holds 0. The nulls are left out before hashing:
    an integer array with nulls would be read as floats and hash unlike the same integers without."""
    hashes = np.zeros(len(values), np.uint64)
    present = values.is_valid().to_numpy(zero_copy_only=False)
    if present.any():
        hashes[present] = hash64(values.filter(pa.array(present)))
    return hashes


class SeenKeys:
    """The 64-bit hashes of keys seen so far with the line of each, as sorted runs merged like a
    binary counter (O(n log n) over a file, 16 bytes per distinct key)."""

    def __init__(self) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []

    def first_lines(self, hashes: np.ndarray, lines: np.ndarray) -> np.ndarray:
        """For each key, the line where it was seen first if it was seen before (else 0)."""
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        repeat = np.zeros(len(ordered), bool)
        repeat[1:] = ordered[1:] == ordered[:-1]
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


@dataclass(frozen=True)
class _Check:
    """A row rule made ready for one column: what it means, and its value as the check takes it
    and as the messages write it."""

    rule: Rule
    meaning: RowRule
    operand: Any
    expected: Any

    @classmethod
    def of(cls, rule: Rule, spec: FieldSpec, arrow_type: pa.DataType) -> _Check:
        meaning = ROW_RULES[rule.name]
        operand = meaning.operand(rule.value, spec.type, arrow_type)
        return cls(rule, meaning, operand, meaning.expected(rule.value, spec))

    def message(self, value: str | None, first_line: int = 0) -> str:
        return self.meaning.message.format(value=value, expected=self.expected, first_line=first_line)


class ColumnRules:
    """One contract field's row rules, prepared for the column's type. `must_parse`: the field's type
    is not text, so a value that does not parse as it fails rule `type`."""

    def __init__(self, spec: FieldSpec, fmt: types.Format | None, must_parse: bool) -> None:
        self.spec = spec
        # A typed value is read trimmed, so its text rules see it trimmed; a string is kept as written.
        self.trimmed = fmt is not None
        arrow_type = types.arrow_type(fmt) if spec.type else pa.string()
        self.rules: list[Rule] = [Rule("type", spec.type, "error", spec.line)] if must_parse else []
        self.rules.extend(spec.rules)
        self._checks = [_Check.of(rule, spec, arrow_type) for rule in self.rules]
        self.seen = SeenKeys() if any(c.meaning.failing is None for c in self._checks) else None

    def check(self, text: pa.Array, column: pa.DictionaryArray, unparsed: pa.Array | None, lines: np.ndarray):
        """(rule, row positions, messages) for each rule some row of the chunk fails."""
        indices = column.indices.to_numpy(zero_copy_only=False)
        text = types.trimmed(text) if self.trimmed else text
        values = Values(text, column.dictionary, column.dictionary if self.spec.type else text, unparsed)
        failures = []
        for check in self._checks:
            if check.meaning.failing is None:  # unique: each row against the rows before it
                rows, first = self._repeats(column, unparsed, indices, lines)
                shown_values = [shown(text[int(indices[r])].as_py()) for r in rows]
                failures.append((check.rule, rows, [check.message(v, f) for v, f in zip(shown_values, first)]))
                continue
            failing = pc.fill_null(check.meaning.failing(values, check.operand), False)
            if unparsed is not None and not check.meaning.sees_unparsed:
                failing = pc.and_(failing, pc.invert(unparsed))  # its type failure says it all
            failing = failing.to_numpy(zero_copy_only=False)
            if not failing.any():
                continue
            rows = np.flatnonzero(failing[indices])
            messages = {int(i): check.message(shown(text[int(i)].as_py())) for i in np.flatnonzero(failing)}
            failures.append((check.rule, rows, [messages[int(indices[r])] for r in rows]))
        return failures

    def _repeats(self, column: pa.DictionaryArray, unparsed: pa.Array | None, indices: np.ndarray, lines: np.ndarray):
        """Rows whose (parsed, present) value appeared on an earlier row of the file, and that row's line."""
        keyed = column.dictionary.is_valid()
        if unparsed is not None:  # a value that does not parse has no key to compare
            keyed = pc.and_(keyed, pc.invert(pc.fill_null(unparsed, False)))
        keyed = keyed.to_numpy(zero_copy_only=False)[indices]
        rows = np.flatnonzero(keyed)
        hashes = _keys(column.dictionary)[indices[rows]]
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


class Validation:
    """A contract's rules over one file: the file's shape and size, then its rows chunk by chunk."""

    def __init__(self, contract: Contract, names: list[str]) -> None:
        self.contract = contract
        self.names = names  # source names, in file order
        self.column_rules: list[ColumnRules | None] = [None] * len(names)
        self.key_seen = SeenKeys()
        self._column_counts: list[RuleCount] = []
        # Rules about the whole file, counted even when a file is rejected before its rows are read.
        self._file_counts = [
            RuleCount(spec.name, "required", spec.required.severity, spec.required.line)
            for spec in contract.fields
            if spec.required
        ]
        if contract.columns == "strict":
            self._file_counts.append(RuleCount(None, "columns", "error", dict(contract.lines).get("columns", 1)))
        self._file_counts += [RuleCount(None, r.name, r.severity, r.line) for r in contract.file_rules]
        self._warned: set[tuple[str | None, str]] = set()

    def set_columns(self, column_rules: list[ColumnRules | None]) -> None:
        self.column_rules = column_rules
        self._column_counts = [
            RuleCount(name, rule.name, rule.severity, rule.line)
            for name, rules in zip(self.names, column_rules)
            for rule in (rules.rules if rules else ())
        ]

    def _count(self, column: str | None, rule: str, n: int) -> RuleCount:
        count = next(c for c in self._column_counts + self._file_counts if c.column == column and c.rule == rule)
        count.failures += n
        return count

    def check(
        self,
        texts: list[pa.Array],
        parsed: list[pa.DictionaryArray],
        unparsed: list[pa.Array | None],
        lines: np.ndarray,
    ) -> tuple[list[RowError], np.ndarray]:
        """The chunk's failures in line order, and which of its rows an `error` rule rejects."""
        failures: list[RowError] = []
        rejected = np.zeros(len(lines), bool)
        for name, rules, text, column, not_parsed in zip(self.names, self.column_rules, texts, parsed, unparsed):
            if rules is None:
                continue
            indices = column.indices.to_numpy(zero_copy_only=False)
            for rule, rows, messages in rules.check(text, column, not_parsed, lines):
                self._count(name, rule.name, len(rows))
                if rule.severity == "error":
                    rejected[rows] = True
                failures.extend(
                    RowError(int(lines[r]), name, rule.name, rule.severity, shown(text[int(indices[r])].as_py()), m)
                    for r, m in zip(rows.tolist(), messages)
                )
        order = {name: i for i, name in enumerate(self.names)}
        failures.sort(key=lambda f: (f.line, order[f.column]))
        return failures, rejected

    def check_key(self, parsed: list[pa.DictionaryArray], lines: np.ndarray, warnings: list[str]) -> None:
        """The primary key over the rows kept: every key present, and none repeated in the file."""
        rule = self.contract.file_rule("primary_key")
        if rule is None or not len(lines):
            return
        if missing := [name for name in rule.value if name not in self.names]:
            self.failed(None, "primary_key", f"primary key column {missing[0]!r} is missing", warnings)
            return
        combined = np.zeros(len(lines), np.uint64)
        empty = np.zeros(len(lines), bool)
        for name in rule.value:
            column = parsed[self.names.index(name)]
            empty |= column.is_null().to_numpy(zero_copy_only=False)
            hashed = _keys(column.dictionary)[column.indices.to_numpy(zero_copy_only=False)]
            with np.errstate(over="ignore"):
                combined = mix(combined * np.uint64(0x9E3779B97F4A7C15) ^ hashed)
        first = self.key_seen.first_lines(combined[~empty], lines[~empty])
        problems = []
        if empty.any():
            problems.append(f"primary key ({', '.join(rule.value)}) is empty at line {lines[empty][0]}")
        if first.any():
            row = int(np.flatnonzero(first)[0])
            problems.append(
                f"primary key ({', '.join(rule.value)}) at line {lines[~empty][row]} repeats line {first[row]}"
            )
        if problems:
            self.failed(None, "primary_key", problems[0], warnings, int(empty.sum() + (first > 0).sum()))

    def failed(self, column: str | None, rule: str, message: str, warnings: list[str], n: int = 1) -> None:
        """A rule about the whole file failed (`n` times): the file is rejected, or with severity
        warn, a warning is given, once per rule."""
        count = self._count(column, rule, n)
        text = f"{message} ({rule}, {self.contract.key} line {count.line})"
        if count.severity == "error":
            raise Rejected(f"contract: {text}")
        if (column, rule) not in self._warned:
            self._warned.add((column, rule))
            warnings.append(f"contract warning: {text}")

    def as_report(self) -> dict:
        counts = self._column_counts + self._file_counts
        return {"contract": self.contract.as_report(), "rules": [c.as_report() for c in counts]}
