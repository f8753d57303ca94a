"""Who can see what, tested from the outside.

An owner's contact who guesses the URLs or ids of another organisation's drafts gets nothing from
the admin (change, delete, history, actions, import and export), the API or the downloads. An
anonymous reader sees no draft, no contact's name or address, no subscriber's address and no
account's address on any public surface: pages, feeds, calendars, badges, the API, the downloads
and the published static copy. Each private fact is a distinctive marker string that every
response is searched for.
"""

import datetime
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.factories import (
    ContactFactory,
    DeadlineFactory,
    OrganisationFactory,
    OwnershipFactory,
    RecommendationFactory,
    ReportFactory,
    StatusUpdateFactory,
    make_contact_user,
)
from tracker.models import ImplementationStatus, StatusUpdate, Subscription
from tracker.updates import refresh_headline_status

pytestmark = pytest.mark.django_db

DRAFT_SUMMARY = "Zq7 draft summary not for publication"
DRAFT_SOURCE = "https://example.org/zq7-draft-source"
OWN_DRAFT_SUMMARY = "Zq7 our own draft"
CONTACT_NAME = "Zq7 Privatecontact"
CONTACT_EMAIL = "zq7-contact@private.example.org"
SUBSCRIBER_EMAIL = "zq7-subscriber@private.example.org"
CONTACT_USER = "zq7-login"  # make_contact_user gives its contact zq7-login@example.org
PUBLISHED_SUMMARY = "Zq7 published summary for everyone"

PRIVATE_MARKERS = (
    DRAFT_SUMMARY,
    DRAFT_SOURCE,
    OWN_DRAFT_SUMMARY,
    CONTACT_NAME,
    CONTACT_EMAIL,
    SUBSCRIBER_EMAIL,
    f"{CONTACT_USER}@example.org",
)


class World:
    """Two organisations, each owning one recommendation; drafts, contacts and a subscriber."""

    def __init__(self):
        self.report = ReportFactory(slug="zq7-inquiry", short_name="Zq7")
        self.mine = OrganisationFactory(slug="zq7-ours")
        self.theirs = OrganisationFactory(slug="zq7-theirs")
        self.own = RecommendationFactory(report=self.report, number=1)
        self.other = RecommendationFactory(report=self.report, number=2)
        OwnershipFactory(recommendation=self.own, organisation=self.mine)
        OwnershipFactory(recommendation=self.other, organisation=self.theirs)
        self.deadline = DeadlineFactory(
            recommendation=self.other,
            organisation=self.theirs,
            due_date=datetime.date(2030, 12, 31),
        )
        self.published = StatusUpdateFactory(
            recommendation=self.other,
            published=True,
            status=ImplementationStatus.IN_PROGRESS,
            summary=PUBLISHED_SUMMARY,
        )
        refresh_headline_status(self.other.pk)
        self.their_draft = StatusUpdateFactory(
            recommendation=self.other,
            organisation=self.theirs,
            status=ImplementationStatus.IMPLEMENTED,
            summary=DRAFT_SUMMARY,
            source_url=DRAFT_SOURCE,
        )
        self.own_draft = StatusUpdateFactory(
            recommendation=self.own, organisation=self.mine, summary=OWN_DRAFT_SUMMARY
        )
        self.their_contact = ContactFactory(
            organisation=self.theirs, name=CONTACT_NAME, email=CONTACT_EMAIL
        )
        self.subscription = Subscription.objects.create(
            email=SUBSCRIBER_EMAIL, recommendation=self.other, confirmed_at=timezone.now()
        )
        self.contact_user = make_contact_user(self.mine, username=CONTACT_USER)


@pytest.fixture
def world():
    return World()


@pytest.fixture
def unthrottled(settings):
    settings.API_RATE = None


