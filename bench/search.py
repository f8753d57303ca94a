"""The site search at scale: p95 of an uncached `/search/?q=…` page, and its query count.

Run: .venv/bin/python bench/search.py   (uses BENCH_DATABASE_URL, made by `make bench-data`)
Each query in QUERIES is searched REPEATS times through the whole Django stack (the view, the
template, the middleware; the page cache is off, and search pages are never page-cached), after
one warm-up request each. Target: p95 ≤ 100 ms at about 9,000 recommendations, and the same
number of database queries for every search, whatever it matches.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_P95_MS = 100.0
REPEATS = int(os.environ.get("BENCH_SEARCH_REPEATS", "20"))
QUERIES = [
    "redress",
    "grooming gangs audit",
    "Jay report",
    "Home Office",
    "compensation",
    "police",
    "child protection authority",
    '"mandatory reporting"',
    "inquiry -police",
    "zzzunfound",
]


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share 0.95 for p95)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def measure_search(queries: list[str], repeats: int) -> dict:
    """Time `/search/?q=` for each query `repeats` times in this process's database; return the
    timings (ms), p50, p95 and each query's database query count. Needs Django set up."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tracker.models import Recommendation

    client = Client()
    timings: list[float] = []
    counts: dict[str, int] = {}
    for query in queries:
        response = client.get("/search/", {"q": query})  # warm-up (connection, templates)
        if response.status_code != 200:
            raise RuntimeError(f"/search/?q={query} answered {response.status_code}")
        with CaptureQueriesContext(connection) as captured:
            client.get("/search/", {"q": query})
        counts[query] = len(captured)
        for _ in range(repeats):
            started = time.perf_counter()
            response = client.get("/search/", {"q": query})
            timings.append((time.perf_counter() - started) * 1000)
    return {
        "recommendations": Recommendation.objects.count(),
        "database": connection.vendor,
        "searches": len(timings),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "max_ms": round(max(timings), 1),
        "queries_per_search": counts,
        "constant_query_count": len(set(counts.values())) == 1,
    }


def measure_here() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    print(json.dumps(measure_search(QUERIES, REPEATS)))


def main() -> None:
    from bench.common import PYTHON, ROOT, django_env, verdict, write_result

    output = subprocess.run(  # noqa: S603
        [PYTHON, __file__, "--here"],
        cwd=ROOT,
        env=django_env(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    figures["target_p95_ms"] = TARGET_P95_MS
    figures["verdict"] = verdict(figures["p95_ms"], TARGET_P95_MS)
    if not figures["constant_query_count"]:
        figures["verdict"] += "; query counts differ between searches"
    print(
        f"search: p95 {figures['p95_ms']} ms over {figures['searches']} searches at "
        f"{figures['recommendations']} recommendations ({figures['verdict']}); "
        f"queries per search: {sorted(set(figures['queries_per_search'].values()))}"
    )
    write_result("search", figures)


if __name__ == "__main__":
    if "--here" in sys.argv:
        measure_here()
    else:
        main()
