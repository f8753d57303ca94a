"""Load test: many concurrent clients on the public pages, over loopback, for a fixed time.

    .venv/bin/python bench/load_test.py          # 50 clients, 60 s; prints, and writes JSON
    .venv/bin/python bench/load_test.py --clients 10 --seconds 10
    .venv/bin/python bench/load_test.py --url http://127.0.0.1:8000   # a server already running

Without --url it starts the app as production does (gunicorn, sync workers, DEBUG off) on a free
loopback port, on a fresh database holding the shipped reports: SQLite in a temporary folder, or
the empty PostgreSQL database given with --database-url (migrated and loaded first). Each client
requests the public pages in turn, one request at a time, until the time is up; every answer that
is not a 200 counts as an error, as does a refused or timed-out connection. It prints requests
served, errors and latency percentiles, and writes them as JSON (bench/results/load_test.json).
Only loopback addresses are allowed as a target. Not run in CI (it takes over a minute).
"""

import argparse
import ipaddress
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "bench" / "results" / "load_test.json"
PUBLIC_PAGES = [
    "/",
    "/recommendations/",
    "/recommendations/?status=not_yet_assessed",
    "/reports/iicsa/",
    "/reports/iicsa/1/",
    "/reports/casey-audit/",
    "/reports/casey-audit/12/",
    "/owners/",
    "/owners/home-office/",
    "/changes/",
    "/data/",
    "/methodology/",
    "/updates.atom",
    "/deadlines.ics",
    "/reports/iicsa/badge.svg",
    "/api/recommendations/",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        sys.exit(
            f"Only a server on this machine's loopback interface may be load-tested, not {host}"
        )


class Server:
    """gunicorn on a fresh database with the shipped reports, stopped by close()."""

    def __init__(self, workers: int, database_url: str | None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="tracker-load-"))
        self.port = free_port()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "load-test-only-" + "x" * 40,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": f"http://127.0.0.1:{self.port}",
            "TRACKER_VAR_DIR": str(self.folder / "var"),
            "DATABASE_URL": database_url or f"sqlite:///{self.folder / 'db.sqlite3'}",
            "DJANGO_LOG_LEVEL": "WARNING",
            # Every simulated client comes from 127.0.0.1: the API's per-address rate limit would
            # answer 429 to what are, in life, many readers. It is tested on its own elsewhere.
            "API_RATE": "",
        }
        self.workers = workers
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str) -> None:
        subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> None:
        self.manage("migrate", "--no-input", "-v", "0")
        self.manage("load_reports")
        log = (self.folder / "gunicorn.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter
            [
                *(sys.executable, "-m", "gunicorn", "config.wsgi"),
                *("--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers)),
                *("--timeout", "30", "--backlog", "2048"),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.close()
        sys.exit("gunicorn did not answer within 30 s")

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def client(base_url: str, offset: int, stop_at: float, results: list, lock: threading.Lock):
    session = requests.Session()
    mine = []
    n = offset
    while time.monotonic() < stop_at:
        path = PUBLIC_PAGES[n % len(PUBLIC_PAGES)]
        n += 1
        started = time.monotonic()
        try:
            response = session.get(base_url + path, timeout=30)
            outcome = response.status_code
        except requests.RequestException as error:
            outcome = type(error).__name__
        mine.append((path, outcome, time.monotonic() - started))
    with lock:
        results.extend(mine)


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


def run(base_url: str, clients: int, seconds: float) -> dict:
    results: list[tuple[str, int | str, float]] = []
    lock = threading.Lock()
    started = time.monotonic()
    stop_at = started + seconds
    threads = [
        threading.Thread(target=client, args=(base_url, n, stop_at, results, lock))
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies = sorted(seconds for _, _, seconds in results)
    errors = Counter(str(outcome) for _, outcome, _ in results if outcome != 200)
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(results),
        "served_ok": sum(1 for _, outcome, _ in results if outcome == 200),
        "errors": sum(errors.values()),
        "errors_by_kind": dict(errors),
        "requests_per_second": round(len(results) / elapsed, 1),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50) * 1000, 1),
            "p95": round(percentile(latencies, 0.95) * 1000, 1),
            "p99": round(percentile(latencies, 0.99) * 1000, 1),
            "max": round((latencies[-1] if latencies else 0) * 1000, 1),
            "mean": round(statistics.fmean(latencies) * 1000, 1) if latencies else 0.0,
        },
        "pages": PUBLIC_PAGES,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--url", help="test a server already running here instead")
    parser.add_argument("--database-url", help="an empty PostgreSQL database to load and serve")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    if not 1 <= args.clients <= 500 or not 1 <= args.seconds <= 600:
        sys.exit("--clients must be 1 to 500 and --seconds 1 to 600")

    server = None
    if args.url:
        base_url = args.url.rstrip("/")
    else:
        server = Server(args.workers, args.database_url)
        server.start()
        base_url = server.url
    require_loopback(base_url)
    try:
        figures = run(base_url, args.clients, args.seconds)
    finally:
        if server is not None:
            server.close()
    figures["server"] = (
        {"url": base_url}
        if server is None
        else {
            "gunicorn_workers": args.workers,
            "worker_class": "sync",
            "database": (args.database_url or "sqlite").split(":")[0],
            "page_cache_seconds": os.environ.get("PAGE_CACHE_SECONDS", "off"),
        }
    )
    figures["machine"] = {
        "cpus": os.cpu_count(),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
    }
    figures["when"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    latency = figures["latency_ms"]
    print(
        f"{figures['clients']} clients for {figures['seconds']} s: {figures['requests']} requests, "
        f"{figures['errors']} errors, {figures['requests_per_second']} requests/s; latency "
        f"p50 {latency['p50']} ms, p95 {latency['p95']} ms, p99 {latency['p99']} ms, "
        f"max {latency['max']} ms"
    )
    if figures["errors"]:
        print(f"Errors: {figures['errors_by_kind']}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"Written to {args.output}")
    return 1 if figures["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
