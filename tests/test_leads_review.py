"""The editors' review queue in the admin: a lead becomes a published, sourced update without
retyping the source, or is dismissed with a reason; both record a check. Leads never reach the
public, and the editors' weekly oversight digest lists them with the failing feeds."""

import datetime
from html.parser import HTMLParser

import pytest
from django.db import IntegrityError
from django.urls import reverse

from tests.factories import (
    ContactFactory,
    OrganisationFactory,
    OwnershipFactory,
    RecommendationFactory,
    StatusUpdateFactory,
    make_contact_user,
    make_editor,
)
from tests.factories_leads import LeadFactory, LeadMatchFactory, WatchedFeedFactory
from tracker.jobs.digests import plan_digests
from tracker.leads.review import LeadReviewError, dismiss, turn_into_update
from tracker.models import Check, Lead, Recommendation, Source, StatusUpdate, WatchedFeed

pytestmark = pytest.mark.django_db

LEAD_TITLE = "Fictional unreviewed lead about mandatory reporting"


class FormValues(HTMLParser):
    """What a browser would submit from a page's form: inputs, textareas and selected options."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea = self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in {"submit", "checkbox"}:
            self.values[name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def form_values(html: str) -> dict[str, str]:
    parser = FormValues()
    parser.feed(html)
    return parser.values


@pytest.fixture
def editor(client):
    user = make_editor()
    client.force_login(user)
    return user


@pytest.fixture
def lead():
    recommendation = RecommendationFactory(title="Mandatory reporting")
    other = RecommendationFactory(title="Child Protection Authorities")
    feed = WatchedFeedFactory(
        name="Example Department news",
        publisher="Example Department",
        default_kind=WatchedFeed.SourceKind.PRIMARY,
    )
    lead = LeadFactory(
        feed=feed,
        title=LEAD_TITLE,
        link="https://www.example.org/government/news/fictional-mandatory-reporting",
        published_at=datetime.datetime(2026, 11, 18, 23, 30, tzinfo=datetime.UTC),
    )
    LeadMatchFactory(lead=lead, recommendation=recommendation, matched_terms="mandatory reporting")
    LeadMatchFactory(lead=lead, recommendation=other, matched_terms="Child Protection Authority")
    return lead


def test_an_editor_turns_a_lead_into_a_published_sourced_update_without_retyping(
    client, editor, lead
):
    recommendation = lead.recommendations.get(title="Mandatory reporting")
    queue = client.get(reverse("admin:tracker_lead_changelist") + "?state=new")
    assert LEAD_TITLE in queue.content.decode()

    page = client.get(reverse("admin:tracker_lead_change", args=[lead.pk])).content.decode()
    assert "Turn into an update" in page
    assert "mandatory reporting" in page
    turn = reverse("admin:tracker_lead_turn_into_update", args=[lead.pk, recommendation.pk])
    assert client.get(turn).status_code == 405  # a change: POST only
    response = client.post(turn)

    update = StatusUpdate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:tracker_statusupdate_change", args=[update.pk])
    draft_page = client.get(response["Location"]).content.decode()
    values = form_values(draft_page)
    assert values["recommendation"] == str(recommendation.pk)
    assert values["describes_on"] == "18/11/2026"  # the entry's date, in London time
    assert values["source"] == str(Source.objects.get(url=lead.link).pk)

    # The editor writes the summary, sets the status and publishes; the source stays as filled.
    values |= {
        "summary": "The department published a fictional consultation.",
        "status": "in_progress",
        "_publish": "Save and publish",
    }
    assert client.post(response["Location"], values).status_code == 302
    update.refresh_from_db()
    assert update.is_published
    assert update.source == Source.objects.get(url=lead.link)
    assert (update.source.title, update.source.publisher, update.source.kind) == (
        LEAD_TITLE,
        "Example Department",
        "primary",
    )
    assert update.source.published_on == datetime.date(2026, 11, 18)
    lead.refresh_from_db()
    assert lead.state == Lead.State.TURNED_INTO_UPDATE
    assert lead.reviewed_by == editor
    (check,) = Check.objects.all()
    assert (check.recommendation, check.outcome, check.checked_by) == (
        recommendation,
        Check.Outcome.RECORDED,
        editor,
    )
    # The published update, with its source, is on the public page; the lead itself is not.
    public = client.get(recommendation.get_absolute_url()).content.decode()
    assert "The department published a fictional consultation." in public
    assert lead.link in public


def test_turning_a_lead_again_opens_the_same_draft_and_reuses_its_source(editor, lead):
    recommendation = lead.recommendations.get(title="Mandatory reporting")
    existing = Source.objects.create(
        url=lead.link, title="Already recorded", publisher="Example Department", kind="primary"
    )
    first = turn_into_update(lead, recommendation, editor, datetime.date(2026, 11, 20))
    again = turn_into_update(lead, recommendation, editor, datetime.date(2026, 11, 20))
    assert first == again
    assert first.source == existing
    assert first.state == StatusUpdate.State.DRAFT
    assert Source.objects.filter(url=lead.link).count() == 1
    assert Check.objects.count() == 1


def test_a_lead_without_a_link_cannot_become_an_update(editor, lead):
    Lead.objects.filter(pk=lead.pk).update(link="")
    lead.refresh_from_db()
    with pytest.raises(LeadReviewError, match="no link"):
        turn_into_update(lead, lead.recommendations.first(), editor, datetime.date(2026, 11, 20))
    assert not StatusUpdate.objects.exists()
    assert Lead.objects.get().state == Lead.State.NEW


def test_an_editor_dismisses_a_lead_saying_why_and_each_recommendation_is_checked(
    client, editor, lead
):
    dismiss_url = reverse("admin:tracker_lead_dismiss", args=[lead.pk])
    response = client.post(dismiss_url, {"reason": "other", "note": ""}, follow=True)
    assert "Say why the lead is dismissed." in response.content.decode()
    assert Lead.objects.get().state == Lead.State.NEW
    assert not Check.objects.exists()

    client.post(dismiss_url, {"reason": "already_recorded", "note": "In the May update."})
    lead.refresh_from_db()
    assert lead.state == Lead.State.DISMISSED
    assert lead.dismissal_reason == "already_recorded"
    assert lead.dismissal_note == "In the May update."
    checks = Check.objects.order_by("recommendation__number")
    assert [c.outcome for c in checks] == [Check.Outcome.LEAD_DISMISSED] * 2
    assert {c.recommendation for c in checks} == set(lead.recommendations.all())
    assert "Already recorded: In the May update." in checks[0].note

    # A dismissed lead is not reviewed twice, nor turned into an update.
    client.post(dismiss_url, {"reason": "not_relevant"})
    assert Check.objects.count() == 2
    turn = reverse(
        "admin:tracker_lead_turn_into_update", args=[lead.pk, lead.recommendations.first().pk]
    )
    client.post(turn)
    assert not StatusUpdate.objects.exists()


def test_the_database_refuses_a_dismissal_without_a_reason(lead):
    with pytest.raises(IntegrityError):
        Lead.objects.filter(pk=lead.pk).update(
            state="dismissed", reviewed_at=datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC)
        )


def test_the_database_refuses_the_same_entry_twice(lead):
    with pytest.raises(IntegrityError):
        LeadFactory(feed=lead.feed, entry_key=lead.entry_key)


def test_the_queue_is_newest_first_and_filters_by_recommendation_feed_and_state(
    client, editor, lead, django_assert_max_num_queries
):
    older = LeadFactory(
        title="Fictional older lead",
        published_at=datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC),
    )
    LeadMatchFactory(lead=older)
    undated = LeadFactory(title="Fictional undated lead", published_at=None)
    LeadMatchFactory(lead=undated)
    queue = reverse("admin:tracker_lead_changelist")
    page = client.get(queue).content.decode()
    assert page.index(LEAD_TITLE) < page.index("Fictional older lead")
    assert page.index("Fictional older lead") < page.index("Fictional undated lead")

    recommendation = lead.recommendations.first()
    by_recommendation = client.get(f"{queue}?recommendation={recommendation.pk}").content.decode()
    assert LEAD_TITLE in by_recommendation
    assert "Fictional older lead" not in by_recommendation
    by_feed = client.get(f"{queue}?feed__id__exact={older.feed_id}").content.decode()
    assert "Fictional older lead" in by_feed
    assert LEAD_TITLE not in by_feed
    dismiss(older, "not_relevant", "", editor, datetime.date(2026, 11, 20))
    waiting = client.get(f"{queue}?state=new").content.decode()
    assert "Fictional older lead" not in waiting

    with django_assert_max_num_queries(20) as few:
        client.get(queue)
    for n in range(10):
        LeadMatchFactory(lead=LeadFactory(title=f"Fictional extra lead {n}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(queue)


def test_failing_feeds_show_as_failing_in_the_admin(client, editor):
    WatchedFeedFactory(
        name="Fictional working feed", last_fetched_at=datetime.datetime.now(datetime.UTC)
    )
    WatchedFeedFactory(
        name="Fictional broken feed",
        failure_count=3,
        last_error="The server answered HTTP 500.",
        last_fetched_at=datetime.datetime.now(datetime.UTC),
    )
    feeds = reverse("admin:tracker_watchedfeed_changelist")
    page = client.get(f"{feeds}?health=failing").content.decode()
    assert "Failing (3 in a row): The server answered HTTP 500." in page
    assert "Fictional working feed" not in page


def test_owners_contacts_never_see_leads_or_feeds(client, lead):
    organisation = OrganisationFactory()
    OwnershipFactory(organisation=organisation, recommendation=lead.recommendations.first())
    client.force_login(make_contact_user(organisation))
    for url in (
        reverse("admin:tracker_lead_changelist"),
        reverse("admin:tracker_lead_change", args=[lead.pk]),
        reverse("admin:tracker_watchedfeed_changelist"),
    ):
        assert client.get(url).status_code == 403, url
    turn = reverse(
        "admin:tracker_lead_turn_into_update", args=[lead.pk, lead.recommendations.first().pk]
    )
    assert client.post(turn).status_code == 403
    assert client.post(reverse("admin:tracker_lead_dismiss", args=[lead.pk])).status_code == 403
    assert Lead.objects.get().state == Lead.State.NEW


def test_no_lead_reaches_a_public_page_feed_api_or_download(client, lead):
    recommendation = lead.recommendations.first()
    report = recommendation.report
    urls = [
        "/",
        "/reports/",
        report.get_absolute_url(),
        recommendation.get_absolute_url(),
        "/recommendations/",
        "/recommendations/?_export=csv",
        "/recommendations/?_export=json",
        "/changes/",
        "/updates.atom",
        "/changes.atom",
        "/deadlines.ics",
        "/api/recommendations/",
        f"/api/recommendations/{report.slug}/{recommendation.number}/",
        "/api/updates/",
        "/data/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response) if response.streaming else response.content
        assert LEAD_TITLE.encode() not in body, url
        assert lead.link.encode() not in body, url


def test_the_oversight_digest_lists_waiting_leads_per_recommendation_and_failing_feeds(lead):
    ContactFactory(email="oversight@example.org", is_oversight=True, name="Fictional Editor")
    WatchedFeedFactory(
        name="Fictional broken feed",
        failure_count=2,
        last_error="No answer within 20 seconds.",
    )
    (outgoing,) = plan_digests(datetime.date(2026, 11, 23))
    message = outgoing.build()
    html = message.alternatives[0][0]
    for part in (message.body, html):
        assert "Leads waiting for an editor (2 recommendations)" in part
        assert LEAD_TITLE in part
        assert "Fictional broken feed: 2 failures in a row, never read." in part
    assert f"/admin/tracker/lead/?recommendation={lead.recommendations.first().pk}&" in message.body


def test_an_editor_queues_a_fetch_of_chosen_feeds_now(client, editor, monkeypatch):
    queued = []

    class FakeTask:
        def delay(self, feed_id):
            queued.append(feed_id)

    monkeypatch.setattr(
        "tracker.admin.leads.task_named",
        lambda name: FakeTask() if name == "tracker.watch_sources" else None,
    )
    feeds = [WatchedFeedFactory(), WatchedFeedFactory(active=False), WatchedFeedFactory()]
    response = client.post(
        reverse("admin:tracker_watchedfeed_changelist"),
        {"action": "fetch_now", "_selected_action": [feeds[0].pk, feeds[1].pk]},
        follow=True,
    )
    assert "Queued 2 feed(s)." in response.content.decode()
    assert sorted(queued) == sorted([feeds[0].pk, feeds[1].pk])


def test_a_draft_for_a_recommendation_not_being_implemented_carries_its_reason(editor, lead):
    recommendation = lead.recommendations.get(title="Mandatory reporting")
    StatusUpdateFactory(
        recommendation=recommendation,
        status="not_being_implemented",
        reason="dropped",
        reason_detail="A fictional reason.",
        published=True,
    )
    Recommendation.objects.filter(pk=recommendation.pk).update(status="not_being_implemented")
    recommendation.refresh_from_db()
    draft = turn_into_update(lead, recommendation, editor, datetime.date(2026, 11, 20))
    assert (draft.status, draft.reason, draft.reason_detail) == (
        "not_being_implemented",
        "dropped",
        "A fictional reason.",
    )
