"""The "Forgotten your password?" form answers alike, as fast, for a known and an unknown address.

Run: .venv/bin/python bench/password_reset.py   (uses BENCH_DATABASE_URL, made by `make bench-data`)
Posts the form REPEATS times for an address that has an account and as often for one that has
none, interleaved, through the whole Django stack (the view only queues a job on the benchmark
Redis, which is emptied afterwards). Prints each one's p50 and p95 and whether the answers are
the same. Target: the two medians within 1 ms of each other, and the same redirect.

It adds one user, `bench-password-reset@example.org`, to the benchmark database if missing.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REPEATS = int(os.environ.get("BENCH_RESET_REPEATS", "300"))
TARGET_DIFFERENCE_MS = 1.0
KNOWN = "bench-password-reset@example.org"
UNKNOWN = "nobody-has-this-address@example.org"


def measure_here() -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench.search import percentile
    from config.celery import app

    user, _ = get_user_model().objects.get_or_create(
        username="bench-password-reset", defaults={"email": KNOWN}
    )
    user.set_password("bench-only-password-" + "x" * 20)
    user.save()
    client = Client()
    timings: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
    answers: dict[str, set] = {KNOWN: set(), UNKNOWN: set()}
    for email in (KNOWN, UNKNOWN):  # warm-up
        client.post("/admin/password_reset/", {"email": email})
    try:
        for _ in range(REPEATS):
            for email in (KNOWN, UNKNOWN):
                started = time.perf_counter()
                response = client.post("/admin/password_reset/", {"email": email})
                timings[email].append((time.perf_counter() - started) * 1000)
                answers[email].add((response.status_code, response.get("Location", "")))
    finally:
        app.control.purge()
    figures = {
        name: {
            "p50_ms": round(statistics.median(timings[email]), 2),
            "p95_ms": round(percentile(timings[email], 0.95), 2),
            "answers": sorted(map(list, answers[email])),
        }
        for name, email in (("known", KNOWN), ("unknown", UNKNOWN))
    }
    figures["posts_each"] = REPEATS
    figures["median_difference_ms"] = round(
        abs(figures["known"]["p50_ms"] - figures["unknown"]["p50_ms"]), 2
    )
    figures["same_answer"] = figures["known"]["answers"] == figures["unknown"]["answers"]
    return figures


def main() -> None:
    from bench.common import PYTHON, ROOT, django_env, verdict, write_result

    output = subprocess.run(  # noqa: S603
        [PYTHON, __file__, "--here"],
        cwd=ROOT,
        env=django_env(PASSWORD_RESET_RATE_PER_HOUR="1000000"),  # noqa: S106 (a rate, not a password)
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    figures["target_difference_ms"] = TARGET_DIFFERENCE_MS
    figures["verdict"] = verdict(figures["median_difference_ms"], TARGET_DIFFERENCE_MS)
    if not figures["same_answer"]:
        figures["verdict"] += "; the answers differ"
    print(
        f"password reset, {figures['posts_each']} posts each: known address p50 "
        f"{figures['known']['p50_ms']} ms (p95 {figures['known']['p95_ms']}), unknown p50 "
        f"{figures['unknown']['p50_ms']} ms (p95 {figures['unknown']['p95_ms']}); medians "
        f"{figures['median_difference_ms']} ms apart (target ≤ {TARGET_DIFFERENCE_MS}); "
        f"same answer: {figures['same_answer']}  {figures['verdict']}"
    )
    write_result("password_reset", figures)


if __name__ == "__main__":
    if "--here" in sys.argv:
        print(json.dumps(measure_here()))
    else:
        main()
