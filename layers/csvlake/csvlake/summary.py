"""Per-column statistics kept as state that merges across chunks, so no file is held whole."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrowtext import hash64

# Distinct counts are exact below this many values, then estimated from the K smallest 64-bit hashes
# (a KMV sketch: relative standard error about 1/sqrt(K - 2), ~1.1%).
DISTINCT_K = 8192
# Value counts kept per chunk and across the file for `top`, once a column has more distinct values
# than it counts exactly (top_limit).
TOP_KEEP = 1000
# `top` counts every value exactly while the file's columns have at most this many distinct values
# between them, shared evenly: 10,000 per column in a file of 10 columns, and never fewer than TOP_KEEP.
TOP_EXACT_VALUES = 100_000
# Quantiles come from the values of the QUANTILE_SAMPLE rows whose hashed row numbers are smallest:
# a uniform sample that merges across chunks and is the same on every run (exact up to that many
# rows; beyond, a rank error of about 1/sqrt(QUANTILE_SAMPLE) = 1%).
QUANTILE_SAMPLE = 10_000
TOP_REPORTED = 5
TEXT_LIMIT = 200


def top_limit(columns: int) -> int:
    """How many distinct values a column's `top` counts exactly, in a file of `columns` columns."""
    return max(TOP_KEEP, TOP_EXACT_VALUES // max(1, columns))


def json_value(value: Any) -> Any:
    """A statistic as JSON: numbers stay numbers, dates become ISO-8601, long text is cut."""
    if isinstance(value, dt.datetime):
        text = value.isoformat()
        return text.replace("+00:00", "Z") if value.tzinfo else text
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str) and len(value) > TEXT_LIMIT:
        return value[:TEXT_LIMIT] + "…"
    return value


def _rounded(value: float) -> float | None:
    """12 significant digits: merged moments differ in the last bits with the chunking, not before."""
    return json_value(float(f"{value:.12g}"))


