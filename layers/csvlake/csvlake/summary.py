"""Per-column statistics kept as state that merges across chunks, so no file is held whole."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Distinct counts are exact below this many values, then estimated from the K smallest 64-bit hashes
# (a KMV sketch: relative standard error about 1/sqrt(K - 2), ~1.1%).
DISTINCT_K = 8192
# Value counts kept per chunk and across the file for `top`; exact while a column has fewer values.
TOP_KEEP = 1000
# Quantiles come from the values of the QUANTILE_SAMPLE rows whose hashed row numbers are smallest:
# a uniform sample that merges across chunks and is the same on every run (exact up to that many
# rows; beyond, a rank error of about 1/sqrt(QUANTILE_SAMPLE) = 1%).
QUANTILE_SAMPLE = 10_000
TOP_REPORTED = 5
TEXT_LIMIT = 200


def mix(bits: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads 64-bit keys uniformly, as the KMV estimate needs."""
    with np.errstate(over="ignore"):
        z = bits.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def hash64(values: pa.Array) -> np.ndarray:
    """Hashes equal for equal values in every process (Python's hash() is salted per process)."""
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type) or pa.types.is_temporal(values.type):
        numbers = values.to_numpy(zero_copy_only=False)
        if numbers.dtype.kind == "f":
            numbers = numbers.astype(np.float64) + 0.0  # + 0.0: -0.0 and 0.0 are one value
        elif numbers.dtype.itemsize != 8:
            numbers = numbers.astype(np.int64)
        return mix(numbers.view(np.uint64))
    # Text and booleans hash as pandas' hash_array did (the distinct estimates depend on the hashes),
    # computed on Arrow's buffers by numpy: no Python string per value, no GIL held, and no pandas.
    if pa.types.is_boolean(values.type):
        bits = values.to_numpy(zero_copy_only=False).astype(np.uint64)
    else:
        bits = _siphash(values)
    with np.errstate(over="ignore"):
        bits ^= bits >> np.uint64(30)
        bits *= np.uint64(0xBF58476D1CE4E5B9)
        bits ^= bits >> np.uint64(27)
        bits *= np.uint64(0x94D049BB133111EB)
        return bits ^ (bits >> np.uint64(31))


# Texts of more 8-byte words than this are hashed by pandas (a numpy loop per word would be slower).
SIP_VECTOR_WORDS = 32
# SipHash-2-4 with pandas' default hash key, "0123456789123456", as two little-endian words.
_SIP_K0 = int.from_bytes(b"01234567", "little")
_SIP_K1 = int.from_bytes(b"89123456", "little")
_BYTE = np.arange(8)


def _rotl(x: np.ndarray, bits: int) -> np.ndarray:
    return (x << np.uint64(bits)) | (x >> np.uint64(64 - bits))


def _sip_rounds(v: list[np.ndarray], rounds: int) -> None:
    v0, v1, v2, v3 = v
    for _ in range(rounds):
        v0 += v1
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 += v3
        v3 = _rotl(v3, 16) ^ v2
        v0 += v3
        v3 = _rotl(v3, 21) ^ v0
        v2 += v1
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)
    v[:] = v0, v1, v2, v3


