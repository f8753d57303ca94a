"""bench/search.py's measuring function, on small data (the lead runs it at scale)."""

from bench.search import measure_search, percentile
from tests.factories_pages import build_sample


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]

    assert percentile(values, 0.95) == 95.0
    assert percentile([3.0], 0.95) == 3.0
    assert percentile([1.0, 2.0], 0.5) == 1.0


def test_measure_search_times_every_search_and_counts_its_queries(db):
    build_sample()

    figures = measure_search(["example", "zzzunfound"], repeats=3)

    assert figures["searches"] == 6
    assert figures["recommendations"] == 3
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["max_ms"]
    assert figures["constant_query_count"] is True
    assert set(figures["queries_per_search"]) == {"example", "zzzunfound"}
