"""The static site: `manage.py build_site`, its incremental rebuild and its job."""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import re
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from icalendar import Calendar

from tests.conftest import require
from tests.factories import (
    ContactFactory,
    DeadlineFactory,
    RecommendationFactory,
    ReportFactory,
    ResponseFactory,
    StatusUpdateFactory,
    make_editor,
)
from tests.factories_pages import NOW
from tests.private_services import database_url_for_subprocess
from tracker import tasks
from tracker.jobs.snapshots import take_snapshot
from tracker.models import Check, ImplementationStatus, Recommendation, StatusUpdate, Subscription
from tracker.public import calendar as calendar_feed
from tracker.public.views import RecommendationListView
from tracker.static_site import links, pool, rendering
from tracker.static_site import plan as site_plan
from tracker.static_site import requests as build_requests
from tracker.static_site.folders import BuildError
from tracker.updates import publish_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample(sample):
    with time_machine.travel(NOW, tick=False):
        # A third report, and pages of two rows, so the table runs to several pages.
        many = ReportFactory(slug="long-inquiry", title="Long inquiry", short_name="Long")
        for number in range(1, 6):
            RecommendationFactory(report=many, number=number)
        take_snapshot(NOW.date())
        yield sample


@pytest.fixture(autouse=True)
def _short_pages(monkeypatch):
    monkeypatch.setattr(RecommendationListView, "paginate_by", 2)


@pytest.fixture
def out(tmp_path, settings):
    settings.PUBLISH_DIR = tmp_path / "site"
    return tmp_path / "site"


def build(out: Path, *args: str) -> str:
    stdout = io.StringIO()
    call_command("build_site", "--out", str(out), *args, stdout=stdout)
    return stdout.getvalue()


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.forms = 0

    def handle_starttag(self, tag, attrs):
        # The header's search box is the one form kept: it searches on the live site.
        action = dict(attrs).get("action") or ""
        self.forms += tag == "form" and not action.startswith(("http://", "https://"))
        self.links += [value for name, value in attrs if name in ("href", "src") and value]


def file_for_link(root: Path, href: str) -> Path:
    path = urlsplit(href).path
    return root / (path.lstrip("/") + ("index.html" if path.endswith("/") else ""))


def html_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


def test_a_full_build_holds_the_whole_public_view_and_every_internal_link_resolves(sample, out):
    with time_machine.travel(NOW, tick=False):
        message = build(out)

    assert message.startswith("Full build:")
    assert out.is_symlink()
    assert not os.readlink(out).startswith("/"), "a relative link, so the folder can move"
    for page in [
        "index.html",
        "recommendations/index.html",
        "recommendations/page/4/index.html",
        "owners/index.html",
        "owners/example-lead/index.html",
        "reports/index.html",
        "reports/test-inquiry/index.html",
        "reports/test-inquiry/1/index.html",
        "reports/test-inquiry/1/updates.atom",
        "reports/test-inquiry/1/badge.svg",
        "reports/test-inquiry/deadlines.ics",
        "reports/test-inquiry/recommendations.csv",
        "changes/index.html",
        "data/index.html",
        "methodology/index.html",
        "updates.atom",
        "changes.atom",
        "deadlines.ics",
        "recommendations.csv",
        "recommendations.json",
        "static/tracker/site.css",
    ]:
        assert (out / page).is_file(), page

    checked = 0
    for page in html_files(out):
        parser = Links()
        parser.feed(page.read_text())
        assert parser.forms == 0, f"{page}: a form cannot work on a static host"
        for href in parser.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith("#"):
                continue
            assert not parts.query, f"{page}: {href} needs a live server"
            assert href.startswith("/"), f"{page}: {href}"
            assert file_for_link(out, href).is_file(), f"{page} links to missing {href}"
            checked += 1
    assert checked > 300

    home = (out / "index.html").read_text()
    assert "Newest fact shown: 1 May 2026." in home
    assert "Data as of" not in home
    assert 'href="/reports/test-inquiry/1/"' in home
    assert 'href="/reports/"' in home  # the navigation's list of every report
    table = (out / "recommendations/index.html").read_text()
    assert 'href="/recommendations/page/2/"' in table
    assert 'href="/recommendations.csv"' in table
    report_page = (out / "reports/test-inquiry/index.html").read_text()
    assert 'href="/reports/test-inquiry/recommendations.json"' in report_page

    rows = list(csv.DictReader(io.StringIO((out / "recommendations.csv").read_text())))
    assert len(rows) == 8
    report_rows = json.loads((out / "reports/test-inquiry/recommendations.json").read_text())
    assert [row["No."] for row in report_rows] == [1, 2]