def _siphash(values: pa.Array) -> np.ndarray:
    """SipHash-2-4 of each string's UTF-8 bytes: what pandas' hash_object_array computes, vectorised.

    Strings with the same number of whole 8-byte words are hashed together, word by word. SipHash
    reads a string's words one after another, so a long string is a long Python loop: those (rare)
    go to pandas' own C implementation instead.
    """
    if pa.types.is_large_string(values.type):
        offset_type = np.int64
    elif pa.types.is_string(values.type):
        offset_type = np.int32
    else:
        raise TypeError(f"cannot hash values of type {values.type}")
    _, offsets_buffer, data_buffer = values.buffers()
    offsets = np.frombuffer(
        offsets_buffer, offset_type, len(values) + 1, values.offset * np.dtype(offset_type).itemsize
    )
    starts = offsets[:-1].astype(np.int64)
    lengths = offsets[1:] - starts
    # Eight zero bytes after the data: reading a whole word at the last string's end stays in bounds.
    data = np.frombuffer(data_buffer, np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    data = np.concatenate([data[: int(offsets[-1])], np.zeros(8, np.uint8)])
    words = lengths // 8
    out = np.empty(len(values), np.uint64)
    long = np.flatnonzero(words > SIP_VECTOR_WORDS)
    if len(long):
        from pandas._libs.hashing import hash_object_array

        texts = values.take(pa.array(long)).to_numpy(zero_copy_only=False)
        out[long] = hash_object_array(texts, "0123456789123456", "utf8")
    with np.errstate(over="ignore"):
        for count in np.unique(words[words <= SIP_VECTOR_WORDS]).tolist():
            group = np.flatnonzero(words == count)
            first = starts[group][:, None] + _BYTE
            v = [np.full(len(group), value, np.uint64) for value in _sip_init()]
            for word in range(count):
                m = data[first + 8 * word].view("<u8").ravel()
                v[3] ^= m
                _sip_rounds(v, 2)
                v[0] ^= m
            tail = np.where((lengths[group] % 8)[:, None] > _BYTE, data[first + 8 * count], 0).astype(np.uint8)
            last = tail.view("<u8").ravel() | ((lengths[group].astype(np.uint64) & np.uint64(0xFF)) << np.uint64(56))
            v[3] ^= last
            _sip_rounds(v, 2)
            v[0] ^= last
            v[2] ^= np.uint64(0xFF)
            _sip_rounds(v, 4)
            out[group] = v[0] ^ v[1] ^ v[2] ^ v[3]
    return out


def _sip_init() -> tuple[int, int, int, int]:
    return (
        _SIP_K0 ^ 0x736F6D6570736575,
        _SIP_K1 ^ 0x646F72616E646F6D,
        _SIP_K0 ^ 0x6C7967656E657261,
        _SIP_K1 ^ 0x7465646279746573,
    )


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
                # Not np.dot: OpenBLAS splits a dot product over 10,000 values across its own threads,
                # which spin while idle (~2 s of CPU per 150 MB file on 2 cores) and make the last bits
                # depend on the core count. numpy's pairwise sum is the same on every machine.
                mean = float(np.add.reduce(weights * numbers) / n)
                self._merge_moments(n, mean, float(np.add.reduce(weights * (numbers - mean) ** 2)))
        self.count += n
        self._merge_distinct(values)
        self._merge_top(values, counts)

    def sample_rows(self, first_row: int, numbers: np.ndarray) -> None:
        """Offer the chunk's numbers (NaN for nulls), row by row, to the quantile sample."""
        keys = mix(np.arange(first_row, first_row + len(numbers), dtype=np.int64))
        keep = ~np.isnan(numbers)
        keys = np.concatenate([self.sample_keys, keys[keep]])
        values = np.concatenate([self.sample_values, numbers[keep]])
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
        # Sorted and distinct, as np.unique gives, but 10x faster here: the kept hashes are one sorted
        # run already, so a stable sort (timsort) merges two runs in linear time.
        merged = np.concatenate([self.hashes, np.sort(hashed)])
        merged.sort(kind="stable")
        if len(merged):
            merged = merged[np.concatenate(([True], merged[1:] != merged[:-1]))]
        if len(merged) > DISTINCT_K:
            self.distinct_exact = False
        self.hashes = merged[:DISTINCT_K]

    def _merge_top(self, values: pa.Array, counts: np.ndarray) -> None:
        if len(values) > TOP_KEEP:
            self.top_exact = False
            keep = np.argpartition(-counts, TOP_KEEP)[:TOP_KEEP]
            values, counts = values.take(pa.array(keep)), counts[keep]
        for value, count in zip(values.to_pylist(), counts.tolist()):
            self.top[value] = self.top.get(value, 0) + count
        if len(self.top) > TOP_KEEP:
            self.top_exact = False
            # Highest counts first; ties keep their order (reverse=True keeps sort stability).
            self.top = dict(sorted(self.top.items(), key=itemgetter(1), reverse=True)[:TOP_KEEP])

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
            **self._quantiles(numeric),
        }

    def _quantiles(self, numeric: bool) -> dict[str, Any]:
        if not numeric or not len(self.sample_values):
            return {"p25": None, "p50": None, "p75": None, "quantiles_exact": True}
        with np.errstate(over="ignore", invalid="ignore"):
            p25, p50, p75 = np.quantile(self.sample_values, [0.25, 0.5, 0.75])
        return {"p25": _rounded(p25), "p50": _rounded(p50), "p75": _rounded(p75), "quantiles_exact": self.sampled_all}
