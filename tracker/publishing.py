"""The published view: the public pages, feeds and downloads written out as plain files.

A build renders every public page through the real URL configuration, views and templates (so
each page is what the live site sends an anonymous reader), then rewrites links so that every
internal link names a file in the build:

- `?page=N` on the table becomes `/recommendations/page/N/`; `?_export=csv|json` becomes
  `/recommendations.csv` (or, with `report=`, `/reports/<slug>/recommendations.csv`); XLSX is
  left to the live site;
- links that only a live server can answer (sorting, filters, `?as_of=`, subscriptions, the API)
  are replaced by their text, and the GET forms (filters) by a note;
- the project's own static files are copied under `/static/`.

Each build is a new folder beside the published path, `<name>.<timestamp>`; the published path is
a symbolic link that is switched to the new folder with one atomic rename, so a reader sees the
old site or the new one, never a mix. The previous build is kept (a reader who started on it can
finish); older ones are removed. A web server's root must point at the symbolic link.

An incremental build hard-links the current build's files into a new folder and re-renders only
the files that show a changed recommendation: its page, feed and badge, its report's files, its
owners' pages, the table pages it is listed on, and the site-wide pages, feeds and downloads
(the calendars only when deadlines changed). A recommendation has changed when its fingerprint
(its own row, its published updates, deadlines, responses and owners) differs from the one
recorded in the build's manifest. A new day, a new or removed report, organisation or
recommendation, or a build from another database means a full build; so does the daily job,
which also picks up renamed organisations and reports.

`jobs` > 1 renders in that many forked processes (each with its own database connection).
"""

from __future__ import annotations

import datetime
import fcntl
import hashlib
import html
import json
import logging
import os
import re
import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import connection, connections
from django.db.models import Count, Max
from django.http import Http404
from django.template.response import SimpleTemplateResponse
from django.test import RequestFactory
from django.urls import resolve
from django.utils import timezone

from tracker.as_of import AsOf
from tracker.models import (
    Deadline,
    Organisation,
    Ownership,
    Recommendation,
    Report,
    Response,
    StatusUpdate,
)
from tracker.tables import table_queryset
from tracker.views import RecommendationListView

logger = logging.getLogger(__name__)

MANIFEST_NAME = "publish-manifest.json"
MANIFEST_VERSION = 1
SLOW_PAGE_SECONDS = 1.0  # pages slower than this are logged, to show where a build spends time
BUILD_STAMP = re.compile(r"^\d{8}T\d{6}\.\d{6}(-\d+)?$")
# XLSX is left out: it is the slowest to write and adds nothing CSV does not hold.
DOWNLOAD_FORMATS = ("csv", "json")
# The whole table's downloads are joined from the reports' own (the same rows, in the same order),
# so a change re-renders one report's rows, not every row of every report.
SITE_DOWNLOADS = [f"/recommendations/?_export={fmt}" for fmt in DOWNLOAD_FORMATS]
STATIC_NOTE = (
    '<p class="note">This is a published copy of the tracker: it cannot filter or search. '
    'Every recommendation is listed on <a href="/recommendations/">All recommendations</a>, '
    'and the <a href="/data/">open data</a> downloads hold them all.</p>'
)
# Pages that show every recommendation, or the latest updates: rebuilt after any change.
SITE_WIDE_URLS = [
    "/",
    "/owners/",
    "/changes/",
    "/data/",
    "/updates.atom",
    "/changes.atom",
]
# Shown only where deadlines changed (a status update alone leaves them as they were).
SITE_WIDE_CALENDARS = ["/deadlines.ics"]
UNCHANGING_URLS = ["/methodology/"]
PUBLISH_REQUEST_KEY = "tracker:publish-site:latest-request"
PUBLISH_FIRST_REQUEST_KEY = "tracker:publish-site:first-request"


class PublishError(Exception):
    """The site cannot be published as asked; nothing was changed."""