def test_a_published_page_is_the_live_page_with_its_links_pointed_at_files(sample, out, client):
    with time_machine.travel(NOW, tick=False):
        build(out)
        live = client.get("/reports/test-inquiry/1/").content.decode()
        plan = site_plan.SitePlan.from_database(NOW.date())
        rewriter = links.LinkRewriter(plan.all_urls(), links.static_files())

        live_downloads = {
            fmt: client.get(f"/recommendations/?_export={fmt}").getvalue()
            for fmt in ("csv", "json")
        }

    published = (out / "reports/test-inquiry/1/index.html").read_text()
    assert published == rewriter.rewrite("/reports/test-inquiry/1/", live)
    for fmt, content in live_downloads.items():
        assert (out / f"recommendations.{fmt}").read_bytes() == content, "joined as the live one"
    assert "An example consultation opened." in published
    assert "The example Welsh part has not begun." in published


def test_the_export_holds_no_draft_no_address_and_no_unpublished_update(sample, out):
    with time_machine.travel(NOW, tick=False):
        StatusUpdateFactory(recommendation=sample.overdue, summary="Unpublished draft wording.")
        ContactFactory(organisation=sample.lead, email="named.contact@example.org")
        Subscription.objects.create(email="reader@example.org", report=sample.report)
        editor = make_editor("publisher")
        editor.email = "editor.address@example.org"
        editor.save()
        update = StatusUpdateFactory(recommendation=sample.done, summary="Published by an editor.")
        publish_update(update, by=editor, at=NOW)
        build(out)

    everything = b"".join(path.read_bytes() for path in out.rglob("*") if path.is_file())
    assert b"Published by an editor." in everything
    for secret in [
        b"Unpublished draft wording.",
        b"named.contact@example.org",
        b"reader@example.org",
        b"editor.address@example.org",
    ]:
        assert secret not in everything


def publish_example_update(sample) -> None:
    """Publish one update about `sample.done`: "An example review confirmed the plan."."""
    update = StatusUpdateFactory(
        recommendation=sample.done,
        describes_on=datetime.date(2026, 11, 20),
        status=ImplementationStatus.IMPLEMENTED,
        summary="An example review confirmed the plan.",
    )
    publish_update(update, by=None, at=NOW)


def test_after_one_update_only_the_pages_that_show_it_are_rewritten(sample, out):
    with time_machine.travel(NOW, tick=False):
        build(out)
        first = out.resolve()
        publish_example_update(sample)
        message = build(out, "--only-changed")
    second = out.resolve()

    assert message.startswith("Incremental build: 1 changed recommendation(s),")
    assert second != first
    assert first.is_dir(), "the previous build is kept"

    def same_file(page: str) -> bool:
        return (first / page).stat().st_ino == (second / page).stat().st_ino

    news = "An example review confirmed the plan."
    for page in ["reports/second-inquiry/1/index.html", "index.html", "updates.atom"]:
        assert news in (second / page).read_text(), f"{page} shows the new update"
    for page in [
        "reports/second-inquiry/1/index.html",
        "reports/second-inquiry/1/updates.atom",
        "reports/second-inquiry/index.html",
        "owners/example-lead/index.html",
        "recommendations/page/4/index.html",  # the table page listing it (by report date)
        "index.html",
        "updates.atom",
        "recommendations.csv",
        "methodology/index.html",  # counts the claims resting on primary sources
        "sources/index.html",
    ]:
        assert not same_file(page), f"{page} shows the recommendation and is rebuilt"
    for page in [
        "deadlines.ics",  # a status update leaves the calendars as they were
        "reports/second-inquiry/deadlines.ics",
        "reports/test-inquiry/1/index.html",
        "reports/test-inquiry/index.html",
        "reports/long-inquiry/5/index.html",
        "owners/example-wales/index.html",
        "recommendations/index.html",
        "static/tracker/site.css",
    ]:
        assert same_file(page), f"{page} does not show the recommendation and is not rewritten"
    assert news not in (first / "index.html").read_text(), "the previous build is untouched"

    with time_machine.travel(NOW, tick=False):
        assert build(out, "--only-changed").startswith("Nothing has changed")
    assert out.resolve() == second