def text_of(response) -> str:
    """Everything a response says, with spreadsheets unpacked into their cells' text."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return readable(body)


def readable(body: bytes) -> str:
    if body.startswith(b"PK"):
        workbook = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        cells = [
            str(value)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        ]
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            raw = [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]
        return "\n".join(cells + raw)
    return body.decode("utf-8", "replace")


def leaked(text: str, markers=PRIVATE_MARKERS) -> list[str]:
    return [marker for marker in markers if marker.lower() in text.lower()]


# --- Every public surface -----------------------------------------------------------------------


def public_urls(world: World) -> dict[str, list[str]]:
    """Each named public route, with the addresses that exercise it."""
    slug, today = world.report.slug, timezone.localdate().isoformat()
    own, other = (world.report.slug, 1), (world.report.slug, 2)
    recs = reverse("recommendation_list")
    return {
        "home": ["/", f"/?as_of={today}"],
        "report_list": [reverse("report_list"), f"{reverse('report_list')}?as_of={today}"],
        "report_detail": [reverse("report_detail", args=[slug])],
        "recommendation_detail": [
            reverse("recommendation_detail", args=own),
            reverse("recommendation_detail", args=other),
            reverse("recommendation_detail", args=other) + f"?as_of={today}",
        ],
        "owner_list": [reverse("owner_list")],
        "owner_detail": [
            reverse("owner_detail", args=[world.mine.slug]),
            reverse("owner_detail", args=[world.theirs.slug]),
        ],
        "recommendation_list": [
            recs,
            f"{recs}?q=Zq7",
            *(f"{recs}?_export={fmt}" for fmt in ("csv", "json", "xlsx")),
            f"{recs}?report={slug}&_export=csv",
        ],
        "changes": [
            reverse("changes"),
            f"{reverse('changes')}?since=2000-01-01",
            f"{reverse('changes')}?since=2000-01-01&view=recorded",
        ],
        "compare": [
            f"{reverse('compare')}?from=2000-01-01",
            f"{reverse('compare')}?from=2000-01-01&format=csv",
        ],
        "data": [reverse("data")],
        "methodology": [reverse("methodology")],
        "sources": [reverse("sources")],
        "search": [f"{reverse('search')}?q=Zq7", f"{reverse('search')}?q=draft"],
        "healthz": [reverse("healthz")],
        "updates_feed": [reverse("updates_feed")],
        "changes_feed": [reverse("changes_feed"), f"{reverse('changes_feed')}?view=recorded"],
        "deadlines_calendar": [reverse("deadlines_calendar")],
        "report_feed": [reverse("report_feed", args=[slug])],
        "report_deadlines_calendar": [reverse("report_deadlines_calendar", args=[slug])],
        "report_badge": [reverse("report_badge", args=[slug])],
        "recommendation_feed": [
            reverse("recommendation_feed", args=own),
            reverse("recommendation_feed", args=other),
        ],
        "recommendation_badge": [reverse("recommendation_badge", args=other)],
        "subscribe_recommendation": [reverse("subscribe_recommendation", args=other)],
        "subscribe_report": [reverse("subscribe_report", args=[slug])],
        "subscribe_owner": [reverse("subscribe_owner", args=[world.theirs.slug])],
        "subscription_confirm": [reverse("subscription_confirm", args=["guessed-token"])],
        "subscription_unsubscribe": [reverse("subscription_unsubscribe", args=["guessed-token"])],
        "digest_opt_out": [reverse("digest_opt_out", args=["guessed-token"])],
        "api:root": [reverse("api:root")],
        "api:schema": [reverse("api:schema")],
        "api:report-list": [reverse("api:report-list")],
        "api:report-detail": [reverse("api:report-detail", args=[slug])],
        "api:recommendation-list": [
            reverse("api:recommendation-list"),
            f"{reverse('api:recommendation-list')}?q=Zq7&page_size=200",
        ],
        "api:recommendation-detail": [
            reverse("api:recommendation-detail", args=own),
            reverse("api:recommendation-detail", args=other),
        ],
        "api:owner-list": [reverse("api:owner-list")],
        "api:owner-detail": [reverse("api:owner-detail", args=[world.theirs.slug])],
        "api:deadline-list": [reverse("api:deadline-list")],
        "api:deadline-detail": [reverse("api:deadline-detail", args=[world.deadline.pk])],
        "api:update-list": [
            reverse("api:update-list"),
            f"{reverse('api:update-list')}?page_size=200",
        ],
        "api:update-detail": [
            reverse("api:update-detail", args=[world.published.pk]),
            reverse("api:update-detail", args=[world.their_draft.pk]),
            reverse("api:update-detail", args=[world.own_draft.pk]),
        ],
    }


def route_names(patterns, namespace: str = "") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.app_name == "admin":
                continue
            names |= route_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(namespace + pattern.name)
    return names


PRIVATE_ROUTES = {
    # Django's own password-reset pages, reached from the admin's log-in form.
    "admin_password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}


def test_every_public_route_is_searched_for_leaks(world):
    """A new public route must be added to `public_urls`, so this file keeps covering it."""
    assert route_names(get_resolver().url_patterns) - PRIVATE_ROUTES <= set(public_urls(world))


def assert_nothing_private(client, world, markers=PRIVATE_MARKERS) -> int:
    searched = 0
    for name, urls in public_urls(world).items():
        for url in urls:
            response = client.get(url)
            # /healthz says 503 when a service is down; everything else answers 200 or 404.
            allowed = {200, 404, 503} if name == "healthz" else {200, 404}
            assert response.status_code in allowed, (url, response.status_code)
            assert not leaked(text_of(response), markers), (name, url)
            searched += 1
    return searched


def test_anonymous_readers_see_no_drafts_contacts_or_subscribers_anywhere(
    client, world, unthrottled
):
    assert assert_nothing_private(client, world) > 40
    # The search is real: the same surfaces do show what is published.
    assert PUBLISHED_SUMMARY in text_of(client.get(reverse("updates_feed")))
    assert PUBLISHED_SUMMARY in text_of(
        client.get(reverse("recommendation_detail", args=[world.report.slug, 2]))
    )
    assert PUBLISHED_SUMMARY in text_of(client.get(reverse("api:update-list")))


def test_drafts_change_nothing_the_public_sees(client, world, unthrottled):
    detail = client.get(reverse("api:recommendation-detail", args=[world.report.slug, 2])).json()
    assert detail["status"] == ImplementationStatus.IN_PROGRESS
    assert client.get(reverse("api:update-detail", args=[world.their_draft.pk])).status_code == 404
    ids = {update["id"] for update in client.get(reverse("api:update-list")).json()["results"]}
    assert ids == {world.published.pk}


def test_a_logged_in_contact_sees_no_more_on_public_surfaces(client, world, unthrottled):
    """Sessions grant nothing outside the admin: the contact's own draft stays private too."""
    client.force_login(world.contact_user)
    assert assert_nothing_private(client, world) > 40