@dataclass
class PublishResult:
    build: Path | None
    kind: str  # "full", "incremental" or "unchanged"
    files_written: int
    seconds: float
    changed: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        if self.kind == "unchanged":
            return f"Nothing has changed since the last build; kept {self.build}."
        what = (
            f"{len(self.changed)} changed recommendation(s), " if self.kind == "incremental" else ""
        )
        return (
            f"{self.kind.capitalize()} build: {what}{self.files_written} file(s) written "
            f"in {self.seconds:.1f} s into {self.build}."
        )


# --- What the site holds -------------------------------------------------------------------------


def file_for(url: str) -> str:
    """The file (relative to the build) that holds a page: `/a/b/` -> `a/b/index.html`."""
    path, _, query = url.partition("?")
    params = dict(parse_qsl(query))
    if path == "/recommendations/" and "_export" in params:
        if "report" in params:
            return f"reports/{params['report']}/recommendations.{params['_export']}"
        return f"recommendations.{params['_export']}"
    if path == "/recommendations/" and "page" in params:
        return f"recommendations/page/{params['page']}/index.html"
    path = path.lstrip("/")
    return f"{path}index.html" if path == "" or path.endswith("/") else path


def public_path(file: str) -> str:
    return "/" + (file[: -len("index.html")] if file.endswith("index.html") else file)


def normalise(url: str) -> str:
    """Path and sorted query, so `?b=1&a=2` and `?a=2&b=1` name the same page."""
    if "?" not in url and "#" not in url:
        return url
    parts = urlsplit(url)
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    if parts.path == "/recommendations/" and query == [("page", "1")]:
        query = []
    return parts.path + ("?" + urlencode(query) if query else "")


