"""A report that is not published is on no public surface, until an editor publishes it.

An unpublished report's recommendation, owners, deadlines, response, updates, check and sources
carry the marker "Quillmarsh" (and the search word "Obsidianwren"); so do its slug and its own
organisation's. Every public route is requested (the test fails when a new route is not in its
list), with the table's downloads, the feeds, calendars, badges, the API, the search, compare,
changes and past (`?as_of=`) views; the static site is built and every file read; digests and
notices are received by the real SMTP server. None may say "Quillmarsh", and the unpublished
report's own addresses answer 404. An editor then publishes it through the admin, and the same
surfaces show it; withdrawn again, it is gone again.
"""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import get_resolver, reverse

from tests.factories import (
    ContactFactory,
    DeadlineFactory,
    OrganisationFactory,
    OwnershipFactory,
    RecommendationFactory,
    ReportFactory,
    ResponseFactory,
    StatusUpdateFactory,
    UserFactory,
    make_contact_user,
    make_editor,
)
from tests.factories_leads import LeadMatchFactory
from tests.factories_pages import NOW
from tests.test_import_admin import INQUIRY_ROWS, to_csv
from tests.test_security_access import PRIVATE_ROUTES, readable, route_names, text_of
from tracker import tasks
from tracker.as_of import AsOf
from tracker.data_version import current_data_version
from tracker.jobs.notices import send_pending_notices
from tracker.models import (
    Check,
    Deadline,
    Organisation,
    PendingNotice,
    RecommendationLink,
    Report,
    Source,
    Subscription,
)
from tracker.public.scorecards import owner_records
from tracker.reports import set_reports_published
from tracker.updates import publish_update, refresh_headline_status

pytestmark = pytest.mark.django_db

MARKER = "Quillmarsh"
SEARCH_WORD = "Obsidianwren"
HIDDEN = "quillmarsh-inquiry"  # the unpublished report's slug
HIDDEN_OWNER = "quillmarsh-department"  # an organisation named only in it
OPEN = "open-inquiry"  # a published report
OPEN_OWNER = "open-department"  # owns in both reports
PAST = "2026-01-05"  # a past day on which both reports were out and the deadlines overdue
THIS_WEEK = "2026-W48"  # NOW is Monday 23 November 2026
LAST_WEEK = "2026-W47"


