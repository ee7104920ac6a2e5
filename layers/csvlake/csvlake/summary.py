"""Per-column statistics kept as state that merges across chunks, so no file is held whole."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Distinct counts are exact below this many values, then estimated from the K smallest 64-bit hashes
# (a KMV sketch: relative standard error about 1/sqrt(K - 2), ~1.1%).
DISTINCT_K = 8192
# Value counts kept per chunk and across the file for `top`; exact while a column has fewer values.
TOP_KEEP = 1000
TOP_REPORTED = 5
TEXT_LIMIT = 200


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
    top: dict[Any, int] = field(default_factory=dict)
    top_exact: bool = True

    def update(self, values: pa.ChunkedArray) -> None:
        present = values.drop_null()
        n = len(present)
        self.nulls += len(values) - n
        if n == 0:
            return
        extremes = pc.min_max(present).as_py()
        self.min = extremes["min"] if self.min is None else min(self.min, extremes["min"])
        self.max = extremes["max"] if self.max is None else max(self.max, extremes["max"])
        if self.kind in ("integer", "number"):
            self._merge_moments(n, pc.mean(present).as_py(), pc.variance(present, ddof=0).as_py() * n)
        self.count += n
        counts = pc.value_counts(present)
        self._merge_distinct(counts.field("values"))
        self._merge_top(counts)

    def _merge_moments(self, n: int, mean: float, m2: float) -> None:
        # Chan et al.'s parallel update: exact merge of count, mean and sum of squared deviations.
        total = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.count * n / total

    def _merge_distinct(self, uniques: pa.Array) -> None:
        hashed = pd.util.hash_pandas_object(uniques.to_pandas(), index=False).to_numpy(np.uint64)
        merged = np.union1d(self.hashes, hashed)
        if len(merged) > DISTINCT_K:
            merged = merged[:DISTINCT_K]
            self.distinct_exact = False
        self.hashes = merged

    def _merge_top(self, counts: pa.StructArray) -> None:
        if len(counts) > TOP_KEEP:
            self.top_exact = False
            counts = counts.take(pc.array_sort_indices(counts.field("counts"), order="descending")[:TOP_KEEP])
        for value, count in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist()):
            self.top[value] = self.top.get(value, 0) + count
        if len(self.top) > TOP_KEEP:
            self.top_exact = False
            self.top = dict(sorted(self.top.items(), key=lambda kv: -kv[1])[:TOP_KEEP])

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
        }
