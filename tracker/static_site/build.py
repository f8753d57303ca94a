"""The static site: the public pages, feeds and downloads built as plain files (`build_site`).

A build renders every public page through the real URL configuration, views and templates (so
each page is what the live site sends an anonymous reader), then rewrites links so that every
internal link names a file in the build:

- `?page=N` on the table becomes `/recommendations/page/N/`; `?_export=csv|json` becomes
  `/recommendations.csv` (or, with `report=`, `/reports/<slug>/recommendations.csv`); XLSX is
  left to the live site;
- links that only a live server can answer (sorting, filters, `?as_of=`, subscriptions, the API)
  are replaced by their text, and the GET forms (filters) by a note;
- the project's own static files are copied under `/static/`.

Each build is a new folder beside the site's path, `<name>.<timestamp>`; the site's path is
a symbolic link that is switched to the new folder with one atomic rename, so a reader sees the
old site or the new one, never a mix. The previous build is kept (a reader who started on it can
finish); older ones are removed. A web server's root must point at the symbolic link.

An incremental build hard-links the current build's files into a new folder and re-renders only
the files that show a changed recommendation: its page, feed and badge, its report's files, its
owners' pages, the table pages it is listed on, and the site-wide pages, feeds and downloads
(the calendars only when deadlines changed). A recommendation has changed when its fingerprint
(its own row, its published updates, deadlines, responses and owners) differs from the one
recorded in the build's manifest (kept beside the build, never served: `folders.py`). A new day,
a new or removed report, organisation or recommendation, or a build from another database means
a full build; so does the daily job, which also picks up renamed organisations and reports.

The pieces: `plan.py` (which URLs, which files), `rendering.py` (pages as the live site answers
them), `links.py` (links pointed at files), `pool.py` (the forked processes), `folders.py`
(build folders, the atomic switch, the manifest) and `requests.py` (debounced build requests).

Every file is what the live site sends for its address, made by the same functions and templates,
but the many files are made in bulk: recommendations' pages, feeds and badges a batch at a time
from rows fetched together (`recommendation_records`), the report, owner and table pages and the
reports' downloads from the table's rows fetched once (`TablePages`), and the calendars from
events written once (`Calendars`). A test compares every file of a build with the live response.

`jobs` > 1 renders in that many forked processes (each with its own database connection), which
take the pieces of work from a shared queue, the slowest first. An incremental build renders the
changed files while the previous build is being hard-linked, and moves them in after. Builds
older than the previous one are renamed out of sight and deleted in the background.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from django.utils import timezone

from tracker.static_site.folders import (
    Linking,
    build_lock,
    current_build,
    database_name,
    move_files,
    new_build_dir,
    read_manifest,
    switch_to,
    write_manifest,
)
from tracker.static_site.links import LinkRewriter, static_files
from tracker.static_site.plan import DOWNLOAD_FORMATS, SITE_DOWNLOADS, SitePlan, fingerprints
from tracker.static_site.pool import write_pages


class BuildKind(StrEnum):
    FULL = "full"
    INCREMENTAL = "incremental"
    UNCHANGED = "unchanged"


@dataclass
class BuildResult:
    build: Path | None
    kind: BuildKind
    files_written: int
    seconds: float
    changed: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        if self.kind == BuildKind.UNCHANGED:
            return f"Nothing has changed since the last build; kept {self.build}."
        what = (
            f"{len(self.changed)} changed recommendation(s), "
            if self.kind == BuildKind.INCREMENTAL
            else ""
        )
        return (
            f"{self.kind.capitalize()} build: {what}{self.files_written} file(s) written "
            f"in {self.seconds:.1f} s into {self.build}."
        )


def build_site(out: Path, *, only_changed: bool = False, jobs: int = 1) -> BuildResult:
    """Build the static site into a new folder beside `out` and switch `out` to it.

    With `only_changed`, re-render only what shows recommendations changed since the current build
    (falling back to a full build when an incremental one would not be correct)."""
    started = time.monotonic()
    out = Path(out).absolute()
    with build_lock(out):
        today = timezone.localdate()
        previous_build = current_build(out)
        manifest = read_manifest(previous_build)
        plan = SitePlan.from_database(today)
        prints = fingerprints()
        statics = static_files()
        rewriter = LinkRewriter([*plan.all_urls(), *SITE_DOWNLOADS], statics)
        if only_changed and manifest and manifest["database"] == database_name():
            previous_plan = SitePlan.from_json(manifest["plan"])
            if previous_plan.today == today and plan.same_shape_as(previous_plan):
                before = manifest["fingerprints"]
                changed = sorted(pk for pk, now in prints.items() if before.get(str(pk)) != now)
                deadlines_changed = [
                    pk
                    for pk in changed
                    if before.get(str(pk), ":").split(":")[1] != prints[pk].split(":")[1]
                ]
                if not changed:
                    return BuildResult(
                        previous_build, BuildKind.UNCHANGED, 0, time.monotonic() - started
                    )
                build = new_build_dir(out)
                # The changed files are rendered into a folder of their own while the previous
                # build is linked into the new one (disk work and rendering at once), then
                # moved over the links they replace.
                fresh = out.parent / f".{build.name}.fresh"
                linking = Linking(previous_build, build)
                try:
                    fresh.mkdir()
                    urls = plan.urls_showing(changed, deadlines_changed, previous_plan)
                    written = write_pages(fresh, urls, rewriter, plan, jobs)
                    linking.wait()
                    move_files(fresh, build)
                    written += join_site_downloads(build, plan, rewriter)
                    write_manifest(build, plan, prints)
                except BaseException:
                    linking.stop()
                    shutil.rmtree(build, ignore_errors=True)
                    raise
                finally:
                    shutil.rmtree(fresh, ignore_errors=True)
                switch_to(out, build)
                return BuildResult(
                    build, BuildKind.INCREMENTAL, written, time.monotonic() - started, changed
                )
        build = new_build_dir(out)
        try:
            written = write_pages(build, plan.all_urls(), rewriter, plan, jobs)
            written += join_site_downloads(build, plan, rewriter)
            for public, source in statics.items():
                target = build / public.lstrip("/")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
            write_manifest(build, plan, prints)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
        switch_to(out, build)
        return BuildResult(
            build, BuildKind.FULL, written + len(statics), time.monotonic() - started
        )


def join_site_downloads(build: Path, plan: SitePlan, rewriter: LinkRewriter) -> int:
    """Write `recommendations.csv` and `.json` from the reports' files, in the table's order."""
    slugs = list(dict.fromkeys(entry.report for entry in plan.recommendations.values()))
    if not slugs:
        return write_pages(build, SITE_DOWNLOADS, rewriter, plan)
    for fmt in DOWNLOAD_FORMATS:
        parts = [(build / f"reports/{slug}/recommendations.{fmt}").read_bytes() for slug in slugs]
        if fmt == "csv":  # one header, then every report's rows
            header, _, _ = parts[0].partition(b"\r\n")
            body = header + b"\r\n" + b"".join(part.partition(b"\r\n")[2] for part in parts)
        else:  # one JSON list holding every report's objects
            body = b"[" + b", ".join(part.strip()[1:-1] for part in parts) + b"]"
        target = build / f"recommendations.{fmt}"
        target.unlink(missing_ok=True)
        target.write_bytes(body)
    return len(DOWNLOAD_FORMATS)