def test_the_published_static_copy_holds_nothing_private(world, tmp_path):
    site = tmp_path / "site"
    call_command("build_site", "--out", str(site), stdout=io.StringIO())
    files = [path for path in Path(site).resolve().rglob("*") if path.is_file()]
    assert len(files) > 20
    texts = {path: readable(path.read_bytes()) for path in files}
    assert {path.name: leaked(text) for path, text in texts.items() if leaked(text)} == {}
    assert any(PUBLISHED_SUMMARY in text for text in texts.values())


# --- An owner's contact guessing ids in the admin -----------------------------------------------


@pytest.fixture
def contact_client(client, world):
    client.force_login(world.contact_user)
    return client


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:tracker_{name}", args=args)


def test_contact_cannot_open_another_organisations_draft_by_its_id(contact_client, world):
    draft = world.their_draft
    for url in (
        admin_url("statusupdate_change", draft.pk),
        admin_url("statusupdate_delete", draft.pk),
        admin_url("statusupdate_history", draft.pk),
        admin_url("recommendation_change", world.other.pk),
        admin_url("recommendation_history", world.other.pk),
    ):
        response = contact_client.get(url, follow=True)
        assert response.status_code in {200, 403, 404}, url
        assert not leaked(text_of(response), (DRAFT_SUMMARY, DRAFT_SOURCE)), url

    for record in draft.history.all():
        url = reverse(
            "admin:tracker_statusupdate_simple_history", args=[draft.pk, record.history_id]
        )
        response = contact_client.get(url, follow=True)
        assert response.status_code in {403, 404}, url
        assert not leaked(text_of(response), (DRAFT_SUMMARY, DRAFT_SOURCE)), url
        # Reverting to a version is refused too.
        contact_client.post(url, {"summary": "Reverted by someone else", "_change_history": "1"})

    # Their own draft is open to them, so the refusals above are about ownership.
    own = contact_client.get(admin_url("statusupdate_change", world.own_draft.pk))
    assert own.status_code == 200
    assert OWN_DRAFT_SUMMARY in own.content.decode()
    draft.refresh_from_db()
    assert draft.summary == DRAFT_SUMMARY