def published_files(root: Path) -> dict[str, bytes]:
    root = root.resolve()
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_an_incremental_build_writes_what_a_full_build_would(sample, out, tmp_path):
    with time_machine.travel(NOW, tick=False):
        build(out)
        publish_example_update(sample)
        assert build(out, "--only-changed").startswith("Incremental build:")
        build(tmp_path / "full")

    incremental, full = published_files(out), published_files(tmp_path / "full")
    assert "An example review confirmed the plan." in incremental["index.html"].decode()
    assert incremental == full


def test_a_build_removes_what_a_killed_build_left_behind(sample, out):
    with time_machine.travel(NOW, tick=False):
        build(out)
        # A killed incremental build leaves its folder of fresh files; a killed full build, a
        # build folder the site never pointed at.
        fresh = out.parent / ".site.20261122T010203.000000.fresh"
        (fresh / "reports").mkdir(parents=True)
        unfinished = out.parent / "site.20261122T010204.000000"
        (unfinished / "reports").mkdir(parents=True)
        build(out)
    deadline = time.monotonic() + 30  # old folders are deleted by a process of their own
    while (fresh.exists() or unfinished.exists()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not fresh.exists()
    assert not unfinished.exists()


def test_a_new_day_or_a_new_recommendation_means_a_full_build(sample, out):
    with time_machine.travel(NOW, tick=False):
        build(out)
    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        assert build(out, "--only-changed").startswith("Full build:")
        RecommendationFactory(report=sample.second_report, number=2)
        assert build(out, "--only-changed").startswith("Full build:")
        assert (out / "reports/second-inquiry/2/index.html").is_file()
        methodology = (out / "methodology/index.html").read_text()
        assert "This page was generated on 24 November 2026." in methodology


def test_the_swap_keeps_the_previous_build_and_prunes_older_ones(sample, out):
    with time_machine.travel(NOW, tick=False):
        builds = []
        for _ in range(3):
            build(out)
            builds.append(out.resolve())
    assert out.resolve() == builds[2]
    kept = sorted(p for p in out.parent.iterdir() if p.name.startswith("site.") and p.is_dir())
    assert kept == [builds[1], builds[2]]


def test_a_failed_build_leaves_the_published_site_as_it_was(sample, out, monkeypatch):
    with time_machine.travel(NOW, tick=False):
        build(out)
        before = out.resolve()

        def broken(self, url):
            raise BuildError(f"{url} answered 500, not 200.")

        monkeypatch.setattr(rendering.Renderer, "render", broken)
        with pytest.raises(CommandError, match="answered 500"):
            build(out)
    assert out.resolve() == before
    assert [p for p in out.parent.iterdir() if p.name.startswith("site.")] == [before]


def test_bad_arguments_get_a_clear_message_and_change_nothing(tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "index.html").write_text("someone's own page")
    with pytest.raises(CommandError, match="is not a symbolic link"):
        build(folder)
    assert (folder / "index.html").read_text() == "someone's own page"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.lock", "site"]
    with pytest.raises(CommandError, match="needs a folder path"):
        build(Path(" "))
    with pytest.raises(CommandError, match="must name the link"):
        call_command("build_site", "--out", str(tmp_path) + "/..")
    a_file = tmp_path / "file"
    a_file.write_text("")
    with pytest.raises(CommandError, match="is not a folder"):
        build(a_file / "site")


# --- The job -------------------------------------------------------------------------------------


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr(
        tasks.build_site_task,
        "apply_async",
        lambda kwargs=None, countdown=None: calls.append((kwargs, countdown)),
    )
    monkeypatch.setattr(tasks.build_site_task, "delay", lambda **kwargs: calls.append(kwargs))
    cache.clear()
    return calls


def test_nothing_is_queued_until_the_site_has_been_published_once(
    sample, out, queued, django_capture_on_commit_callbacks
):
    update = StatusUpdateFactory(recommendation=sample.done, summary="One.")
    with django_capture_on_commit_callbacks(execute=True):
        publish_update(update, by=None, at=NOW)
    assert queued == []


def test_publishing_updates_asks_once_per_transaction_for_a_debounced_rebuild(
    sample, out, queued, settings, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        build(out)
    with django_capture_on_commit_callbacks(execute=True):
        for recommendation in (sample.overdue, sample.done):
            update = StatusUpdateFactory(recommendation=recommendation, summary="An update.")
            publish_update(update, by=None, at=NOW)
    assert len(queued) == 1
    kwargs, countdown = queued[0]
    assert kwargs["only_changed"] is True
    assert countdown == settings.PUBLISH_DEBOUNCE_SECONDS


def test_a_check_from_the_admin_button_asks_for_a_rebuild_of_the_pages_that_show_it(
    sample, out, queued, client, django_capture_on_commit_callbacks
):
    """ "Checked, nothing new" is news for the pages: each says when it was last checked."""
    client.force_login(make_editor())
    button = reverse("admin:tracker_recommendation_checked_nothing_new", args=[sample.done.pk])
    with time_machine.travel(NOW, tick=False):
        build(out)
        first = out.resolve()
        page = (first / "reports/second-inquiry/1/index.html").read_text()
        assert "Not yet checked for new developments." in page
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(button).status_code == 302
        assert len(queued) == 1
        kwargs, _countdown = queued[0]
        assert kwargs["only_changed"] is True
        message = tasks.build_site_task.apply(kwargs=kwargs).get()
    assert message.startswith("Incremental build: 1 changed recommendation(s)")
    second = out.resolve()
    page = (second / "reports/second-inquiry/1/index.html").read_text()
    assert "Last checked for new developments on 23 November 2026." in page
    assert "23 November 2026" in (second / "reports/second-inquiry/index.html").read_text()
    unchanged = "reports/test-inquiry/1/index.html"
    assert (first / unchanged).stat().st_ino == (second / unchanged).stat().st_ino


def test_checks_saved_anywhere_ask_for_one_rebuild_per_transaction(
    sample, out, queued, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        build(out)
        with django_capture_on_commit_callbacks(execute=True):
            Check.objects.record_nothing_new([sample.done, sample.overdue], by=None, on=NOW.date())
    assert len(queued) == 1


def test_a_check_deleted_asks_for_a_rebuild(
    sample, out, queued, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        # Made in bulk (no signal), so the only request is the deletion's.
        Check.objects.bulk_create([Check(recommendation=sample.done, checked_on=NOW.date())])
        build(out)
        with django_capture_on_commit_callbacks(execute=True):
            Check.objects.filter(recommendation=sample.done).delete()
    assert len(queued) == 1


def test_the_job_skips_a_superseded_request_and_builds_the_latest(sample, out, queued):
    with time_machine.travel(NOW, tick=False):
        build(out)
        before = out.resolve()
        for summary in ("First of a burst.", "Second of a burst."):
            update = StatusUpdateFactory(recommendation=sample.done, summary=summary)
            update.state = StatusUpdate.State.PUBLISHED
            update.published_at = NOW
            update.save()
            build_requests.request_build()
        (early, _), (latest, _) = queued

        skipped = tasks.build_site_task.apply(kwargs=early).get()
        assert skipped.startswith("Skipped")
        assert out.resolve() == before

        built = tasks.build_site_task.apply(kwargs=latest).get()
    assert built.startswith("Incremental build: 1 changed recommendation(s)")
    page = (out / "reports/second-inquiry/1/index.html").read_text()
    assert "First of a burst." in page
    assert "Second of a burst." in page


def test_the_job_waits_no_longer_than_the_maximum(sample, out, queued, settings):
    with time_machine.travel(NOW, tick=False):
        build(out)
        build_requests.request_build()
    with time_machine.travel(NOW + datetime.timedelta(minutes=1), tick=False):
        build_requests.request_build()
    (early, _), _ = queued
    settings.PUBLISH_MAX_WAIT_SECONDS = 30
    with time_machine.travel(NOW + datetime.timedelta(minutes=2), tick=False):
        assert not tasks.build_site_task.apply(kwargs=early).get().startswith("Skipped")


def test_the_daily_snapshot_republishes_a_site_published_from_this_database(sample, out, queued):
    with time_machine.travel(NOW, tick=False):
        tasks.take_snapshot_task.apply().get()
        assert queued == []
        build(out)
        tasks.take_snapshot_task.apply().get()
    assert queued == [{}]


def test_the_job_builds_into_the_publish_dir_setting(sample, out):
    with time_machine.travel(NOW, tick=False):
        result = tasks.build_site_task.apply().get()
    assert result.startswith("Full build:")
    assert (out / "reports/test-inquiry/1/index.html").is_file()


def test_a_new_deadline_rebuilds_the_calendars(sample, out):
    with time_machine.travel(NOW, tick=False):
        build(out)
        first = out.resolve()
        DeadlineFactory(
            recommendation=sample.unknown,
            stated_as="by the end of 2027",
            due_date=datetime.date(2027, 12, 31),
            promised_on=datetime.date(2026, 11, 20),
        )
        assert build(out, "--only-changed").startswith("Incremental build")
    for calendar in ["deadlines.ics", "reports/test-inquiry/deadlines.ics"]:
        assert "by the end of 2027" in (out / calendar).read_text()
    assert (first / "reports/second-inquiry/deadlines.ics").stat().st_ino == (
        out / "reports/second-inquiry/deadlines.ics"
    ).stat().st_ino


def test_a_response_given_or_a_report_response_date_rebuilds_calendars_and_pages(sample, out):
    """The calendars carry the dates responses are due, and the pages say when one is late."""
    with time_machine.travel(NOW, tick=False):
        build(out)
        first = out.resolve()
        assert "Second 1: response due" in (first / "deadlines.ics").read_text()
        ResponseFactory(recommendation=sample.done, organisation=sample.lead)
        assert build(out, "--only-changed").startswith("Incremental build: 1 changed")
        second = out.resolve()
        assert "Second 1: response due" not in (second / "deadlines.ics").read_text()
        assert (
            "Second 1: response due"
            not in (second / "reports/second-inquiry/deadlines.ics").read_text()
        )
        assert (first / "reports/test-inquiry/deadlines.ics").stat().st_ino == (
            second / "reports/test-inquiry/deadlines.ics"
        ).stat().st_ino
        # A report's own response date moves its recommendations' clocks.
        sample.report.response_due_on = datetime.date(2027, 1, 31)
        sample.report.save()
        assert build(out, "--only-changed").startswith("Incremental build")
    calendar = (out / "reports/test-inquiry/deadlines.ics").read_text()
    assert "DTSTART;VALUE=DATE:20270131" in calendar
    page = (out / "reports/test-inquiry/2/index.html").read_text()
    assert "Late:" not in page


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_build_in_several_processes_writes_the_same_files(sample, tmp_path):
    """The real command in a fresh process (forking a multi-threaded test runner could deadlock)."""
    require(
        connection.vendor == "postgresql",
        "Building in several processes needs a database on disk (PostgreSQL).",
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "TRACKER_PUBLISH_MIN_PAGES_PER_PROCESS": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }

    def build(folder: Path, jobs: str) -> dict[str, bytes]:
        subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", "build_site", "--out", str(folder), "--jobs", jobs],
            cwd=django_settings.BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        root = folder.resolve()
        return {
            str(path.relative_to(root)): without_build_time(path)
            for path in sorted(root.rglob("*"))
            if path.is_file()
        }

    def without_build_time(path: Path) -> bytes:
        """An Atom feed with no entries is dated when it was built; nothing else may differ."""
        content = path.read_bytes()
        if path.suffix == ".atom" and b"<entry>" not in content:
            content = re.sub(rb"<updated>[^<]*</updated>", b"<updated/>", content)
        return content

    one, three = build(tmp_path / "one", "1"), build(tmp_path / "three", "3")
    assert len(one) > 50
    assert one == three


# --- The published files are the live responses ---------------------------------------------------


def test_every_published_file_is_what_the_live_site_sends_with_its_links_pointed_at_files(
    sample, out, client, monkeypatch
):
    """Recommendations are rendered in batches, the table's pages from rows fetched once and the
    calendars from events written once: each file is still, byte for byte, what the live site
    sends an anonymous reader for that address."""
    monkeypatch.setattr(rendering.TablePages, "MIN_LIST_PAGES", 1)  # the table's pages too
    with time_machine.travel(NOW, tick=False):
        build(out)
        plan = site_plan.SitePlan.from_database(NOW.date())
        urls = plan.all_urls()
        rewriter = links.LinkRewriter([*urls, *site_plan.SITE_DOWNLOADS], links.static_files())
        site = urlsplit(django_settings.SITE_URL)  # the host the published feeds name
        for url in urls:
            response = client.get(
                url, HTTP_HOST=site.netloc or "localhost", secure=site.scheme == "https"
            )
            assert response.status_code == 200, url
            live = response.getvalue()
            file = site_plan.file_for(url)
            if file.endswith(".html"):
                live = rewriter.rewrite(url, live.decode()).encode()
            assert (out / file).read_bytes() == live, f"{file} differs from {url}"
    kinds = {pool.kind_of(url) for url in urls}
    assert {"recommendation_detail", "recommendation_feed", "recommendation_badge"} <= kinds
    assert {"report_detail", "owner_detail", "recommendation_list"} <= kinds
    assert {"report_deadlines_calendar", "/"} <= kinds


def test_recommendations_are_rendered_in_the_same_number_of_queries_however_many(
    sample, django_assert_max_num_queries
):
    renderer = rendering.Renderer()
    ids = list(Recommendation.objects.values_list("pk", flat=True))
    assert len(ids) >= 8
    with time_machine.travel(NOW, tick=False):
        with django_assert_max_num_queries(7):
            one = list(renderer.render_recommendations(ids[:1], NOW.date()))
        with django_assert_max_num_queries(7):
            every = list(renderer.render_recommendations(ids, NOW.date()))
    assert len(one) == 3
    assert len(every) == 3 * len(ids)


def test_a_calendar_put_together_from_its_events_is_the_one_icalendar_writes(sample, rf):
    with time_machine.travel(NOW, tick=False):
        DeadlineFactory(
            recommendation=sample.unknown,
            commitment="A long commitment, " * 8 + "with “quotes” and a\\backslash.",
            stated_as="by the end of 2027",
            due_date=datetime.date(2027, 12, 31),
        )
        today = NOW.date()
        request = rf.get("/deadlines.ics")
        deadlines = list(calendar_feed.open_deadlines(today))
        clocks = list(calendar_feed.response_clocks())
        assert len(deadlines) >= 2
        assert len(clocks) >= 2  # the sample's awaited responses
        for name, chosen, chosen_clocks in [
            ("Every deadline", deadlines, clocks),
            ("No deadline", [], []),
        ]:
            calendar = Calendar()
            for key, value in [
                ("prodid", f"-//{django_settings.SITE_NAME}//Deadlines//EN"),
                ("version", "2.0"),
                ("calscale", "GREGORIAN"),
                ("method", "PUBLISH"),
                ("name", name),
                ("x-wr-calname", name),
            ]:
                calendar.add(key, value)
            description = (
                "Open deadlines (promises neither met, withdrawn nor replaced by a later date), "
                "then the dates by which responses, or promised decisions, are due and not yet "
                f"given. Generated on {today:%-d %B %Y}."
            )
            calendar.add("description", description)
            calendar.add("x-wr-caldesc", description)
            calendar.add(
                "refresh-interval", calendar_feed.REFRESH, parameters={"VALUE": "DURATION"}
            )
            calendar.add("x-published-ttl", "PT12H")
            for deadline in chosen:
                calendar.add_component(calendar_feed.deadline_event(deadline, request, today))
            for recommendation in chosen_clocks:
                calendar.add_component(calendar_feed.response_event(recommendation, request, today))
            built = calendar_feed.build_calendar(name, chosen, chosen_clocks, request, today)
            assert built == calendar.to_ical()


def test_the_build_manifest_is_kept_beside_the_build_never_in_the_served_folder(sample, out):
    with time_machine.travel(NOW, tick=False):
        build(out)
        first = out.resolve()
        build(out)
        second = out.resolve()
        build(out)
    served = [path.name for path in out.resolve().rglob("*")]
    assert not any("manifest" in name for name in served), "internal paths and ids stay private"
    manifest = json.loads((out.parent / f".{out.resolve().name}.manifest.json").read_text())
    assert manifest["database"] == connection.settings_dict["NAME"]
    # The manifests of builds removed with them go too: the previous build's stays for it.
    manifests = sorted(p.name for p in out.parent.glob(".*.manifest.json"))
    assert manifests == sorted(
        [f".{second.name}.manifest.json", f".{out.resolve().name}.manifest.json"]
    )
    assert f".{first.name}.manifest.json" not in manifests


def test_publish_site_is_a_deprecated_name_for_build_site(sample, out):
    stdout, stderr = io.StringIO(), io.StringIO()
    with time_machine.travel(NOW, tick=False), pytest.warns(DeprecationWarning, match="build_site"):
        call_command("publish_site", "--out", str(out), stdout=stdout, stderr=stderr)
    assert stdout.getvalue().startswith("Full build:")
    assert "deprecated; use `manage.py build_site`" in stderr.getvalue()
    assert (out / "index.html").is_file()


def test_the_old_task_name_still_builds_so_queued_messages_are_not_orphaned(sample, out):
    from config.celery import app

    assert app.tasks["tracker.build_site"].name == tasks.build_site_task.name
    with time_machine.travel(NOW, tick=False):
        result = app.tasks["tracker.publish_site"].apply().get()
    assert result.startswith("Full build:")