class World:
    """A published report and an unpublished one, whose every record says "Quillmarsh"."""

    def __init__(self):
        self.open_owner = OrganisationFactory(slug=OPEN_OWNER, name="Open Department")
        self.open_report = ReportFactory(
            slug=OPEN, title="Open inquiry: final report", short_name="Open"
        )
        self.open_rec = RecommendationFactory(
            report=self.open_report, number=1, title="Publish the open plan"
        )
        OwnershipFactory(recommendation=self.open_rec, organisation=self.open_owner)
        DeadlineFactory(recommendation=self.open_rec, organisation=self.open_owner)
        StatusUpdateFactory(
            recommendation=self.open_rec,
            describes_on=datetime.date(2026, 11, 18),
            summary="The open plan was drafted.",
            published=True,
        )
        refresh_headline_status(self.open_rec.pk)

        words = f"{MARKER} {SEARCH_WORD}"
        self.hidden_owner = OrganisationFactory(
            slug=HIDDEN_OWNER, name=f"{MARKER} Hidden Department"
        )
        self.report = ReportFactory(
            slug=HIDDEN,
            title=f"{words} inquiry: final report",
            short_name=f"{MARKER}Hidden",
            summary=f"{words} report summary.",
            published_on=datetime.date(2024, 3, 1),
            url="https://example.org/quillmarsh-report",
            is_published=False,
        )
        self.rec = RecommendationFactory(
            report=self.report,
            number=1,
            title=f"{words} recommendation title",
            plain_summary=f"{words} plain summary.",
            text=f"{words} wording of the recommendation.",
            text_kind="verbatim",
            text_source=Source.objects.create(
                url="https://example.org/quillmarsh-wording",
                title=f"{MARKER} wording source",
                publisher=f"{MARKER} publisher",
                kind=Source.Kind.PRIMARY,
            ),
        )
        OwnershipFactory(recommendation=self.rec, organisation=self.hidden_owner)
        OwnershipFactory(
            recommendation=self.rec,
            organisation=self.open_owner,
            role="supporting",
            scope=f"{MARKER} scope",
        )
        ResponseFactory(
            recommendation=self.rec,
            organisation=self.hidden_owner,
            responded_on=datetime.date(2025, 2, 1),
            summary=f"{words} response summary.",
            source_url="https://example.org/quillmarsh-response",
            source_title=f"{MARKER} response source",
        )
        first_promise = DeadlineFactory(
            recommendation=self.rec,
            organisation=self.open_owner,
            commitment=f"{words} first promise",
            stated_as=f"by June 2025 ({MARKER})",
            precision=Deadline.Precision.MONTH,
            due_date=datetime.date(2025, 6, 30),
            promised_on=datetime.date(2024, 6, 1),
            source_url="https://example.org/quillmarsh-plan",
            source_title=f"{MARKER} plan",
        )
        self.deadline = DeadlineFactory(
            recommendation=self.rec,
            organisation=self.open_owner,
            commitment=f"{words} promise",
            stated_as=f"by the end of 2025 ({MARKER})",
            promised_on=datetime.date(2025, 1, 10),
            supersedes=first_promise,
            change_reason=f"{MARKER} reason for the move",
            source_url="https://example.org/quillmarsh-plan",
        )
        DeadlineFactory(
            recommendation=self.rec,
            organisation=self.open_owner,
            commitment=f"{words} second promise",
            stated_as=f"by December 2026 ({MARKER})",
            precision=Deadline.Precision.MONTH,
            due_date=datetime.date(2026, 12, 31),
            promised_on=datetime.date(2025, 1, 10),
            source_url="https://example.org/quillmarsh-plan",
        )
        self.update = StatusUpdateFactory(
            recommendation=self.rec,
            describes_on=datetime.date(2026, 11, 20),
            summary=f"{words} published update.",
            account_by=f"{MARKER} assessor",
            source_url="https://example.org/quillmarsh-update",
            source_title=f"{MARKER} update source",
            published=True,
        )
        refresh_headline_status(self.rec.pk)
        # Checked long ago: the oversight digest would list it as not checked lately.
        Check.objects.create(
            recommendation=self.rec,
            checked_on=datetime.date(2026, 1, 20),
            checked_by_name=f"{MARKER} checker",
            note=f"{MARKER} note",
        )
        # The published recommendation's page would name the other side of a link.
        RecommendationLink.objects.create(
            from_recommendation=self.open_rec,
            to_recommendation=self.rec,
            source=Source.objects.create(
                url="https://example.org/quillmarsh-link",
                title=f"{MARKER} link source",
                publisher="Example publisher",
                kind=Source.Kind.SECONDARY,
            ),
        )
        # A lead waiting for review: the oversight digest would name its recommendation.
        LeadMatchFactory(recommendation=self.rec, lead__title="A news item about a plan")
        self.subscriber = "reader@example.org"
        for subject in ({"organisation": self.open_owner}, {"report": self.report}):
            Subscription.objects.create(email=self.subscriber, confirmed_at=NOW, **subject)
        ContactFactory(organisation=self.open_owner, email="open@example.org")
        ContactFactory(
            organisation=self.open_owner, email="oversight@example.org", is_oversight=True
        )
        self.editor = make_editor("xq-editor")


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        yield World()


@pytest.fixture
def page_cache_on(settings):
    """The page cache, as in production: a publication must make the cached pages stale."""
    settings.PAGE_CACHE_SECONDS = 600
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "test-unpublished-report",
        }
    }
    cache.clear()


