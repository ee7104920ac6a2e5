"""Statistics merged across chunks equal statistics over the whole column."""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from csvlake.summary import DISTINCT_K, TOP_KEEP, ColumnSummary, top_limit


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
    assert report["top_exact"] is True and report["top_undercount"] == 0
    assert report["mean"] is None


def test_high_cardinality_distinct_is_estimated_within_its_error_bound_and_heavy_hitters_survive():
    n = 20 * DISTINCT_K
    values = [f"id-{i}" for i in range(n)] + ["hot"] * 500

    report = summarise("string", values, chunk=10_000)

    assert report["distinct_exact"] is False
    assert abs(report["distinct"] - (n + 1)) / (n + 1) < 5 / math.sqrt(DISTINCT_K)
    assert report["top_exact"] is False and len(values) > TOP_KEEP
    assert report["top"][0] == {"value": "hot", "count": 500}


def test_top_counts_are_at_most_the_reported_undercount_below_the_truth():
    # GIVEN 40,000 values, over 10,000 distinct: a long uniform tail and a few heavy hitters, in
    # chunks of 4,000 rows with over 2,000 distinct values each, so every chunk's list is cut
    rng = random.Random(5)
    values = [
        f"v{rng.randint(1, 12_000)}" if rng.random() < 0.6 else f"h{min(int(rng.paretovariate(1.0)), 5000)}"
        for _ in range(40_000)
    ]
    summary = ColumnSummary("string")
    for start in range(0, len(values), 4000):
        counts = pc.value_counts(pa.array(values[start : start + 4000]))
        summary.update(counts.field("values"), counts.field("counts").to_numpy(), 0)
    report = summary.as_report()
    truth = Counter(values)

    # THEN the counts are approximate, each within the bound and never above the truth
    bound = report["top_undercount"]
    assert report["top_exact"] is False and 0 < bound < 200
    for value, count in summary.top.items():
        assert truth[value] - bound <= count <= truth[value]
    # AND every value more frequent than the bound is kept, so the top five are the true top five
    assert {v for v, n in truth.items() if n > bound} <= set(summary.top)
    assert [t["value"] for t in report["top"]] == [v for v, _ in truth.most_common(5)]


def test_a_value_cut_from_the_merged_list_and_seen_again_is_short_by_at_most_the_undercount():
    def chunk(counts: dict[str, int]) -> tuple[pa.Array, np.ndarray]:
        return pa.array(list(counts)), np.array(list(counts.values()))

    summary = ColumnSummary("string")
    regulars = {f"a{i}": 5 for i in range(TOP_KEEP)}
    summary.update(*chunk(regulars), 0)
    # x (4) and 1,000 values seen once: the chunk's list is cut (a single-count value goes), then the
    # merged list is cut back to the a's, and x goes with it
    summary.update(*chunk({"x": 4, **{f"b{i}": 1 for i in range(TOP_KEEP)}}), 0)
    # x again (10): it is kept this time, an a goes instead
    summary.update(*chunk({"x": 10}), 0)

    assert summary.top["x"] == 10  # of 14
    assert summary.as_report()["top_undercount"] == 1 + 4 + 5


def test_a_number_written_in_several_ways_may_lose_the_undercount_once_per_way():
    # GIVEN a chunk of 1,200 numbers seen 3 times each, and 0 written in seven ways, twice each
    # (the pipeline hands over each text's value: 0, +0, -0, 0,0 ... are seven entries of one value)
    values = pa.array([float(i) for i in range(1, 1201)] + [0.0, -0.0] * 3 + [0.0])
    counts = np.array([3] * 1200 + [2] * 7)
    summary = ColumnSummary("number")

    summary.update(values, counts, 0)

    # THEN every entry of 0 was cut, though 0 is the most frequent value (14): its count, 0, is more
    # than the undercount below the truth, but within it once per way, as the report schema says
    report = summary.as_report()
    assert report["top_exact"] is False and report["top_undercount"] == 3
    ways, truth, counted = 7, 14, summary.top.get(0.0, 0)
    assert counted == 0 and truth - counted <= ways * report["top_undercount"]


def test_top_is_exact_up_to_the_column_s_limit_then_cut_with_a_bound():
    # GIVEN 3,650 values (ten years of days) in chunks of 2,000 rows, over 1,000 distinct in each
    rng = random.Random(8)
    values = [f"day {rng.randrange(3650)}" for _ in range(20_000)]
    assert len(set(values[:2000])) > TOP_KEEP
    summary = ColumnSummary("string", top_limit=top_limit(20))  # 5,000 values, as in a 20-column file
    for start in range(0, len(values), 2000):
        counts = pc.value_counts(pa.array(values[start : start + 2000]))
        summary.update(counts.field("values"), counts.field("counts").to_numpy(), 0)

    # THEN every count is exact
    assert summary.top_exact and summary.top == Counter(values) and summary.top_undercount == 0

    # WHEN the column goes past its limit THEN the list is cut to TOP_KEEP values, with a bound
    more = [f"x{i}" for i in range(2000)]
    counts = pc.value_counts(pa.array(more))
    summary.update(counts.field("values"), counts.field("counts").to_numpy(), 0)
    assert not summary.top_exact and len(summary.top) == TOP_KEEP and summary.top_undercount >= 1
    assert [top_limit(n) for n in (1, 10, 100, 1000)] == [100_000, 10_000, 1000, 1000]


def test_top_values_merge_equal_values_across_chunks_in_the_order_first_seen():
    # GIVEN chunks in which -0.0 and 0.0 (one number), and dates, come back in other orders
    numbers = ColumnSummary("number")
    for values, counts in [([-0.0, 2.5], [2, 1]), ([1.0, 0.0], [4, 3]), ([2.5, 7.0], [5, 1])]:
        numbers.update(pa.array(values), np.array(counts), 0)
    days = ColumnSummary("date")
    for values in (["2024-01-02", "2024-01-01"], ["2024-01-01", "2024-01-03"]):
        days.update(pc.cast(pc.strptime(pa.array(values), "%Y-%m-%d", "s"), pa.date32()), np.array([1, 2]), 0)

    # THEN each value is counted once, in the order it first appeared, -0.0 as it was first written
    assert list(numbers.top.items()) == [(0.0, 5), (2.5, 6), (1.0, 4), (7.0, 1)]
    assert math.copysign(1, next(iter(numbers.top))) == -1
    assert [(d.isoformat(), n) for d, n in days.top.items()] == [
        ("2024-01-02", 1),
        ("2024-01-01", 3),
        ("2024-01-03", 2),
    ]
    assert numbers.as_report()["top"][:2] == [{"value": 2.5, "count": 6}, {"value": -0.0, "count": 5}]