@dataclass
class SitePlan:
    """Every URL a build renders, and which recommendation shows on which files."""

    today: datetime.date
    reports: dict[int, str]  # pk -> slug
    organisations: dict[int, str]  # pk -> slug
    recommendations: dict[int, tuple[str, int, list[str], int]]  # pk -> slug, number, owners, page

    @classmethod
    def from_database(cls, today: datetime.date) -> SitePlan:
        owners: dict[int, list[str]] = defaultdict(list)
        for recommendation_id, slug in Ownership.objects.values_list(
            "recommendation_id", "organisation__slug"
        ).order_by("organisation__slug"):
            owners[recommendation_id].append(slug)
        per_page = RecommendationListView.paginate_by
        order = table_queryset(AsOf(day=today, today=today)).values_list(
            "pk", "report__slug", "number"
        )
        return cls(
            today=today,
            reports=dict(Report.objects.values_list("pk", "slug")),
            organisations=dict(Organisation.objects.values_list("pk", "slug")),
            recommendations={
                pk: (slug, number, owners[pk], position // per_page + 1)
                for position, (pk, slug, number) in enumerate(order)
            },
        )

    @property
    def list_pages(self) -> int:
        return max((entry[3] for entry in self.recommendations.values()), default=1)

    def same_shape_as(self, other: SitePlan) -> bool:
        return (
            self.reports == other.reports
            and self.organisations == other.organisations
            and {pk: entry[:2] + entry[3:] for pk, entry in self.recommendations.items()}
            == {pk: entry[:2] + entry[3:] for pk, entry in other.recommendations.items()}
        )

    def all_urls(self) -> list[str]:
        urls = [
            *SITE_WIDE_URLS,
            *SITE_WIDE_CALENDARS,
            *UNCHANGING_URLS,
            *self.list_page_urls(range(1, self.list_pages + 1)),
        ]
        urls += [url for slug in self.reports.values() for url in report_urls(slug)]
        urls += [f"/reports/{slug}/deadlines.ics" for slug in self.reports.values()]
        urls += [f"/owners/{slug}/" for slug in self.organisations.values()]
        for slug, number, _owners, _page in self.recommendations.values():
            urls += recommendation_urls(slug, number)
        return urls

    def urls_showing(
        self, changed: Iterable[int], deadlines_changed: Iterable[int], previous: SitePlan
    ) -> list[str]:
        """The files that show any of these recommendations, before or after the change; the
        calendars only for recommendations whose deadlines changed."""
        urls = list(SITE_WIDE_URLS)
        reports, owners, pages = set(), set(), set()
        for plan in (previous, self):
            for pk in changed:
                if pk not in plan.recommendations:
                    continue
                slug, number, owned_by, page = plan.recommendations[pk]
                urls += recommendation_urls(slug, number)
                reports.add(slug)
                owners.update(owned_by)
                pages.add(page)
        calendars = {self.recommendations[pk][0] for pk in deadlines_changed}
        urls += self.list_page_urls(sorted(pages))
        urls += [url for slug in sorted(reports) for url in report_urls(slug)]
        if calendars:
            urls += SITE_WIDE_CALENDARS
            urls += [f"/reports/{slug}/deadlines.ics" for slug in sorted(calendars)]
        urls += [f"/owners/{slug}/" for slug in sorted(owners)]
        return list(dict.fromkeys(urls))

    @staticmethod
    def list_page_urls(pages: Iterable[int]) -> list[str]:
        return [
            "/recommendations/" if page == 1 else f"/recommendations/?page={page}" for page in pages
        ]

    def to_json(self) -> dict:
        return {
            "today": self.today.isoformat(),
            "reports": self.reports,
            "organisations": self.organisations,
            "recommendations": self.recommendations,
        }

    @classmethod
    def from_json(cls, data: dict) -> SitePlan:
        return cls(
            today=datetime.date.fromisoformat(data["today"]),
            reports={int(k): v for k, v in data["reports"].items()},
            organisations={int(k): v for k, v in data["organisations"].items()},
            recommendations={
                int(k): (v[0], v[1], list(v[2]), v[3]) for k, v in data["recommendations"].items()
            },
        )


def report_urls(slug: str) -> list[str]:
    return [
        f"/reports/{slug}/",
        f"/reports/{slug}/updates.atom",
        f"/reports/{slug}/badge.svg",
        *(f"/recommendations/?report={slug}&_export={fmt}" for fmt in DOWNLOAD_FORMATS),
    ]


def recommendation_urls(slug: str, number: int) -> list[str]:
    base = f"/reports/{slug}/{number}/"
    return [base, f"{base}updates.atom", f"{base}badge.svg"]


def fingerprints() -> dict[int, str]:
    """A digest per recommendation of everything its own page shows that editors can change, as
    `<everything but deadlines>:<deadlines>`, so a change to the calendars can be told apart.
    One grouped query per table: each reads its table once, whatever the number of rows."""

    def per_recommendation(queryset, stamp: str = "updated_at") -> dict[int, tuple]:
        rows = queryset.order_by().values("recommendation").annotate(n=Count("pk"), at=Max(stamp))
        return {row["recommendation"]: (row["n"], row["at"]) for row in rows}

    ledger = [
        per_recommendation(StatusUpdate.objects.published(), stamp="published_at"),
        per_recommendation(Response.objects.all()),
        per_recommendation(Ownership.objects.all()),
    ]
    deadlines = per_recommendation(Deadline.objects.all())

    def digest(values) -> str:
        return hashlib.sha256(repr(values).encode()).hexdigest()[:12]

    def fingerprint(pk: int, updated_at) -> str:
        others = digest((updated_at, *(part.get(pk) for part in ledger)))
        return f"{others}:{digest(deadlines.get(pk))}"

    own_rows = Recommendation.objects.order_by().values_list("pk", "updated_at")
    return {pk: fingerprint(pk, updated_at) for pk, updated_at in own_rows}


# --- Rendering and links -------------------------------------------------------------------------


class Renderer:
    """Calls the real views with a plain GET, as the live site would answer an anonymous reader.

    The views are called directly rather than through the middleware: middleware only adds
    headers (security, CSP) or serves caches and sessions, none of which belongs in a file, and
    skipping it keeps 30,000 pages from filling the page cache."""

    def __init__(self):
        site = urlsplit(settings.SITE_URL)
        self.secure = site.scheme == "https"
        self.factory = RequestFactory(HTTP_HOST=site.netloc or "localhost")

    def render(self, url: str) -> bytes:
        request = self.factory.get(url, secure=self.secure)
        request.user = AnonymousUser()
        try:
            match = resolve(request.path_info)
            request.resolver_match = match
            response = match.func(request, *match.args, **match.kwargs)
        except Http404 as error:
            raise PublishError(f"{url} was not found: {error}") from error
        except DisallowedHost as error:
            raise PublishError(
                f"The host of SITE_URL ({settings.SITE_URL}) must be in DJANGO_ALLOWED_HOSTS."
            ) from error
        if isinstance(response, SimpleTemplateResponse):
            response.render()
        if response.status_code != 200:
            raise PublishError(f"{url} answered {response.status_code}, not 200.")
        if response.streaming:
            return b"".join(response.streaming_content)
        return response.content


ANCHOR = re.compile(r"<a\b([^>]*?)\bhref=\"([^\"]*)\"([^>]*)>(.*?)</a>", re.DOTALL)
OTHER_LINK = re.compile(r"<(?:link|img|script|source)\b[^>]*?\b(?:href|src)=\"([^\"]*)\"[^>]*>")
GET_FORM = re.compile(r"<form\b[^>]*method=\"get\"[^>]*>.*?</form>", re.DOTALL)


class LinkRewriter:
    """Points every internal link at a file in the build, or drops it."""

    def __init__(self, urls: Iterable[str], static_paths: Iterable[str]):
        self.targets = {normalise(url): public_path(file_for(url)) for url in urls}
        self.targets.update({path: path for path in static_paths})

    def target(self, page_url: str, href: str) -> str | None:
        """The address to keep, or None when the link cannot work in a static copy."""
        raw = html.unescape(href)
        parts = urlsplit(raw)
        if parts.scheme or parts.netloc or raw.startswith("#") or raw == "":
            return href  # another site, an e-mail address, or a place on this page
        resolved = urlsplit(urljoin(page_url, raw))
        found = self.targets.get(normalise(resolved._replace(fragment="").geturl()))
        if found is None:
            return None
        return html.escape(found + (f"#{resolved.fragment}" if resolved.fragment else ""))

    def rewrite(self, page_url: str, text: str) -> str:
        text = GET_FORM.sub(STATIC_NOTE, text)

        def anchor(match: re.Match) -> str:
            before, href, after, inner = match.groups()
            target = self.target(page_url, href)
            if target is None:
                return inner
            return f'<a{before}href="{target}"{after}>{inner}</a>'

        def other(match: re.Match) -> str:
            target = self.target(page_url, match.group(1))
            if target is None:
                return ""
            return match.group(0).replace(f'"{match.group(1)}"', f'"{target}"', 1)

        return OTHER_LINK.sub(other, ANCHOR.sub(anchor, text))


def static_files() -> dict[str, str]:
    """The project's own static files (`STATICFILES_DIRS`): public path -> file on disk."""
    return {
        settings.STATIC_URL + relative.replace(os.sep, "/"): storage.path(relative)
        for relative, storage in finders.FileSystemFinder().list([])
    }


def write_pages(build: Path, urls: Iterable[str], rewriter: LinkRewriter, jobs: int = 1) -> int:
    """Render and write each URL; with `jobs` > 1, in that many forked processes."""
    urls = list(urls)
    jobs = min(jobs, max(1, len(urls) // settings.PUBLISH_MIN_PAGES_PER_PROCESS))
    if jobs <= 1 or not can_fork():
        return _write_share(build, urls, rewriter)
    connections.close_all()  # each process opens its own database connection
    children = []
    for index in range(1, jobs):
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: write its share, report any error through the pipe, and exit
            os.close(reader)
            code = 0
            try:
                _write_share(build, urls[index::jobs], rewriter)
            except BaseException as error:  # reported to the parent, which raises
                os.write(writer, str(error).encode()[:4000] or b"failed")
                code = 1
            finally:
                os._exit(code)
        os.close(writer)
        children.append((pid, reader))
    try:
        written = _write_share(build, urls[0::jobs], rewriter)
    finally:
        errors = []
        for pid, reader in children:
            with os.fdopen(reader, "rb") as pipe:
                message = pipe.read().decode()
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                errors.append(message or f"a build process ended with status {status}")
    if errors:
        raise PublishError("; ".join(errors))
    return written + sum(len(urls[index::jobs]) for index in range(1, jobs))


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


def _write_share(build: Path, urls: list[str], rewriter: LinkRewriter) -> int:
    renderer = Renderer()
    for url in urls:
        started = time.monotonic()
        body = renderer.render(url)
        if (seconds := time.monotonic() - started) > SLOW_PAGE_SECONDS:
            logger.info("Publishing: %s took %.1f s to render.", url, seconds)
        file = file_for(url)
        if file.endswith(".html"):
            body = rewriter.rewrite(url, body.decode()).encode()
        target = build / file
        target.parent.mkdir(parents=True, exist_ok=True)
        # Never write into an existing file: it may be a hard link shared with the previous build.
        target.unlink(missing_ok=True)
        target.write_bytes(body)
    return len(urls)


# --- Builds, the swap, and the lock --------------------------------------------------------------


def database_name() -> str:
    return str(connection.settings_dict["NAME"])


def current_build(out: Path) -> Path | None:
    if out.is_symlink():
        target = out.parent / os.readlink(out)
        return target if target.is_dir() else None
    if out.exists():
        raise PublishError(
            f"{out} exists and is not a symbolic link. publish_site keeps each build in its own "
            f"folder beside it and points {out.name} at the latest; move {out} away or choose "
            "another --out."
        )
    return None


def read_manifest(build: Path | None) -> dict | None:
    if build is None:
        return None
    try:
        manifest = json.loads((build / MANIFEST_NAME).read_text())
    except (OSError, ValueError):
        return None
    return manifest if manifest.get("version") == MANIFEST_VERSION else None


def new_build_dir(out: Path) -> Path:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S.%f")
    for attempt in range(1000):
        build = out.parent / (f"{out.name}.{stamp}" + (f"-{attempt}" if attempt else ""))
        try:
            build.mkdir()
        except FileExistsError:
            continue
        return build
    raise PublishError(f"Could not make a new build folder beside {out}.")


def switch_to(out: Path, build: Path) -> None:
    """Point `out` at `build` in one atomic rename, then remove builds older than the previous."""
    previous = out.parent / os.readlink(out) if out.is_symlink() else None
    temporary = out.parent / f".{out.name}.switch-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    os.symlink(build.name, temporary)
    os.replace(temporary, out)
    keep = {build.name, previous.name if previous else None}
    for sibling in out.parent.iterdir():
        name = sibling.name
        is_build = name.startswith(f"{out.name}.") and BUILD_STAMP.match(name[len(out.name) + 1 :])
        if is_build and name not in keep and sibling.is_dir() and not sibling.is_symlink():
            shutil.rmtree(sibling)


@contextmanager
def build_lock(out: Path):
    """One build at a time per published path (the command and the job may overlap)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def publish_site(out: Path, *, only_changed: bool = False, jobs: int = 1) -> PublishResult:
    """Build the published view into a new folder beside `out` and switch `out` to it.

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
                    return PublishResult(previous_build, "unchanged", 0, time.monotonic() - started)
                build = new_build_dir(out)
                try:
                    link_tree(previous_build, build)
                    urls = plan.urls_showing(changed, deadlines_changed, previous_plan)
                    written = write_pages(build, urls, rewriter, jobs)
                    written += join_site_downloads(build, plan, rewriter)
                    write_manifest(build, plan, prints)
                except BaseException:
                    shutil.rmtree(build, ignore_errors=True)
                    raise
                switch_to(out, build)
                return PublishResult(
                    build, "incremental", written, time.monotonic() - started, changed
                )
        build = new_build_dir(out)
        try:
            written = write_pages(build, plan.all_urls(), rewriter, jobs)
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
        return PublishResult(build, "full", written + len(statics), time.monotonic() - started)


def join_site_downloads(build: Path, plan: SitePlan, rewriter: LinkRewriter) -> int:
    """Write `recommendations.csv` and `.json` from the reports' files, in the table's order."""
    slugs = list(dict.fromkeys(entry[0] for entry in plan.recommendations.values()))
    if not slugs:
        return write_pages(build, SITE_DOWNLOADS, rewriter)
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


def link_tree(source: Path, target: Path) -> None:
    """Hard-link every file of `source` into `target` (falls back to copying across devices)."""
    shutil.copytree(source, target, copy_function=os.link, dirs_exist_ok=True)


def write_manifest(build: Path, plan: SitePlan, prints: dict[int, str]) -> None:
    manifest = {
        "version": MANIFEST_VERSION,
        "database": database_name(),
        "plan": plan.to_json(),
        "fingerprints": {str(pk): digest for pk, digest in prints.items()},
    }
    target = build / MANIFEST_NAME
    target.unlink(missing_ok=True)
    target.write_text(json.dumps(manifest))


# --- Asking the job to publish -------------------------------------------------------------------


def is_published_from_this_database(out: Path) -> bool:
    """The jobs only refresh a published view that `publish_site` made from this database, so a
    test run or another database never overwrites it, and nothing is published until asked once."""
    try:
        manifest = read_manifest(current_build(Path(out)))
    except PublishError:
        return False
    return bool(manifest) and manifest["database"] == database_name()


def request_publication() -> None:
    """After a publication commits: queue an incremental build `PUBLISH_DEBOUNCE_SECONDS` later.

    Each request records itself as the latest; a queued build that is no longer the latest skips,
    so a burst of publications makes one build after the burst (or after `PUBLISH_MAX_WAIT_SECONDS`
    at most). The build itself finds what changed from the database, so a skipped or repeated
    build loses nothing."""
    from tracker.tasks import publish_site_task

    if not is_published_from_this_database(settings.PUBLISH_DIR):
        return
    token = hashlib.sha256(os.urandom(16)).hexdigest()[:16]
    cache.set(PUBLISH_REQUEST_KEY, token, timeout=settings.PUBLISH_MAX_WAIT_SECONDS * 2)
    cache.add(PUBLISH_FIRST_REQUEST_KEY, time.time(), timeout=settings.PUBLISH_MAX_WAIT_SECONDS * 2)
    publish_site_task.apply_async(
        kwargs={"only_changed": True, "token": token}, countdown=settings.PUBLISH_DEBOUNCE_SECONDS
    )


def is_superseded(token: str | None) -> bool:
    """True when a later request will build anyway (and the first request has not waited too long).
    An unknown marker (expired, or a cache not shared between processes) never skips a build."""
    if token is None:
        return False
    latest = cache.get(PUBLISH_REQUEST_KEY)
    first = cache.get(PUBLISH_FIRST_REQUEST_KEY)
    waited_too_long = first is not None and time.time() - first > settings.PUBLISH_MAX_WAIT_SECONDS
    return latest is not None and latest != token and not waited_too_long


def mark_request_handled() -> None:
    cache.delete(PUBLISH_FIRST_REQUEST_KEY)


def request_full_publication() -> None:
    """After the daily snapshot: rebuild the whole published view, if there is one."""
    from tracker.tasks import publish_site_task

    if is_published_from_this_database(settings.PUBLISH_DIR):
        publish_site_task.delay()
