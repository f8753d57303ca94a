"""The jobs at scale: flag_overdue, the weekly digests into a local SMTP sink, and the CSV
download's memory at two sizes.

Run: .venv/bin/python bench/jobs.py   (uses BENCH_DATABASE_URL and BENCH_SMALL_DATABASE_URL)
With --profile-digests, the digests run under cProfile and the summary goes to
bench/results/digest_profile.txt (the profiler's overhead makes that run slower).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    BENCH_DATABASE_URL,
    PYTHON,
    RESULTS,
    ROOT,
    SMALL_DATABASE_URL,
    django_env,
    free_port,
    verdict,
    write_result,
)

FLAG_TARGET_S = 1.0
DIGEST_TARGET_S = 60.0


def setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()


def vacuum(connection, analyse: bool) -> None:
    if connection.vendor == "postgresql":
        command = "VACUUM ANALYZE" if analyse else "VACUUM"
        with connection.cursor() as cursor:
            cursor.execute(
                f"{command} tracker_deadline, tracker_recommendation, tracker_overdueperiod"
            )


def time_flag_overdue() -> dict:
    from django.db import connection
    from django.utils import timezone

    from tracker.jobs.overdue import flag_overdue
    from tracker.models import Deadline, OverduePeriod, Recommendation

    today = timezone.localdate()
    # From nothing flagged (the first run on a new database) and then a daily run.
    Deadline.objects.update(overdue_since=None)
    Recommendation.objects.update(overdue_since=None)
    OverduePeriod.objects.all().delete()
    # The reset rewrote every row. With autovacuum on (PostgreSQL's default) the dead rows
    # would be cleared; without it (as on the benchmark machine), each run of this script would
    # measure tables bloated by the runs before. Statistics are left as they are.
    vacuum(connection, analyse=False)
    started = time.perf_counter()
    first = flag_overdue(today)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    flag_overdue(today)
    daily_s = time.perf_counter() - started
    # The first run rewrote every row again: leave the tables as seed_demo left them, so the
    # page benchmarks that follow are not measured on bloated tables.
    vacuum(connection, analyse=True)
    return {
        "deadlines": Deadline.objects.count(),
        "first_run_s": round(first_s, 3),
        "first_run_result": str(first),
        "daily_run_s": round(daily_s, 3),
        "target_s": FLAG_TARGET_S,
    }


def time_digests() -> dict:
    """The week's digests over SMTP to aiosmtpd's Sink (in its own process, on loopback)."""
    from django.conf import settings
    from django.utils import timezone

    from tracker.jobs.digests import send_weekly_digests, week_of
    from tracker.models import Contact, EmailLog

    port = free_port()
    sink = subprocess.Popen(  # noqa: S603
        [PYTHON, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"]
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        week = week_of(timezone.localdate())
        EmailLog.objects.filter(kind__in=["digest", "oversight_digest"]).delete()
        # seed_demo's contacts are fictional, and fictional contacts are never given to a real SMTP
        # server; in this benchmark database they stand for real ones, and the sink keeps nothing.
        Contact.objects.filter(is_demo=True).update(is_demo=False)
        started = time.perf_counter()
        result = send_weekly_digests(week)
        seconds = time.perf_counter() - started
    finally:
        sink.terminate()
        sink.wait(timeout=30)
    return {
        "contacts": Contact.objects.filter(receives_digest=True).count(),
        "messages_sent": result.sent,
        "result": str(result),
        "seconds": round(seconds, 2),
        "target_s": DIGEST_TARGET_S,
    }


def profile_digests() -> dict:
    """time_digests under cProfile; the summary (cumulative, then own time) is written to a file."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    cpu = time.process_time()
    digests = profiler.runcall(time_digests)
    cpu = time.process_time() - cpu
    out = io.StringIO()
    out.write(f"{digests}\n")
    out.write(
        f"Under cProfile (slower than without): {cpu:.1f} s of CPU in this process; load "
        f"average at the end {', '.join(f'{load:.2f}' for load in os.getloadavg())} "
        f"on {os.cpu_count()} cores.\n"
    )
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    path = RESULTS / "digest_profile.txt"
    path.write_text(out.getvalue())
    print(f"→ {path.relative_to(ROOT)}")
    return digests


def csv_memory_here() -> dict:
    """In its own process: peak memory while the full CSV download is produced and read.

    Python's own allocations are traced (tracemalloc), from just before the request to the end
    of reading its body; the process's peak RSS is given too.
    """
    import resource
    import tracemalloc

    from django.test import Client

    from tracker.models import Recommendation

    client = Client()
    client.get("/methodology/")  # load the app before measuring
    tracemalloc.start()
    response = client.get("/recommendations/?_export=csv")
    size = 0
    if response.streaming:
        for chunk in response.streaming_content:
            size += len(chunk)
    else:
        size = len(response.content)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "rows": Recommendation.objects.count(),
        "bytes": size,
        "streaming": response.streaming,
        "peak_traced_kib": peak // 1024,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def csv_memory(database_url: str) -> dict:
    env = django_env(DATABASE_URL=database_url)
    env.pop("REDIS_URL", None)
    output = subprocess.run(  # noqa: S603
        [PYTHON, __file__, "--csv-here"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if output.returncode:
        raise RuntimeError(output.stderr)
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> int:
    os.environ.update(django_env())
    setup_django()
    flag = time_flag_overdue()
    print(
        f"flag_overdue over {flag['deadlines']} deadlines: first run {flag['first_run_s']} s, "
        f"daily run {flag['daily_run_s']} s (target ≤ {FLAG_TARGET_S} s)  "
        f"{verdict(max(flag['first_run_s'], flag['daily_run_s']), FLAG_TARGET_S)}"
    )
    digests = profile_digests() if "--profile-digests" in sys.argv else time_digests()
    print(
        f"send_weekly_digests to {digests['contacts']} contacts: {digests['seconds']} s, "
        f"{digests['messages_sent']} messages sent to the sink "
        f"(target ≤ {DIGEST_TARGET_S} s)  {verdict(digests['seconds'], DIGEST_TARGET_S)}"
    )
    small = csv_memory(SMALL_DATABASE_URL)
    big = csv_memory(BENCH_DATABASE_URL)
    grows = big["peak_traced_kib"] > 2 * small["peak_traced_kib"] + 1024
    for row in (small, big):
        print(
            f"CSV download of {row['rows']:>5} rows ({row['bytes']:>8} bytes, streamed: "
            f"{row['streaming']}): peak {row['peak_traced_kib'] / 1024:.1f} MiB traced, process "
            f"peak RSS {row['peak_rss_kib'] / 1024:.0f} MiB"
        )
    print("CSV memory grows with rows." if grows else "CSV memory does not grow with rows.")
    write_result(
        "jobs",
        {
            "flag_overdue": flag,
            "weekly_digests": digests,
            "csv_download": {"small": small, "big": big, "memory_grows_with_rows": grows},
        },
    )
    return 0


if __name__ == "__main__":
    if "--csv-here" in sys.argv:
        setup_django()
        print(json.dumps(csv_memory_here()))
    else:
        sys.exit(main())
