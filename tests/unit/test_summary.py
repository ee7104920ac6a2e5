"""Statistics merged across chunks equal statistics over the whole column."""

from __future__ import annotations

import math
import random
import statistics

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from csvlake.summary import DISTINCT_K, TOP_KEEP, ColumnSummary, hash64


def summarise(kind: str, values: list, chunk: int) -> dict:
    summary = ColumnSummary(kind)
    for start in range(0, len(values), chunk):
        part = values[start : start + chunk]
        # As the pipeline hands them over: each distinct value of the chunk once, with its count.
        counts = pc.value_counts(pa.array([v for v in part if v is not None]))
        summary.update(counts.field("values"), counts.field("counts").to_numpy(), part.count(None))
    return summary.as_report()


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_moments_and_extremes_merge_exactly(chunk):
    rng = random.Random(3)
    values = [rng.gauss(1e6, 250.0) for _ in range(999)] + [None] * 5

    report = summarise("number", values, chunk)

    present = [v for v in values if v is not None]
    assert report["count"] == 999 and report["nulls"] == 5
    assert report["min"] == min(present) and report["max"] == max(present)
    assert math.isclose(report["mean"], statistics.fmean(present), rel_tol=1e-12)
    assert math.isclose(report["std"], statistics.stdev(present), rel_tol=1e-9)


def test_distinct_and_top_are_exact_for_small_cardinality():
    values = ["a"] * 5 + ["b"] * 3 + ["c"] * 3 + ["d"]
    report = summarise("string", values, chunk=4)

    assert report["distinct"] == 4 and report["distinct_exact"] is True
    assert report["top"][:3] == [{"value": "a", "count": 5}, {"value": "b", "count": 3}, {"value": "c", "count": 3}]
    assert report["top_exact"] is True
    assert report["mean"] is None


def test_high_cardinality_distinct_is_estimated_within_its_error_bound_and_heavy_hitters_survive():
    n = 20 * DISTINCT_K
    values = [f"id-{i}" for i in range(n)] + ["hot"] * 500

    report = summarise("string", values, chunk=10_000)

    assert report["distinct_exact"] is False
    assert abs(report["distinct"] - (n + 1)) / (n + 1) < 5 / math.sqrt(DISTINCT_K)
    assert report["top_exact"] is False and len(values) > TOP_KEEP
    assert report["top"][0] == {"value": "hot", "count": 500}


def test_text_hashes_depend_on_the_text_only_and_tell_texts_apart():
    # GIVEN texts of every length around the 8-byte words the hash reads (NUL-padded look-alikes
    # included), with accents, CJK and emoji, and long ones on both sides of VECTOR_WORDS
    rnd = random.Random(11)
    alphabet = "abcXYZ019 ;,.\"'ãçéüß€日本語😀\x00\t\n"
    texts = ["", "\x00", "a", "a\x00", "1234567", "12345678", "12345678\x00", "123456789"]
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40))) for _ in range(5000)]
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(400, 3000))) for _ in range(50)]
    hashes = hash64(pa.array(texts))

    # THEN equal texts hash alike, whatever the array's offsets width, slice or order
    shuffled = rnd.sample(range(len(texts)), len(texts))
    assert (hash64(pa.array(texts, pa.large_string())) == hashes).all()
    assert (hash64(pa.array(texts).slice(123, 2000)) == hashes[123:2123]).all()
    assert (hash64(pa.array([texts[i] for i in shuffled])) == hashes[shuffled]).all()
    # AND different texts get different hashes
    assert len(set(hashes.tolist())) == len(set(texts))
    # AND booleans hash too
    assert len(set(hash64(pa.array([True, False, True])).tolist())) == 2
