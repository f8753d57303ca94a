"""Live pages over HTTP against gunicorn (2 workers): uncached latency, cached throughput.

Run: .venv/bin/python bench/http_pages.py   (BENCH_DURATION=10s, BENCH_CONNECTIONS=8)
1. Uncached (PAGE_CACHE_SECONDS=0): p95 of the dashboard, a 50-row table page and a
   recommendation page, each for BENCH_DURATION with wrk, two connections (one per worker).
2. Cached (PAGE_CACHE_SECONDS=600, Redis): requests/s of cached pages against the same gunicorn
   and WhiteNoise serving a static file of the same size; the ratio is printed.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fetch, gunicorn, verdict, write_result, wrk

REPORT = "demo-inquiry-1"
UNCACHED = [
    ("dashboard", "/", 150.0),
    ("table page of 50 rows", "/recommendations/?page=3", 100.0),
    ("recommendation page", f"/reports/{REPORT}/2/", 50.0),
]
CACHED = [
    ("dashboard", "/"),
    ("table page of 50 rows", "/recommendations/?page=3"),
    ("recommendation page", f"/reports/{REPORT}/2/"),
]
CACHED_TARGET = 0.6


def uncached() -> list[dict]:
    rows = []
    with gunicorn(PAGE_CACHE_SECONDS="0") as base:
        for name, path, target in UNCACHED:
            fetch(base + path)
            # One connection a worker: the latency of a request, not of a queue behind others.
            figures = wrk(base + path, connections=2)
            row = {"page": name, "path": path, "target_p95_ms": target, **figures}
            row["meets_target"] = figures["p95_ms"] <= target
            rows.append(row)
            print(
                f"  {name:<24} p50 {figures['p50_ms']:7.1f} ms  p95 {figures['p95_ms']:7.1f} ms "
                f"(target ≤ {target:.0f})  {figures['requests_per_second']:7.1f} req/s  "
                f"{verdict(figures['p95_ms'], target)}"
            )
    return rows


def cached() -> list[dict]:
    rows = []
    static_root = Path(tempfile.mkdtemp(prefix="bench-static-"))
    with gunicorn(PAGE_CACHE_SECONDS="0") as base:
        bodies = {path: fetch(base + path)[0] for _, path in CACHED}
    for body in bodies.values():
        (static_root / f"same-size-{len(body)}.html").write_bytes(b"x" * len(body))
    with gunicorn(PAGE_CACHE_SECONDS="600", DJANGO_STATIC_ROOT=str(static_root)) as base:
        for name, path in CACHED:
            size = len(bodies[path])
            fetch(base + path)
            _, headers = fetch(base + path)
            if headers.get("X-Page-Cache") != "hit":
                raise RuntimeError(f"{path} was not served from the page cache: {headers}")
            page = wrk(base + path)
            static_url = f"{base}/static/same-size-{size}.html"
            fetch(static_url)
            static = wrk(static_url)
            ratio = page["requests_per_second"] / static["requests_per_second"]
            rows.append(
                {
                    "page": name,
                    "path": path,
                    "bytes": size,
                    "cached_page": page,
                    "static_file": static,
                    "ratio": round(ratio, 3),
                    "target_ratio": CACHED_TARGET,
                    "meets_target": ratio >= CACHED_TARGET,
                }
            )
            print(
                f"  {name:<24} {size:>7} B  cached {page['requests_per_second']:7.0f} req/s  "
                f"static file {static['requests_per_second']:7.0f} req/s  ratio {ratio:.2f} "
                f"(target ≥ {CACHED_TARGET})  {verdict(ratio, CACHED_TARGET, False)}"
            )
    return rows


def main() -> int:
    print("Live pages, uncached, gunicorn with 2 workers:")
    first = uncached()
    print("Live pages, cached, against a static file of the same size (gunicorn + WhiteNoise):")
    second = cached()
    write_result("http_pages", {"uncached": first, "cached": second})
    return 0 if all(row["meets_target"] for row in first + second) else 1


if __name__ == "__main__":
    sys.exit(main())