def test_contact_cannot_change_or_delete_another_organisations_draft(contact_client, world):
    draft = world.their_draft
    contact_client.post(
        admin_url("statusupdate_change", draft.pk),
        {
            "recommendation": world.other.pk,
            "describes_on": "2026-01-15",
            "status": "not_started",
            "account": "owner",
            "summary": "Hijacked",
            "source_url": "https://example.org/hijack",
        },
    )
    contact_client.post(admin_url("statusupdate_delete", draft.pk), {"post": "yes"})
    changelist = admin_url("statusupdate_changelist")
    for action in ("delete_selected", "export_admin_action", "publish_selected"):
        response = contact_client.post(
            changelist, {"action": action, "_selected_action": [draft.pk], "post": "yes"}
        )
        assert not leaked(text_of(response), (DRAFT_SUMMARY, DRAFT_SOURCE))
    draft.refresh_from_db()
    assert (draft.summary, draft.state) == (DRAFT_SUMMARY, StatusUpdate.State.DRAFT)
    assert not leaked(text_of(contact_client.get(changelist)), (DRAFT_SUMMARY,))
    search = contact_client.get(f"{changelist}?q=Zq7")
    assert not leaked(text_of(search), (DRAFT_SUMMARY,))


def test_contact_cannot_import_or_export_ledger_rows(contact_client, world):
    hijack = (
        "id,report,recommendation,organisation,describes_on,status,account,summary,source_url\n"
        f"{world.their_draft.pk},{world.report.slug},2,{world.theirs.slug},2026-01-15,"
        "not_started,owner,Hijacked by import,https://example.org/hijack\n"
    ).encode()
    for model in ("statusupdate", "deadline", "recommendation"):
        if model != "recommendation":
            assert contact_client.get(admin_url(f"{model}_export")).status_code == 403
            assert (
                contact_client.post(admin_url(f"{model}_export"), {"format": "0"}).status_code
                == 403
            )
        upload = SimpleUploadedFile("rows.csv", hijack)
        response = contact_client.post(
            admin_url(f"{model}_import"),
            {"resource": "0", "format": "0", "import_file": upload},
        )
        assert response.status_code == 403
        confirm = contact_client.post(
            admin_url(f"{model}_process_import"),
            {"import_file_name": "rows.csv", "original_file_name": "rows.csv", "format": "0"},
        )
        assert confirm.status_code in {403, 404}
    assert contact_client.get(admin_url("report_import_inquiry")).status_code == 403

    # Recommendations are public facts; a contact's export holds only their own, guessed ids or not.
    form = contact_client.get(admin_url("recommendation_export")).context["form"]
    csv_format = next(value for value, label in form.fields["format"].choices if label == "csv")
    fields = {name: "on" for name, field in form.fields.items() if hasattr(field, "resource_name")}
    for guessed, numbers in (
        ([], ["1"]),
        ([world.other.pk], []),
        ([world.other.pk, world.own.pk], ["1"]),
    ):
        exported = contact_client.post(
            admin_url("recommendation_export"),
            {"resource": "0", "format": csv_format, "export_items": guessed, **fields},
        )
        rows = text_of(exported).splitlines()
        assert rows[0].startswith("report,number,title")
        assert [row.split(",")[1] for row in rows[1:]] == numbers, guessed
    world.their_draft.refresh_from_db()
    assert world.their_draft.summary == DRAFT_SUMMARY


def test_contact_cannot_read_contacts_subscribers_or_accounts(contact_client, world):
    for url in (
        admin_url("contact_changelist"),
        admin_url("contact_change", world.their_contact.pk),
        admin_url("contact_history", world.their_contact.pk),
        admin_url("subscription_changelist"),
        admin_url("subscription_change", world.subscription.pk),
        admin_url("emaillog_changelist"),
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_change", args=[world.contact_user.pk]),
        reverse("admin:axes_accessattempt_changelist"),
        reverse("admin:otp_totp_totpdevice_changelist"),
    ):
        response = contact_client.get(url, follow=True)
        assert response.status_code in {403, 404}, (url, response.status_code)
        assert not leaked(text_of(response), (CONTACT_NAME, CONTACT_EMAIL, SUBSCRIBER_EMAIL)), url