def public_urls(world: World) -> dict[str, list[str]]:
    """Each named public route, with addresses that exercise it (the published report's, and
    the unpublished one's own, which must answer 404 while it is not published)."""
    rec, other = (HIDDEN, 1), (OPEN, 1)
    table = reverse("recommendation_list")
    past = f"?as_of={PAST}"
    return {
        "home": ["/", f"/{past}"],
        "report_list": [reverse("report_list"), reverse("report_list") + past],
        "report_detail": [
            reverse("report_detail", args=[OPEN]),
            reverse("report_detail", args=[HIDDEN]),
            reverse("report_detail", args=[HIDDEN]) + past,
        ],
        "recommendation_detail": [
            reverse("recommendation_detail", args=other),
            reverse("recommendation_detail", args=other) + past,
            reverse("recommendation_detail", args=rec),
            reverse("recommendation_detail", args=rec) + past,
        ],
        "owner_list": [reverse("owner_list"), reverse("owner_list") + past],
        "owner_detail": [
            reverse("owner_detail", args=[OPEN_OWNER]),
            reverse("owner_detail", args=[OPEN_OWNER]) + past,
            reverse("owner_detail", args=[HIDDEN_OWNER]),
        ],
        "recommendation_list": [
            table,
            table + past,
            f"{table}?q={SEARCH_WORD}",
            f"{table}?owner={OPEN_OWNER}",
            f"{table}?overdue=yes",
            *(f"{table}?_export={fmt}" for fmt in ("csv", "json", "xlsx")),
            f"{table}?_export=csv&as_of={PAST}",
        ],
        "changes": [
            reverse("changes"),
            f"{reverse('changes')}?since=2000-01-01",
            f"{reverse('changes')}?since=2000-01-01&view=recorded",
        ],
        "compare": [
            f"{reverse('compare')}?from=2000-01-01",
            f"{reverse('compare')}?from=2026-01-01",
            f"{reverse('compare')}?from=2000-01-01&format=csv",
        ],
        "data": [reverse("data")],
        "methodology": [reverse("methodology")],
        "sources": [reverse("sources")],
        "search": [f"{reverse('search')}?q={SEARCH_WORD}", f"{reverse('search')}?q=Department"],
        "healthz": [reverse("healthz")],
        "updates_feed": [reverse("updates_feed")],
        "changes_feed": [
            reverse("changes_feed"),
            f"{reverse('changes_feed')}?view=recorded&days=366",
        ],
        "deadlines_calendar": [reverse("deadlines_calendar")],
        "report_feed": [reverse("report_feed", args=[OPEN]), reverse("report_feed", args=[HIDDEN])],
        "report_deadlines_calendar": [
            reverse("report_deadlines_calendar", args=[OPEN]),
            reverse("report_deadlines_calendar", args=[HIDDEN]),
        ],
        "report_badge": [
            reverse("report_badge", args=[OPEN]),
            reverse("report_badge", args=[HIDDEN]),
        ],
        "recommendation_feed": [
            reverse("recommendation_feed", args=other),
            reverse("recommendation_feed", args=rec),
        ],
        "recommendation_badge": [
            reverse("recommendation_badge", args=other),
            reverse("recommendation_badge", args=rec),
        ],
        "subscribe_recommendation": [
            reverse("subscribe_recommendation", args=other),
            reverse("subscribe_recommendation", args=rec),
        ],
        "subscribe_report": [
            reverse("subscribe_report", args=[OPEN]),
            reverse("subscribe_report", args=[HIDDEN]),
        ],
        "subscribe_owner": [
            reverse("subscribe_owner", args=[OPEN_OWNER]),
            reverse("subscribe_owner", args=[HIDDEN_OWNER]),
        ],
        "subscription_confirm": [reverse("subscription_confirm", args=["guessed-token"])],
        "subscription_unsubscribe": [reverse("subscription_unsubscribe", args=["guessed-token"])],
        "digest_opt_out": [reverse("digest_opt_out", args=["guessed-token"])],
        "api:root": [reverse("api:root")],
        "api:schema": [reverse("api:schema")],
        "api:report-list": [reverse("api:report-list")],
        "api:report-detail": [
            reverse("api:report-detail", args=[OPEN]),
            reverse("api:report-detail", args=[HIDDEN]),
        ],
        "api:recommendation-list": [
            f"{reverse('api:recommendation-list')}?page_size=200",
            f"{reverse('api:recommendation-list')}?page_size=200&as_of={PAST}",
            f"{reverse('api:recommendation-list')}?q={SEARCH_WORD}",
        ],
        "api:recommendation-detail": [
            reverse("api:recommendation-detail", args=other),
            reverse("api:recommendation-detail", args=rec),
        ],
        "api:owner-list": [f"{reverse('api:owner-list')}?page_size=200"],
        "api:owner-detail": [
            reverse("api:owner-detail", args=[OPEN_OWNER]),
            reverse("api:owner-detail", args=[HIDDEN_OWNER]),
        ],
        "api:deadline-list": [f"{reverse('api:deadline-list')}?page_size=200"],
        "api:deadline-detail": [reverse("api:deadline-detail", args=[world.deadline.pk])],
        "api:update-list": [f"{reverse('api:update-list')}?page_size=200"],
        "api:update-detail": [reverse("api:update-detail", args=[world.update.pk])],
    }


