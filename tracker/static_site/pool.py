"""Writing a build's files, in several forked processes when the build is large enough.

Each process takes the next piece of work (a URL, a batch of recommendations or the calendars)
from a counter in shared memory until none is left, the slowest first, and reports any error
to the parent through a pipe."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection, connections
from django.urls import resolve

from tracker.static_site.folders import BuildError
from tracker.static_site.links import LinkRewriter
from tracker.static_site.plan import SITE_WIDE_URLS, SitePlan, file_for, recommendation_urls
from tracker.static_site.rendering import Calendars, Renderer, TablePages

logger = logging.getLogger(__name__)

SLOW_PAGE_SECONDS = 1.0  # pages slower than this are logged, to show where a build spends time


RECOMMENDATION_BATCH = 200  # recommendations fetched and rendered together


def write_pages(
    build: Path, urls: Iterable[str], rewriter: LinkRewriter, plan: SitePlan, jobs: int = 1
) -> int:
    """Render and write each URL; with `jobs` > 1, in that many forked processes, each taking
    the next piece of work from a shared queue until none is left.

    Recommendations' pages, feeds and badges are rendered in batches (see
    `Renderer.render_recommendations`), the pages made of the table's rows from rows fetched
    once (`TablePages`), the calendars from events written once (`Calendars`); every other URL
    through its view."""
    urls = list(dict.fromkeys(urls))
    units = work_units(urls, plan)
    # A site-wide page takes as long as many small ones: worth a process of its own.
    weight = len(urls) + settings.PUBLISH_MIN_PAGES_PER_PROCESS * len(
        set(urls).intersection(SITE_WIDE_URLS)
    )
    jobs = min(jobs, len(units), max(1, weight // settings.PUBLISH_MIN_PAGES_PER_PROCESS))
    if jobs <= 1 or not can_fork():
        _write_share(build, units, range(len(units)), rewriter, plan, urls)
        return len(urls)
    # The queue: a counter in shared memory; each process claims the next unit until none is left.
    claimed = multiprocessing.Value("Q", 0)
    connections.close_all()  # each process opens its own database connection
    children = []
    try:
        for _ in range(1, jobs):
            reader, writer = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: work through the queue, report any error, and exit
                os.close(reader)
                code = 0
                try:
                    _write_share(build, units, _claims(claimed, len(units)), rewriter, plan, urls)
                except BaseException as error:  # reported to the parent, which raises
                    os.write(writer, str(error).encode()[:4000] or b"failed")
                    code = 1
                finally:
                    os._exit(code)
            os.close(writer)
            children.append((pid, reader))
        _write_share(build, units, _claims(claimed, len(units)), rewriter, plan, urls)
    finally:
        with claimed.get_lock():  # nothing more is claimed: the others stop after an error here
            claimed.value = len(units)
        errors = []
        for pid, reader in children:
            with os.fdopen(reader, "rb") as pipe:
                message = pipe.read().decode()
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                errors.append(message or f"a build process ended with status {status}")
    if errors:
        raise BuildError("; ".join(errors))
    return len(urls)


def _claims(claimed, total: int) -> Iterator[int]:
    """The indexes of the units this process claims, one at a time, until all are claimed."""
    while True:
        with claimed.get_lock():
            index = claimed.value
            claimed.value = min(index + 1, total)
        if index >= total:
            return
        yield index


Unit = str | list[int] | tuple[str, ...]


def work_units(urls: list[str], plan: SitePlan) -> list[Unit]:
    """The pieces of work, the longest first so that the processes finish together: a URL to
    render on its own, a batch of recommendations' ids (their pages, feeds and badges), or a
    group of URLs rendered by one process (the calendars, which share their events)."""
    by_url = {
        url: pk
        for pk, entry in plan.recommendations.items()
        for url in recommendation_urls(entry.report, entry.number)
    }
    ids = list(dict.fromkeys(by_url[url] for url in urls if url in by_url))
    batches: list[Unit] = [
        ids[start : start + RECOMMENDATION_BATCH]
        for start in range(0, len(ids), RECOMMENDATION_BATCH)
    ]
    calendars = tuple(url for url in urls if Calendars.takes(url))
    site_wide = sorted((url for url in urls if url in SITE_WIDE_URLS), key=SITE_WIDE_URLS.index)
    others = [
        url
        for url in urls
        if url not in by_url and url not in site_wide and not Calendars.takes(url)
    ]
    return [*([calendars] if calendars else []), *site_wide, *batches, *others]


def can_fork() -> bool:
    """Forked processes read the database through their own connections: not possible inside a
    transaction (they would not see its rows) or with an in-memory SQLite database (tests). Nor
    while other threads run: a forked child can deadlock on a lock one of them held."""
    name = str(connection.settings_dict["NAME"])
    in_memory = connection.vendor == "sqlite" and (":memory:" in name or "mode=memory" in name)
    return (
        hasattr(os, "fork")
        and threading.active_count() == 1
        and not connection.in_atomic_block
        and not in_memory
    )


def _write_share(
    build: Path,
    units: list[Unit],
    indexes: Iterable[int],
    rewriter: LinkRewriter,
    plan: SitePlan,
    urls: list[str],
) -> None:
    """Render and write `units[i]` for each i of `indexes`; log where the time went."""
    renderer = Renderer()
    tables = TablePages(urls, plan, renderer)
    calendars = Calendars(urls, plan, renderer)
    wanted = set(urls)
    folders: set[Path] = set()
    spent: dict[str, list] = defaultdict(lambda: [0, 0.0])

    def write(url: str, body: bytes) -> None:
        file = file_for(url)
        if file.endswith(".html"):
            body = rewriter.rewrite(url, body.decode()).encode()
        target = build / file
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        # Never write into an existing file: it may be a hard link shared with the previous build.
        target.unlink(missing_ok=True)
        target.write_bytes(body)

    def render(url: str) -> bytes:
        if tables.handles(url):
            return tables.render(url)
        if calendars.handles(url):
            return calendars.render(url)
        return renderer.render(url)

    for index in indexes:
        unit = units[index]
        started = time.monotonic()
        if isinstance(unit, list):
            for url, body in renderer.render_recommendations(unit, plan.today):
                if url in wanted:
                    write(url, body)
            what, kind, count = (
                f"a batch of {len(unit)} recommendations",
                "recommendations",
                len(unit),
            )
        else:
            for url in (unit,) if isinstance(unit, str) else unit:
                write(url, render(url))
            what, kind, count = unit if isinstance(unit, str) else "the calendars", kind_of(unit), 1
        seconds = time.monotonic() - started
        spent[kind][0] += count
        spent[kind][1] += seconds
        if seconds > SLOW_PAGE_SECONDS:
            logger.info("Building: %s took %.1f s to render.", what, seconds)
    if spent:
        logger.info(
            "Building, time spent by this process: %s.",
            ", ".join(
                f"{kind} {count} in {seconds:.1f} s"
                for kind, (count, seconds) in sorted(spent.items(), key=lambda item: -item[1][1])
            ),
        )


def kind_of(unit: str | tuple[str, ...]) -> str:
    """What a piece of work is, for the log: its view's name (the site-wide pages by address)."""
    if isinstance(unit, tuple):
        return "calendars"
    if unit in SITE_WIDE_URLS:
        return unit
    path, _, query = unit.partition("?")
    name = resolve(path).url_name or path
    return f"{name} (download)" if "_export=" in query else name