@dataclass
class ColumnSummary:
    kind: str
    count: int = 0
    nulls: int = 0
    min: Any = None
    max: Any = None
    mean: float = 0.0
    m2: float = 0.0
    hashes: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))
    distinct_exact: bool = True
    # The values `top` counts, each once, in the order they were first counted (as a dict would keep
    # them), and their counts: arrays, so that merging a chunk is a few Arrow calls, not a loop.
    top_values: pa.Array | None = None
    top_counts: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    top_exact: bool = True
    # How far below its true count a count in `top` may be, per way its value is written: the sum of
    # the largest count left out at each cut, since an entry left out at a cut loses at most that much
    # (0 while nothing was cut).
    top_undercount: int = 0
    top_limit: int = TOP_KEEP
    sample_keys: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))
    sample_values: np.ndarray = field(default_factory=lambda: np.empty(0, np.float64))
    sampled_all: bool = True

    def update(self, values: pa.Array, counts: np.ndarray, nulls: int) -> None:
        """Merge a chunk given as non-null values, how often each occurs, and its number of nulls.

        A value may appear more than once (`1.0` and `1` are different texts of one number): every
        statistic merges equal values, so no deduplication is needed here.
        """
        self.nulls += nulls
        n = int(counts.sum())
        if n == 0:
            return
        extremes = pc.min_max(values).as_py()
        self.min = extremes["min"] if self.min is None else min(self.min, extremes["min"])
        self.max = extremes["max"] if self.max is None else max(self.max, extremes["max"])
        if self.kind in ("integer", "number"):
            numbers = values.to_numpy(zero_copy_only=False).astype(np.float64)
            weights = counts.astype(np.float64)
            with np.errstate(over="ignore", invalid="ignore"):  # beyond float64: reported as null
                # Not np.dot: OpenBLAS's threads spin while idle and make the last bits depend on the
                # core count; numpy's pairwise sum is the same on every machine (docs/adr/0009).
                mean = float(np.add.reduce(weights * numbers) / n)
                self._merge_moments(n, mean, float(np.add.reduce(weights * (numbers - mean) ** 2)))
        self.count += n
        self._merge_distinct(values)
        self._merge_top(values, counts)

    def sample_rows(self, keys: np.ndarray, numbers: np.ndarray, indices: np.ndarray) -> None:
        """Offer a chunk's rows to the quantile sample: row i has the key `keys[i]` (its hashed row
        number in the file) and the number `numbers[indices[i]]` (NaN for a null)."""
        if not self.sampled_all:
            # The sample is full: only a row whose key is below the largest kept can enter it.
            rows = np.flatnonzero(keys < self.sample_keys.max())
            keys, indices = keys[rows], indices[rows]
        values = numbers[indices]
        keep = ~np.isnan(values)
        keys = np.concatenate([self.sample_keys, keys[keep]])
        values = np.concatenate([self.sample_values, values[keep]])
        if len(keys) > QUANTILE_SAMPLE:
            self.sampled_all = False
            smallest = np.argpartition(keys, QUANTILE_SAMPLE)[:QUANTILE_SAMPLE]
            keys, values = keys[smallest], values[smallest]
        self.sample_keys, self.sample_values = keys, values

    def _merge_moments(self, n: int, mean: float, m2: float) -> None:
        # Chan et al.'s parallel update: exact merge of count, mean and sum of squared deviations.
        total = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.count * n / total

    def _merge_distinct(self, values: pa.Array) -> None:
        hashed = hash64(values)  # distinct texts already: rarely a repeat, and np.unique below removes it
        if len(hashed) > DISTINCT_K:
            hashed = np.partition(hashed, DISTINCT_K)[:DISTINCT_K]  # the K smallest, in linear time
            self.distinct_exact = False
        if len(self.hashes) == DISTINCT_K:
            # The sketch is full: a hash above the largest kept is a new value that would not be kept,
            # so only the smaller ones need merging (most of them, once a large column has filled it).
            largest = self.hashes[-1]
            if (hashed > largest).any():
                self.distinct_exact = False
            hashed = hashed[hashed < largest]
            if not len(hashed):
                return
        # Sorted and distinct, as np.unique gives, with less work: the kept hashes are one sorted run
        # already, so a stable sort (timsort) merges two runs in linear time (docs/adr/0009).
        merged = np.concatenate([self.hashes, np.sort(hashed)])
        merged.sort(kind="stable")
        if len(merged):
            merged = merged[np.concatenate(([True], merged[1:] != merged[:-1]))]
        if len(merged) > DISTINCT_K:
            self.distinct_exact = False
        self.hashes = merged[:DISTINCT_K]

    def _merge_top(self, values: pa.Array, counts: np.ndarray) -> None:
        # A chunk's values come one per text, so a value written in several ways (1 and +1) has an entry
        # for each, and a cut can take each of them: it then loses up to that many times the cut's
        # largest. Grouping them first would make the bound hold per value, at a cost in CPU that the
        # report's bound per way of writing avoids (docs/adr/0013).
        if len(values) > self._top_room:
            self.top_exact = False
            order = np.argpartition(-counts, TOP_KEEP)
            self.top_undercount += int(counts[order[TOP_KEEP]])  # the largest left out: no larger one follows it
            keep = order[:TOP_KEEP]
            values, counts = values.take(pa.array(keep)), counts[keep]
        if self.top_values is not None:
            values = pa.concat_arrays([self.top_values, values])
            counts = np.concatenate([self.top_counts, counts])
        # Equal values merge (+ 0.0: -0.0 is 0.0); each stays where it first appears, written as it was
        # first seen, as a dict keeps the first key it got.
        keys = pc.add(values, 0.0) if pa.types.is_floating(values.type) else values
        groups = pc.dictionary_encode(keys).indices.to_numpy()  # numbered in the order first seen
        # Where each group first appears: where the highest number so far goes up.
        first = np.flatnonzero(np.diff(np.maximum.accumulate(groups), prepend=-1) > 0)
        self.top_values = values.take(pa.array(first))
        self.top_counts = np.bincount(groups, weights=counts, minlength=len(first)).astype(np.int64)
        if len(self.top_values) > self._top_room:
            self.top_exact = False
            # Highest counts first; ties keep their order (a stable sort).
            ranked = np.argsort(-self.top_counts, kind="stable")
            self.top_undercount += int(self.top_counts[ranked[TOP_KEEP]])
            keep = ranked[:TOP_KEEP]
            self.top_values, self.top_counts = self.top_values.take(pa.array(keep)), self.top_counts[keep]

    @property
    def top(self) -> dict[Any, int]:
        """Each value `top` counts, and its count."""
        if self.top_values is None:
            return {}
        return dict(zip(self.top_values.to_pylist(), self.top_counts.tolist()))

    @property
    def _top_room(self) -> int:
        """Values `top` may hold: every one while it is exact, TOP_KEEP once it has been cut."""
        return self.top_limit if self.top_exact else TOP_KEEP

    @property
    def distinct(self) -> int:
        if self.distinct_exact:
            return len(self.hashes)
        return round((DISTINCT_K - 1) / (float(self.hashes[-1]) / 2.0**64))

    def as_report(self) -> dict[str, Any]:
        numeric = self.kind in ("integer", "number") and self.count > 0
        top = sorted(self.top.items(), key=lambda kv: (-kv[1], str(kv[0])))[:TOP_REPORTED]
        return {
            "type": self.kind,
            "count": self.count,
            "nulls": self.nulls,
            "distinct": self.distinct,
            "distinct_exact": self.distinct_exact,
            "min": json_value(self.min),
            "max": json_value(self.max),
            "mean": _rounded(self.mean) if numeric else None,
            "std": _rounded(math.sqrt(self.m2 / (self.count - 1))) if numeric and self.count > 1 else None,
            "top": [{"value": json_value(v), "count": c} for v, c in top],
            "top_exact": self.top_exact,
            "top_undercount": self.top_undercount,
            **self._quantiles(numeric),
        }

    def _quantiles(self, numeric: bool) -> dict[str, Any]:
        if not numeric or not len(self.sample_values):
            return {"p25": None, "p50": None, "p75": None, "quantiles_exact": True}
        with np.errstate(over="ignore", invalid="ignore"):
            p25, p50, p75 = np.quantile(self.sample_values, [0.25, 0.5, 0.75])
        return {"p25": _rounded(p25), "p50": _rounded(p50), "p75": _rounded(p75), "quantiles_exact": self.sampled_all}
