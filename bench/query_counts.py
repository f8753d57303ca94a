"""Every public page's query count on the big database equals its count on the shipped 32.

Run: .venv/bin/python bench/query_counts.py
Each database is measured in its own process (BENCH_DATABASE_URL, BENCH_SMALL_DATABASE_URL).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    BENCH_DATABASE_URL,
    PYTHON,
    ROOT,
    SMALL_DATABASE_URL,
    django_env,
    write_result,
)

PAGES = [
    "/",
    "/?as_of={as_of}",
    "/recommendations/",
    "/recommendations/?status=in_progress&overdue=yes&sort=-timeliness",
    "/recommendations/?_export=csv",
    "/reports/",
    "/reports/?as_of={as_of}",
    "/reports/{report}/",
    "/reports/{report}/?as_of={as_of}",
    "/reports/{report}/1/",
    "/reports/{report}/1/?as_of={as_of}",
    "/owners/",
    "/owners/?as_of={as_of}",
    "/owners/{owner}/",
    "/changes/",
    "/changes/?since=2020-01-01",
    "/data/",
    "/methodology/",
    "/updates.atom",
    "/deadlines.ics",
    "/reports/{report}/updates.atom",
    "/reports/{report}/badge.svg",
    "/api/recommendations/",
]


def measure_here() -> dict:
    """In a process whose DATABASE_URL is the database to measure."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tracker.models import Organisation, Recommendation, Report

    report = Report.objects.filter(recommendations__number=2).order_by("published_on").first()
    owner = Organisation.objects.filter(ownerships__isnull=False).order_by("name").first()
    values = {"report": report.slug, "owner": owner.slug, "as_of": "2025-06-16"}
    client = Client()
    counts = {}
    for page in PAGES:
        path = page.format(**values)
        client.get(path)  # warm: first-request work (settings, templates) is not counted
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        counts[page] = len(queries)
    return {"recommendations": Recommendation.objects.count(), "counts": counts}


def measure(database_url: str) -> dict:
    env = django_env(DATABASE_URL=database_url)
    env.pop("REDIS_URL", None)
    output = subprocess.run(  # noqa: S603
        [PYTHON, __file__, "--here"], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> int:
    small = measure(SMALL_DATABASE_URL)
    big = measure(BENCH_DATABASE_URL)
    rows = []
    print(f"{'page':<68} {small['recommendations']:>6} recs {big['recommendations']:>6} recs")
    for page in PAGES:
        same = small["counts"][page] == big["counts"][page]
        rows.append(
            {"page": page, "small": small["counts"][page], "big": big["counts"][page], "same": same}
        )
        mark = "" if same else "  ← differs"
        print(f"{page:<68} {small['counts'][page]:>11} {big['counts'][page]:>11}{mark}")
    all_same = all(row["same"] for row in rows)
    print("Every page keeps the same query count." if all_same else "SOME PAGES DIFFER.")
    write_result(
        "query_counts",
        {
            "small_recommendations": small["recommendations"],
            "big_recommendations": big["recommendations"],
            "pages": rows,
            "all_same": all_same,
        },
    )
    return 0 if all_same else 1


if __name__ == "__main__":
    if "--here" in sys.argv:
        print(json.dumps(measure_here()))
    else:
        sys.exit(main())
