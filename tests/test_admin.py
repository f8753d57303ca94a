"""Data entry through the Django admin, as editors and as owners' contacts."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from tests.factories import (
    DeadlineFactory,
    OrganisationFactory,
    OwnershipFactory,
    RecommendationFactory,
    ReportFactory,
    ResponseFactory,
    StatusUpdateFactory,
    make_contact_user,
    make_editor,
)
from tracker.admin.roles import CONTACT_PERMISSIONS, EDITOR_PERMISSIONS, EDITORS, OWNER_CONTACTS
from tracker.models import (
    Deadline,
    ImplementationStatus,
    Ownership,
    Recommendation,
    StatusUpdate,
)

pytestmark = pytest.mark.django_db


def inline_management(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def recommendation_form(report, owners: list[tuple[int, str]]) -> dict:
    data = {
        "report": report.pk,
        "number": "7",
        "title": "Publish the example data",
        "text_kind": "summary",
        "text": "The example body should publish example data every year.",
        "text_source_url": "",
        "text_note": "",
        **inline_management("ownerships", total=len(owners)),
        **inline_management("responses"),
        **inline_management("deadlines"),
        **inline_management("updates"),
        **inline_management("updates-2"),
        **inline_management("links_out"),
    }
    for index, (organisation_id, role) in enumerate(owners):
        data[f"ownerships-{index}-organisation"] = organisation_id
        data[f"ownerships-{index}-role"] = role
        data[f"ownerships-{index}-basis"] = "stated"
    return data


@pytest.fixture
def editor_client(client):
    client.force_login(make_editor())
    return client


def test_role_groups_hold_exactly_their_permissions():
    for name, spec in ((EDITORS, EDITOR_PERMISSIONS), (OWNER_CONTACTS, CONTACT_PERMISSIONS)):
        codenames = set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        expected = {f"{action}_{model}" for model, actions in spec.items() for action in actions}
        assert codenames == expected
    assert "publish_statusupdate" not in {
        p.codename for p in Group.objects.get(name=OWNER_CONTACTS).permissions.all()
    }


def test_editor_adds_a_recommendation_with_exactly_one_lead_owner(editor_client):
    report = ReportFactory()
    lead, support = OrganisationFactory(), OrganisationFactory()
    url = reverse("admin:tracker_recommendation_add")

    response = editor_client.post(url, recommendation_form(report, [(lead.pk, "supporting")]))
    assert response.status_code == 200
    assert "exactly one lead owner" in response.content.decode()
    two_leads = recommendation_form(report, [(lead.pk, "lead"), (support.pk, "lead")])
    assert "exactly one lead owner" in editor_client.post(url, two_leads).content.decode()
    assert not Recommendation.objects.exists()

    good = recommendation_form(report, [(lead.pk, "lead"), (support.pk, "supporting")])
    response = editor_client.post(url, good)
    assert response.status_code == 302, response.content.decode()[:3000]
    recommendation = Recommendation.objects.get(report=report, number=7)
    assert recommendation.status == ImplementationStatus.NOT_YET_ASSESSED
    roles = dict(recommendation.ownerships.values_list("organisation_id", "role"))
    assert roles == {lead.pk: "lead", support.pk: "supporting"}


def test_editor_changes_are_shown_in_the_admin_history(editor_client):
    recommendation = RecommendationFactory(title="Old title")
    OwnershipFactory(recommendation=recommendation)
    url = reverse("admin:tracker_recommendation_change", args=[recommendation.pk])
    data = recommendation_form(recommendation.report, [])
    ownership = recommendation.ownerships.get()
    data.update(
        {
            "number": recommendation.number,
            "title": "New title",
            **inline_management("ownerships", total=1, initial=1),
            "ownerships-0-id": ownership.pk,
            "ownerships-0-recommendation": recommendation.pk,
            "ownerships-0-organisation": ownership.organisation_id,
            "ownerships-0-role": "lead",
            "ownerships-0-basis": "stated",
        }
    )
    assert editor_client.post(url, data).status_code == 302
    history = editor_client.get(
        reverse("admin:tracker_recommendation_history", args=[recommendation.pk])
    )
    page = history.content.decode()
    assert "editor" in page
    latest = recommendation.history.latest()
    assert latest.title == "New title"
    assert latest.history_user.username == "editor"


def test_editor_publishes_a_draft_and_it_becomes_read_only(editor_client):
    recommendation = RecommendationFactory()
    add_url = reverse("admin:tracker_statusupdate_add")
    data = {
        "recommendation": recommendation.pk,
        "describes_on": "2025-04-08",
        "status": "in_progress",
        "account": "owner",
        "summary": "A consultation was published.",
        "reason": "",
        "source_url": "https://example.org/consultation",
        "source_title": "Example consultation",
        "_publish": "Save and publish",
    }
    assert editor_client.post(add_url, data).status_code == 302
    update = StatusUpdate.objects.get()
    assert update.is_published
    assert update.entered_by.username == "editor"
    recommendation.refresh_from_db()
    assert recommendation.status == ImplementationStatus.IN_PROGRESS

    change_url = reverse("admin:tracker_statusupdate_change", args=[update.pk])
    page = editor_client.get(change_url).content.decode()
    assert "Publish a correction" in page
    assert 'name="summary"' not in page
    data["summary"] = "Rewritten"
    assert editor_client.post(change_url, data).status_code == 403
    delete_url = reverse("admin:tracker_statusupdate_delete", args=[update.pk])
    assert editor_client.post(delete_url, {"post": "yes"}).status_code == 403
    update.refresh_from_db()
    assert update.summary == "A consultation was published."


def test_publish_action_skips_drafts_without_a_source(editor_client):
    good = StatusUpdateFactory()
    unsourced = StatusUpdateFactory(source_url="")
    response = editor_client.post(
        reverse("admin:tracker_statusupdate_changelist"),
        {"action": "publish_selected", "_selected_action": [good.pk, unsourced.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "Published 1 update(s)." in page
    assert "1 draft(s) were not published" in page
    good.refresh_from_db()
    unsourced.refresh_from_db()
    assert good.is_published
    assert not unsourced.is_published


def test_bulk_delete_removes_drafts_and_refuses_published_updates(editor_client):
    draft, other_draft = StatusUpdateFactory(), StatusUpdateFactory()
    published = StatusUpdateFactory(published=True)
    url = reverse("admin:tracker_statusupdate_changelist")
    selection = {"action": "delete_selected", "post": "yes"}
    refused = editor_client.post(url, {**selection, "_selected_action": [draft.pk, published.pk]})
    assert refused.status_code == 403
    assert StatusUpdate.objects.count() == 3
    editor_client.post(url, {**selection, "_selected_action": [draft.pk, other_draft.pk]})
    assert list(StatusUpdate.objects.all()) == [published]


def test_an_existing_deadline_is_never_rewritten_but_can_be_superseded(editor_client):
    deadline = DeadlineFactory(stated_as="by the end of 2025", due_date=datetime.date(2025, 12, 31))
    url = reverse("admin:tracker_deadline_change", args=[deadline.pk])
    page = editor_client.get(url).content.decode()
    assert "Add a new deadline that replaces this one" in page
    data = {
        "recommendation": deadline.recommendation_id,
        "commitment": "Something else",
        "stated_as": "by the end of 2030",
        "precision": "year",
        "due_date": "2030-12-31",
        "source": deadline.source_id,
        "met_on": "2025-11-30",
    }
    assert editor_client.post(url, data).status_code == 302
    deadline.refresh_from_db()
    assert deadline.due_date == datetime.date(2025, 12, 31)
    assert deadline.stated_as == "by the end of 2025"
    assert deadline.met_on == datetime.date(2025, 11, 30)

    moved = {
        "recommendation": deadline.recommendation_id,
        "commitment": deadline.commitment,
        "stated_as": "by March 2026",
        "precision": "month",
        "due_date": "2026-03-30",
        "source_url": "https://example.org/moved",
        "supersedes": deadline.pk,
        "change_reason": "The consultation took longer.",
    }
    add_url = reverse("admin:tracker_deadline_add")
    response = editor_client.post(add_url, moved)
    assert "falls due on the last day of that period: 31 March 2026" in response.content.decode()
    moved["due_date"] = "2026-03-31"
    assert editor_client.post(add_url, moved).status_code == 302
    assert Deadline.objects.count() == 2
    deadline.refresh_from_db()
    assert deadline.superseded_by.stated_as == "by March 2026"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("overdue=yes", {"late"}),
        ("overdue=no", {"on time", "other owner"}),
        ("owner=owner-b", {"other owner"}),
        ("response=accepted", {"late"}),
        ("response=none", {"on time", "other owner"}),
        ("status=not_yet_assessed", {"late", "on time", "other owner"}),
        ("q=punctual", {"on time"}),
    ],
)
def test_recommendation_list_filters(editor_client, query, expected):
    owner_a = OrganisationFactory(slug="owner-a")
    owner_b = OrganisationFactory(slug="owner-b")
    late = RecommendationFactory(title="late")
    on_time = RecommendationFactory(title="on time", text="A punctual recommendation.")
    other = RecommendationFactory(title="other owner")
    OwnershipFactory(recommendation=late, organisation=owner_a)
    OwnershipFactory(recommendation=on_time, organisation=owner_a)
    OwnershipFactory(recommendation=other, organisation=owner_b)
    ResponseFactory(recommendation=late, organisation=owner_a)
    DeadlineFactory(recommendation=late, due_date=datetime.date(2025, 12, 31))
    DeadlineFactory(recommendation=on_time, due_date=datetime.date(2099, 12, 31))
    response = editor_client.get(reverse("admin:tracker_recommendation_changelist") + "?" + query)
    assert response.status_code == 200
    shown = {r.title for r in response.context["cl"].result_list}
    assert shown == expected


def test_recommendation_list_has_a_constant_query_count(
    editor_client, django_assert_max_num_queries
):
    url = reverse("admin:tracker_recommendation_changelist")
    for _ in range(3):
        OwnershipFactory(recommendation=RecommendationFactory())
    with django_assert_max_num_queries(15) as few:
        editor_client.get(url)
    for _ in range(30):
        recommendation = RecommendationFactory()
        OwnershipFactory(recommendation=recommendation)
        ResponseFactory(recommendation=recommendation)
        DeadlineFactory(recommendation=recommendation)
    with django_assert_max_num_queries(len(few.captured_queries)):
        editor_client.get(url)


# --- Owners' contacts ----------------------------------------------------------------------------


@pytest.fixture
def two_owners():
    mine, theirs = OrganisationFactory(name="Our Department"), OrganisationFactory()
    own = RecommendationFactory(title="Ours to do")
    other = RecommendationFactory(title="Someone else's")
    OwnershipFactory(recommendation=own, organisation=mine, role=Ownership.Role.LEAD)
    OwnershipFactory(recommendation=other, organisation=theirs, role=Ownership.Role.LEAD)
    return mine, own, other


def test_contact_sees_only_their_organisations_recommendations(client, two_owners):
    mine, own, other = two_owners
    client.force_login(make_contact_user(mine))
    listing = client.get(reverse("admin:tracker_recommendation_changelist"))
    assert [r.title for r in listing.context["cl"].result_list] == ["Ours to do"]
    assert (
        client.get(reverse("admin:tracker_recommendation_change", args=[own.pk])).status_code == 200
    )
    hidden = client.get(reverse("admin:tracker_recommendation_change", args=[other.pk]))
    assert hidden.status_code == 302  # the admin redirects: "doesn't exist"
    for name in ("report", "organisation", "contact", "deadline"):
        assert client.get(reverse(f"admin:tracker_{name}_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_contact_drafts_an_update_for_their_own_recommendation_only(client, two_owners):
    mine, own, other = two_owners
    user = make_contact_user(mine)
    client.force_login(user)
    url = reverse("admin:tracker_statusupdate_add")
    data = {
        "recommendation": other.pk,
        "describes_on": "2026-01-15",
        "status": "implemented",
        "account": "owner",
        "summary": "We finished it.",
        "reason": "",
        "source_url": "https://example.org/done",
        "_publish": "Save and publish",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not StatusUpdate.objects.exists()

    data["recommendation"] = own.pk
    assert client.post(url, data).status_code == 403  # asking to publish is refused
    del data["_publish"]
    assert client.post(url, data).status_code == 302
    draft = StatusUpdate.objects.get()
    assert draft.state == StatusUpdate.State.DRAFT
    assert draft.entered_by == user
    own.refresh_from_db()
    assert own.status == ImplementationStatus.NOT_YET_ASSESSED

    listing = client.get(reverse("admin:tracker_statusupdate_changelist"))
    assert "publish_selected" not in listing.content.decode()


def test_contact_cannot_see_or_change_another_organisations_drafts(client, two_owners):
    mine, _, other = two_owners
    theirs = StatusUpdateFactory(recommendation=other, summary="Their draft")
    client.force_login(make_contact_user(mine))
    listing = client.get(reverse("admin:tracker_statusupdate_changelist"))
    assert "Their draft" not in listing.content.decode()
    change_url = reverse("admin:tracker_statusupdate_change", args=[theirs.pk])
    assert client.get(change_url).status_code == 302
    client.post(change_url, {"summary": "Hijacked"})
    delete_url = reverse("admin:tracker_statusupdate_delete", args=[theirs.pk])
    client.post(delete_url, {"post": "yes"})
    theirs.refresh_from_db()
    assert theirs.summary == "Their draft"


def test_editor_reviews_and_publishes_a_contacts_draft(client, two_owners):
    _, own, _ = two_owners
    draft = StatusUpdateFactory(recommendation=own, status=ImplementationStatus.IN_PROGRESS)
    client.force_login(make_editor())
    client.post(
        reverse("admin:tracker_statusupdate_changelist"),
        {"action": "publish_selected", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert draft.is_published
    own.refresh_from_db()
    assert own.status == ImplementationStatus.IN_PROGRESS


def test_staff_without_a_role_see_no_ledger_rows(client):
    from tests.factories import UserFactory

    RecommendationFactory()
    client.force_login(UserFactory(username="nobody"))
    assert client.get(reverse("admin:tracker_recommendation_changelist")).status_code == 403


def test_editor_invites_a_contact_who_sets_a_password_and_logs_in(
    editor_client, client, mailoutbox
):
    from tests.factories import ContactFactory

    organisation = OrganisationFactory()
    own = RecommendationFactory(title="Ours to do")
    OwnershipFactory(recommendation=own, organisation=organisation)
    contact = ContactFactory(organisation=organisation, email="person@example.org")
    editor_client.post(
        reverse("admin:tracker_contact_changelist"),
        {"action": "invite_to_log_in", "_selected_action": [contact.pk]},
    )
    assert [m.to for m in mailoutbox] == [["person@example.org"]]
    body = mailoutbox[0].body
    assert "An editor reviews each draft" in body
    link = next(line for line in body.splitlines() if "/reset/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = client.get("/" + path, follow=True)
    password = "a long and private passphrase 42"  # noqa: S105
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": password, "new_password2": password},
    )
    assert client.login(username="person@example.org", password=password)
    listing = client.get(reverse("admin:tracker_recommendation_changelist"))
    assert [r.title for r in listing.context["cl"].result_list] == ["Ours to do"]