def test_autocomplete_offers_a_contact_only_their_own_recommendations(contact_client, world):
    response = contact_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "tracker",
            "model_name": "statusupdate",
            "field_name": "recommendation",
            "term": "",
        },
    )
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {str(world.own.pk)}


# --- Rate limits and page sizes -----------------------------------------------------------------


def test_the_api_answers_429_past_its_rate_per_client_address(client, settings):
    from django.core.cache import cache

    settings.API_RATE = "3/minute"
    cache.clear()
    url = reverse("api:report-list")
    start = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
    try:
        with time_machine.travel(start, tick=False):
            assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
            refused = client.get(url)
            assert refused.status_code == 429
            assert int(refused["Retry-After"]) == 60
            assert "throttled" in refused.json()["detail"]
            # A forged X-Forwarded-For does not make a new client; another address is one.
            assert client.get(url, HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 429
            assert client.get(url, REMOTE_ADDR="192.0.2.44").status_code == 200
        with time_machine.travel(start + datetime.timedelta(seconds=61), tick=False):
            assert client.get(url).status_code == 200
    finally:
        cache.clear()


def test_page_sizes_are_bounded(client, world, unthrottled):
    api = reverse("api:recommendation-list")
    assert client.get(f"{api}?page_size=200").status_code == 200
    for size in ("201", "0", "-1", "1e9", "²", "abc"):
        response = client.get(f"{api}?page_size={size}")
        assert response.status_code == 400, size
        assert "whole number from 1 to 200" in response.json()["page_size"][0]

    table = reverse("recommendation_list")
    assert client.get(f"{table}?per_page=200").status_code == 200
    for size in ("201", "0", "-1", "100000", "²", "abc"):
        response = client.get(f"{table}?per_page={size}")
        assert response.status_code == 400, size
        assert "give per_page as a whole number from 1 to 200" in response.content.decode()


def test_behind_a_trusted_proxy_limits_count_the_address_the_proxy_saw(client, settings):
    from django.core.cache import cache

    settings.TRUSTED_PROXY_COUNT = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    settings.API_RATE = "2/minute"
    cache.clear()
    url = reverse("api:report-list")

    def status(forwarded_for: str) -> int:
        return client.get(
            url, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for
        ).status_code

    try:
        with time_machine.travel(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)):
            assert [status("203.0.113.1"), status("203.0.113.1")] == [200, 200]
            assert status("203.0.113.1") == 429
            # What the client wrote to the left of the proxy's entry is not believed.
            assert status("198.51.100.7, 203.0.113.1") == 429
            # Another reader behind the same proxy has their own allowance.
            assert status("203.0.113.2") == 200
    finally:
        cache.clear()


# --- Every admin and API route, as each role, against docs/security.md -------------------------

ROLES = ("anonymous", "other_contact", "own_contact", "editor")
ACTIONS = ("view", "add", "change", "delete", "publish")
SECURITY_DOC = Path(__file__).resolve().parent.parent / "docs" / "security.md"


def permission_table() -> dict[str, dict[str, set[str]]]:
    """The 'Admin models' table of docs/security.md: model → role → actions allowed."""
    section = SECURITY_DOC.read_text().split("## Admin models", 1)[1].split("\n## ", 1)[0]
    table = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 1 + len(ROLES) or cells[0] in {"Model", ""} or cells[0].startswith("-"):
            continue
        table[cells[0]] = {
            role: {action.strip() for action in cell.split(",") if action.strip() not in {"—", ""}}
            for role, cell in zip(ROLES, cells[1:], strict=True)
        }
    return table


def registered_models():
    from django.contrib import admin

    return {model._meta.model_name: model for model in admin.site._registry}


def test_every_admin_model_has_a_row_in_the_permission_table():
    table = permission_table()
    assert {"statusupdate", "recommendation", "contact"} <= set(table)
    ours = {
        name
        for name, model in registered_models().items()
        if model._meta.app_label in {"tracker", "auth"}
    }
    assert ours - set(table) == set(), "add these models to docs/security.md"


