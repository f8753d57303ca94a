"""The static site: build_site at scale, and nginx serving it against a plain file.

Run: .venv/bin/python bench/published_view.py   (uses BENCH_DATABASE_URL; writes to a temp dir)
1. `build_site --out DIR` from scratch (target ≤ 60 s).
2. One update published, then `build_site --out DIR --only-changed` (target ≤ 5 s).
3. nginx (our own config on a free loopback port) serving the export's dashboard and a
   recommendation page, against a plain file of the same size in the same root (target ≥ 0.9).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    BENCH_DATABASE_URL,
    PYTHON,
    ROOT,
    django_env,
    fetch,
    nginx,
    verdict,
    write_result,
    wrk,
)

FULL_TARGET_S = 60.0
CHANGED_TARGET_S = 5.0
NGINX_TARGET = 0.9
PUBLISH_UPDATE = """
from django.utils import timezone
from tracker.models import Recommendation, Source, StatusUpdate
from tracker.updates import publish_update
recommendation = Recommendation.objects.filter(number=2).order_by("report__published_on").first()
source, _ = Source.objects.get_or_create(
    url="https://example.org/demo/benchmark-update",
    defaults={"title": "Benchmark update (fictional)", "publisher": "Example publisher (fictional)",
              "kind": Source.Kind.SECONDARY},
)
update = StatusUpdate.objects.create(
    recommendation=recommendation, describes_on=timezone.localdate(), status="in_progress",
    summary="A fictional update made by the benchmark.", source=source,
)
assert publish_update(update)
print(recommendation.get_absolute_url())
"""


def manage(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=django_env(),
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return seconds, done.stdout.strip()


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-site-"))
    work.chmod(0o755)  # nginx's worker processes run as an unprivileged user
    out = work / "site"
    result: dict = {}
    try:
        full_s, full_output = manage("build_site", "--out", str(out))
        print(
            f"build_site from scratch: {full_s:.1f} s (target ≤ {FULL_TARGET_S:.0f} s)  "
            f"{verdict(full_s, FULL_TARGET_S)}\n  {full_output}"
        )
        _, updated_path = manage("shell", "-c", PUBLISH_UPDATE)
        updated_path = updated_path.splitlines()[-1]
        changed_s, changed_output = manage("build_site", "--out", str(out), "--only-changed")
        print(
            f"build_site after one update: {changed_s:.1f} s (target ≤ {CHANGED_TARGET_S:.0f} s)"
            f"  {verdict(changed_s, CHANGED_TARGET_S)}\n  {changed_output}"
        )
        result["build_site"] = {
            "from_scratch_s": round(full_s, 2),
            "from_scratch_output": full_output,
            "after_one_update_s": round(changed_s, 2),
            "after_one_update_output": changed_output,
            "targets_s": {"from_scratch": FULL_TARGET_S, "after_one_update": CHANGED_TARGET_S},
        }
        root = out.resolve()
        pages = []
        with nginx(root) as base:
            for name, path in (
                ("dashboard", "/"),
                ("recommendation page", updated_path),
            ):
                body, _ = fetch(base + path)
                plain = root / f"bench-plain-{len(body)}.html"
                plain.write_bytes(b"x" * len(body))
                page = wrk(base + path)
                file = wrk(f"{base}/{plain.name}")
                ratio = page["requests_per_second"] / file["requests_per_second"]
                pages.append(
                    {
                        "page": name,
                        "path": path,
                        "bytes": len(body),
                        "exported_page": page,
                        "plain_file": file,
                        "ratio": round(ratio, 3),
                        "meets_target": ratio >= NGINX_TARGET,
                    }
                )
                print(
                    f"nginx, {name:<20} {len(body):>7} B: export {page['requests_per_second']:8.0f}"
                    f" req/s, plain file {file['requests_per_second']:8.0f} req/s, ratio "
                    f"{ratio:.2f} (target ≥ {NGINX_TARGET})  {verdict(ratio, NGINX_TARGET, False)}"
                )
        result["nginx"] = pages
    finally:
        if not os.environ.get("BENCH_KEEP_SITE"):
            shutil.rmtree(work, ignore_errors=True)
    result["database"] = BENCH_DATABASE_URL
    write_result("published_view", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