def hidden_addresses(world: World) -> list[str]:
    """The unpublished report's own addresses: 404 while it is not published, 200 once it is."""
    own = {
        reverse("api:deadline-detail", args=[world.deadline.pk]),
        reverse("api:update-detail", args=[world.update.pk]),
    }
    return [
        url
        for urls in public_urls(world).values()
        for url in urls
        if url in own or f"/{HIDDEN}/" in url or f"/{HIDDEN_OWNER}/" in url
    ]


# Surfaces that show the report once it is published (so the search for the marker is real).
SHOWN_ONCE_PUBLISHED = [
    "/",
    f"/?as_of={PAST}",
    "/reports/",
    f"/reports/{HIDDEN}/",
    f"/reports/{HIDDEN}/1/",
    f"/reports/{HIDDEN}/1/updates.atom",
    f"/reports/{HIDDEN}/badge.svg",
    f"/reports/{HIDDEN}/deadlines.ics",
    "/owners/",
    f"/owners/{OPEN_OWNER}/",
    f"/owners/{HIDDEN_OWNER}/",
    "/recommendations/",
    "/recommendations/?_export=csv",
    "/recommendations/?_export=xlsx",
    f"/recommendations/?q={SEARCH_WORD}",
    "/changes/?since=2000-01-01",
    "/compare/?from=2000-01-01&format=csv",
    f"/reports/{OPEN}/1/",
    "/data/",
    "/sources/",
    f"/search/?q={SEARCH_WORD}",
    "/search/?q=Department",
    "/updates.atom",
    "/changes.atom",
    "/deadlines.ics",
    "/api/reports/",
    "/api/recommendations/?page_size=200",
    "/api/owners/?page_size=200",
    "/api/deadlines/?page_size=200",
    "/api/updates/?page_size=200",
]


def says_marker(response, url: str = "") -> bool:
    """Whether the response says the marker, leaving out the address asked for (a 404 page
    repeats its own address)."""
    text = text_of(response)
    if url:
        text = text.replace(url.split("?")[0], "")
    return MARKER.lower() in text.lower()


def assert_not_public(client, world: World) -> int:
    """Every public address answers without the marker; the report's own ones answer 404."""
    hidden = set(hidden_addresses(world))
    requested = 0
    for name, urls in public_urls(world).items():
        for url in urls:
            response = client.get(url)
            if url in hidden:
                assert response.status_code == 404, (url, response.status_code)
            else:
                allowed = {200, 404, 503} if name == "healthz" else {200, 404}
                assert response.status_code in allowed, (url, response.status_code)
            assert not says_marker(response, url), (name, url)
            requested += 1
    return requested


def admin_action(client, action: str, *reports: Report):
    return client.post(
        reverse("admin:tracker_report_changelist"),
        {"action": action, "index": 0, "_selected_action": [report.pk for report in reports]},
        follow=True,
    )


@pytest.fixture
def queued(monkeypatch):
    """The build requests, recorded instead of sent to a worker."""
    calls = []
    monkeypatch.setattr(tasks.build_site_task, "delay", lambda **kwargs: calls.append(kwargs))
    monkeypatch.setattr(
        tasks.build_site_task,
        "apply_async",
        lambda kwargs=None, countdown=None: calls.append(kwargs),
    )
    return calls


# --- Every public surface ------------------------------------------------------------------------


def test_every_public_route_is_requested(world):
    """A new public route must be added to `public_urls`, so this file keeps covering it."""
    assert route_names(get_resolver().url_patterns) - PRIVATE_ROUTES <= set(public_urls(world))