class RoleWorld:
    """Organisation A owns a recommendation with a draft for its part; B is another owner's."""

    def __init__(self):
        from tracker.models import EmailLog, OverduePeriod

        self.a = OrganisationFactory(slug="mx-a")
        self.b = OrganisationFactory(slug="mx-b")
        self.recommendation = RecommendationFactory()
        OwnershipFactory(recommendation=self.recommendation, organisation=self.a)
        self.draft = StatusUpdateFactory(
            recommendation=self.recommendation, organisation=self.a, summary="Mx draft"
        )
        self.deadline = DeadlineFactory(recommendation=self.recommendation, organisation=self.a)
        self.own_contact = make_contact_user(self.a, username="mx-own")
        self.other_contact = make_contact_user(self.b, username="mx-other")
        from tests.factories import make_editor

        self.editor = make_editor("mx-editor")
        self.objects = {
            "report": self.recommendation.report,
            "organisation": self.a,
            "contact": self.own_contact.contact,
            "recommendation": self.recommendation,
            "deadline": self.deadline,
            "statusupdate": self.draft,
            "emaillog": EmailLog.objects.create(
                address="mx@example.org", kind=EmailLog.Kind.DIGEST, period_key="2026-W01"
            ),
            "subscription": Subscription.objects.create(
                email="mx-sub@example.org", recommendation=self.recommendation
            ),
            "overdueperiod": OverduePeriod.objects.create(
                recommendation=self.recommendation, started_on=datetime.date(2026, 1, 1)
            ),
            "user": self.own_contact,
        }

    def user_for(self, role):
        return {
            "anonymous": None,
            "other_contact": self.other_contact,
            "own_contact": self.own_contact,
            "editor": self.editor,
        }[role]


def observed_actions(client, model, obj) -> set[str]:
    """What the admin actually lets the logged-in client do with `model` (and `obj`)."""
    opts = model._meta
    name = f"admin:{opts.app_label}_{opts.model_name}"
    done = set()
    changelist = client.get(reverse(f"{name}_changelist"))
    if reverse(f"{name}_add") and client.get(reverse(f"{name}_add")).status_code == 200:
        done.add("add")
    if obj is None:
        if changelist.status_code == 200:
            done.add("view")
        return done
    change = client.get(reverse(f"{name}_change", args=[obj.pk]))
    if change.status_code == 200:
        done.add("view")
        if 'name="_save"' in change.content.decode():
            done.add("change")
    if client.get(reverse(f"{name}_delete", args=[obj.pk])).status_code == 200:
        done.add("delete")
    if changelist.status_code == 200 and "publish_selected" in changelist.content.decode():
        done.add("publish")
    return done


@pytest.mark.parametrize("role", ROLES)
def test_no_admin_route_lets_a_role_do_more_than_its_row(client, role):
    world = RoleWorld()
    table = permission_table()
    user = world.user_for(role)
    if user is not None:
        client.force_login(user)
    checked = 0
    for model_name, model in registered_models().items():
        allowed = table.get(model_name, {}).get(role, set())
        obj = world.objects.get(model_name)
        if obj is None and model_name not in world.objects:
            obj = model._default_manager.first()
        done = observed_actions(client, model, obj)
        assert done <= allowed, (role, model_name, done - allowed)
        if model_name in {"statusupdate", "recommendation", "contact", "deadline", "report"}:
            assert done == allowed, (role, model_name, done, allowed)
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("role", ROLES)
def test_the_api_is_read_only_and_shows_no_draft_to_any_role(client, role, unthrottled):
    world = RoleWorld()
    user = world.user_for(role)
    if user is not None:
        client.force_login(user)
    slug = world.recommendation.report.slug
    number = world.recommendation.number
    urls = [
        reverse("api:report-list"),
        reverse("api:report-detail", args=[slug]),
        reverse("api:recommendation-list"),
        reverse("api:recommendation-detail", args=[slug, number]),
        reverse("api:owner-list"),
        reverse("api:owner-detail", args=[world.a.slug]),
        reverse("api:deadline-list"),
        reverse("api:deadline-detail", args=[world.deadline.pk]),
        reverse("api:update-list"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Mx draft" not in response.content.decode(), url
        for method in ("post", "put", "patch", "delete"):
            refused = getattr(client, method)(url, {}, content_type="application/json")
            assert refused.status_code in {403, 405}, (method, url)
    assert client.get(reverse("api:update-detail", args=[world.draft.pk])).status_code == 404