def test_an_unpublished_report_is_nowhere_until_an_editor_publishes_it_and_gone_when_withdrawn(
    client, world, page_cache_on, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        assert assert_not_public(client, world) > 70
        # The published report is there all along, so the pages searched are real ones.
        assert "Publish the open plan" in text_of(client.get(f"/reports/{OPEN}/1/"))
        # The dashboard is served from the page cache now: publishing must make it stale.
        assert client.get("/").headers.get("X-Page-Cache") == "hit"
        methodology_before = client.get("/methodology/").content
        version = current_data_version()

        client.force_login(world.editor)
        with django_capture_on_commit_callbacks(execute=True):
            done = admin_action(client, "publish_selected_reports", world.report)
        assert done.status_code == 200
        assert f"Published 1 report(s): {MARKER}Hidden ({HIDDEN})" in done.content.decode()
        client.logout()
        world.report.refresh_from_db()
        assert world.report.is_published
        assert current_data_version() != version

        for url in hidden_addresses(world):
            assert client.get(url).status_code == 200, url
        for url in SHOWN_ONCE_PUBLISHED:
            response = client.get(url)
            assert response.status_code == 200, url
            assert says_marker(response), url
        # Counted among the claims resting on sources now.
        assert client.get("/methodology/").content != methodology_before

        client.force_login(world.editor)
        with django_capture_on_commit_callbacks(execute=True):
            done = admin_action(client, "withdraw_selected_reports", world.report)
        assert f"Withdrew 1 report(s) from the public pages: {MARKER}Hidden" in (
            done.content.decode()
        )
        client.logout()
        assert assert_not_public(client, world) > 70


def test_owners_figures_count_only_what_is_published(client, world):
    """Counts carry no marker: the owners' figures are checked by their numbers."""

    def figures():
        api = client.get(f"/api/owners/{OPEN_OWNER}/").json()
        (record,) = owner_records(AsOf(NOW.date(), NOW.date()), [world.open_owner])
        return api["lead_count"], api["supporting_count"], record.owned, record.moved

    with time_machine.travel(NOW, tick=False):
        assert figures() == (1, 0, 1, 0)
        set_reports_published([world.report], True)
        assert figures() == (1, 1, 2, 1)


def test_publishing_and_withdrawing_are_in_the_reports_history(client, world):
    client.force_login(world.editor)
    admin_action(client, "publish_selected_reports", world.report)
    admin_action(client, "withdraw_selected_reports", world.report)
    # Already withdrawn: nothing to do, and said so.
    again = admin_action(client, "withdraw_selected_reports", world.report)
    assert "Not published already, left as they were" in again.content.decode()

    history = list(world.report.history.order_by("history_date"))
    assert [(h.is_published, h.history_change_reason) for h in history[-2:]] == [
        (True, "Published"),
        (False, "Withdrawn from the public pages"),
    ]
    assert {h.history_user for h in history[-2:]} == {world.editor}
    assert len(history) == 3  # created, published, withdrawn: the third action changed nothing

    page = client.get(reverse("admin:tracker_report_changelist")).content.decode()
    assert "<strong>Not published</strong>" in page
    assert "Withdraw selected reports from the public pages" in page
    unpublished = client.get(reverse("admin:tracker_report_changelist") + "?is_published__exact=0")
    assert unpublished.context["cl"].result_count == 1


def test_the_static_site_holds_the_report_only_while_it_is_published(
    client, world, tmp_path, settings, queued, django_capture_on_commit_callbacks
):
    site = tmp_path / "site"
    settings.PUBLISH_DIR = site

    def built_files() -> dict[str, str]:
        root = Path(site).resolve()
        return {
            str(path.relative_to(root)): readable(path.read_bytes())
            for path in root.rglob("*")
            if path.is_file()
        }

    with time_machine.travel(NOW, tick=False):
        call_command("build_site", "--out", str(site), stdout=io.StringIO())
        files = built_files()
        assert len(files) > 20
        assert [name for name, text in files.items() if MARKER.lower() in text.lower()] == []
        assert not any(HIDDEN in name or HIDDEN_OWNER in name for name in files)
        assert any("Publish the open plan" in text for text in files.values())

        client.force_login(world.editor)
        with django_capture_on_commit_callbacks(execute=True):
            admin_action(client, "publish_selected_reports", world.report)
        # A whole report came out: the whole site is rebuilt, at once.
        assert queued == [{}]
        assert tasks.build_site_task.apply().get().startswith("Full build:")
        files = built_files()
        for name in (
            f"reports/{HIDDEN}/index.html",
            f"reports/{HIDDEN}/1/index.html",
            f"reports/{HIDDEN}/recommendations.csv",
            f"owners/{HIDDEN_OWNER}/index.html",
            "recommendations.csv",
            "deadlines.ics",
        ):
            assert MARKER in files[name], name

        with django_capture_on_commit_callbacks(execute=True):
            admin_action(client, "withdraw_selected_reports", world.report)
        assert queued == [{}, {}]
        # An incremental request (an update published meanwhile) also makes a full build, as the
        # plan's shape changed.
        result = tasks.build_site_task.apply(kwargs={"only_changed": True}).get()
        assert result.startswith("Full build:")
        files = built_files()
        assert [name for name, text in files.items() if MARKER.lower() in text.lower()] == []
        assert not any(HIDDEN in name or HIDDEN_OWNER in name for name in files)


def test_changing_an_unpublished_report_rebuilds_nothing(world, tmp_path, settings):
    site = tmp_path / "site"
    settings.PUBLISH_DIR = site
    with time_machine.travel(NOW, tick=False):
        call_command("build_site", "--out", str(site), stdout=io.StringIO())
        update = StatusUpdateFactory(recommendation=world.rec, summary=f"{MARKER} another step.")
        publish_update(update, by=world.editor)
        result = tasks.build_site_task.apply(kwargs={"only_changed": True}).get()
    assert result.startswith("Nothing has changed since the last build")


# --- E-mails -------------------------------------------------------------------------------------


def test_no_digest_or_notice_tells_of_an_unpublished_report(
    client, world, smtp_server, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        later = StatusUpdateFactory(
            recommendation=world.rec,
            describes_on=datetime.date(2026, 11, 22),
            summary=f"{MARKER} a later step.",
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert publish_update(later, by=world.editor)
        # The update is published (for when the report is), but nobody is told of it.
        assert not PendingNotice.objects.exists()
        send_pending_notices()
        call_command("send_weekly_digests", "--week", THIS_WEEK, stdout=io.StringIO())

        received = smtp_server.wait_for(2)
        assert {m.recipients[0] for m in received} == {"open@example.org", "oversight@example.org"}
        for message in received:
            assert MARKER.lower() not in (message.text + message.html).lower()
        (oversight,) = smtp_server.inbox.to("oversight@example.org")
        assert "Reports not yet published: 1" in oversight.text
        assert "/admin/tracker/report/?is_published__exact=0" in oversight.text
        (contact,) = smtp_server.inbox.to("open@example.org")
        assert "Publish the open plan" in contact.text  # the published report's overdue item

        client.force_login(world.editor)
        with django_capture_on_commit_callbacks(execute=True):
            admin_action(client, "publish_selected_reports", world.report)
        # Publishing a report e-mails nobody; its next update does.
        assert len(smtp_server.messages) == 2
        newer = StatusUpdateFactory(
            recommendation=world.rec,
            describes_on=datetime.date(2026, 11, 23),
            summary=f"{MARKER} the newest step.",
        )
        with django_capture_on_commit_callbacks(execute=True):
            publish_update(newer, by=world.editor)
        send_pending_notices()
        call_command("send_weekly_digests", "--week", LAST_WEEK, stdout=io.StringIO())
        received = smtp_server.wait_for(5)

    (notice,) = smtp_server.inbox.to(world.subscriber)
    assert f"{MARKER} the newest step." in notice.text
    digests = [m for m in received if LAST_WEEK in m.message["Subject"]]
    assert len(digests) == 2
    assert all(MARKER in m.text for m in digests)


# --- Who may publish -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["contact", "viewer"])
def test_only_editors_can_publish_or_withdraw_a_report(client, world, role):
    if role == "contact":
        user = make_contact_user(world.open_owner, username="xq-contact")
    else:
        # Staff who may view and change reports, but not publish them.
        user = UserFactory(username="xq-viewer", is_staff=True)
        user.user_permissions.add(
            *Permission.objects.filter(codename__in=["view_report", "change_report"])
        )
    client.force_login(user)
    changelist = client.get(reverse("admin:tracker_report_changelist"))
    assert "publish_selected_reports" not in changelist.content.decode()

    for action in ("publish_selected_reports", "withdraw_selected_reports"):
        admin_action(client, action, world.report, world.open_report)
    world.report.refresh_from_db()
    world.open_report.refresh_from_db()
    assert (world.report.is_published, world.open_report.is_published) == (False, True)
    # Nor through the report's form: its published state is not a field there.
    client.force_login(world.editor)
    form = client.get(reverse("admin:tracker_report_change", args=[world.report.pk]))
    assert 'name="is_published"' not in form.content.decode()


# --- The CSV import -----------------------------------------------------------------------------


def test_an_imported_report_is_unpublished_and_invisible_until_published(client, world):
    client.force_login(world.editor)
    rows = [{**row, "title": f"{row['title']} {MARKER}"} for row in INQUIRY_ROWS]
    url = reverse("admin:tracker_report_import_inquiry")
    upload = SimpleUploadedFile("inquiry.csv", to_csv(rows), content_type="text/csv")
    preview = client.post(url, {"file": upload})
    assert "new report, not published until an editor publishes it" in preview.content.decode()

    done = client.post(url, {"signed_content": preview.context["signed_content"]}, follow=True)

    page = done.content.decode()
    assert "Not published: admin-test-inquiry." in page
    assert "choose the action “Publish selected reports”" in page
    assert "?is_published__exact=0" in page
    assert done.context["cl"].result_count == 1  # the list shows the report imported
    assert "<strong>Not published</strong>" in page
    assert "publish_selected_reports" in page
    report = Report.objects.get(slug="admin-test-inquiry")
    assert not report.is_published

    client.logout()
    for address in (
        "/reports/admin-test-inquiry/",
        "/reports/admin-test-inquiry/1/",
        "/api/reports/admin-test-inquiry/",
        "/api/recommendations/admin-test-inquiry/1/",
        "/owners/example-agency/",
    ):
        assert client.get(address).status_code == 404, address
    for address in ("/recommendations/?_export=csv", "/api/recommendations/", "/search/?q=plan"):
        assert MARKER not in text_of(client.get(address)), address

    client.force_login(world.editor)
    admin_action(client, "publish_selected_reports", report)
    client.logout()
    assert MARKER in text_of(client.get("/reports/admin-test-inquiry/1/"))
    assert client.get("/owners/example-agency/").status_code == 200


def test_importing_into_a_published_report_leaves_it_published(client, world):
    client.force_login(world.editor)
    row = {
        **INQUIRY_ROWS[1],
        "report_slug": OPEN,
        "report_title": world.open_report.title,
        "report_published": world.open_report.published_on.isoformat(),
        "number": "2",
        "title": "A second open recommendation",
        "lead_owner": "Open Department",
    }
    url = reverse("admin:tracker_report_import_inquiry")
    preview = client.post(url, {"file": SimpleUploadedFile("more.csv", to_csv([row]))})
    assert "existing report, published: what is added is public at once" in (
        preview.content.decode()
    )
    done = client.post(url, {"signed_content": preview.context["signed_content"]}, follow=True)

    assert f"Published already, and left so: {OPEN}" in done.content.decode()
    world.open_report.refresh_from_db()
    assert world.open_report.is_published
    client.logout()
    assert "A second open recommendation" in text_of(client.get(f"/reports/{OPEN}/2/"))


# --- The shipped reports -------------------------------------------------------------------------


def test_shipped_reports_load_published_and_a_reload_keeps_an_editors_withdrawal():
    call_command("load_reports", stdout=io.StringIO())
    shipped = list(Report.objects.all())
    assert len(shipped) >= 2
    assert all(report.is_published for report in shipped)

    withdrawn = shipped[0]
    set_reports_published([withdrawn], False)
    counts = {model: model.objects.count() for model in (Report, Organisation, Deadline)}
    call_command("load_reports", stdout=io.StringIO())

    assert dict(Report.objects.values_list("slug", "is_published")) == {
        report.slug: report != withdrawn for report in shipped
    }
    assert {model: model.objects.count() for model in counts} == counts
