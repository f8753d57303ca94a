"""Two organisations own one recommendation: each contact sees and changes only their own part.

Through the admin, as each contact and as an editor: the change, delete and history pages, the
draft inline on the recommendation, `?corrects=ID` on the add form, Save, and History → Revert.
"""

import datetime

import pytest
from django.urls import reverse

from tests.factories import (
    DeadlineFactory,
    OrganisationFactory,
    OwnershipFactory,
    RecommendationFactory,
    StatusUpdateFactory,
    make_contact_user,
    make_editor,
)
from tracker.models import Ownership, StatusUpdate
from tracker.updates import publish_update

pytestmark = pytest.mark.django_db

THEIR_DRAFT = "Qx9 the other department unpublished words"
THEIR_ADDRESS = "qx9-theirs"  # make_contact_user gives qx9-theirs@example.org


@pytest.fixture
def shared(client):
    ours = OrganisationFactory(name="Qx9 Ours")
    theirs = OrganisationFactory(name="Qx9 Theirs")
    recommendation = RecommendationFactory(title="Qx9 shared recommendation")
    OwnershipFactory(recommendation=recommendation, organisation=ours, role=Ownership.Role.LEAD)
    OwnershipFactory(
        recommendation=recommendation, organisation=theirs, role=Ownership.Role.SUPPORTING
    )
    their_user = make_contact_user(theirs, username=THEIR_ADDRESS)
    their_draft = StatusUpdateFactory(
        recommendation=recommendation,
        organisation=theirs,
        summary=THEIR_DRAFT,
        describes_on=datetime.date(2025, 2, 3),
        status="implemented",
    )
    their_draft.summary = f"{THEIR_DRAFT}, revised"
    their_draft._history_user = their_user
    their_draft.save()
    our_user = make_contact_user(ours, username="qx9-ours")
    published = StatusUpdateFactory(
        recommendation=recommendation, published=True, summary="Qx9 published & public"
    )
    return {
        "ours": ours,
        "theirs": theirs,
        "recommendation": recommendation,
        "their_draft": their_draft,
        "our_user": our_user,
        "their_user": their_user,
        "published": published,
    }


def admin_url(name, *args):
    return reverse(f"admin:tracker_{name}", args=args)


def test_a_contact_cannot_read_another_owners_draft_of_a_shared_recommendation(client, shared):
    client.force_login(shared["our_user"])
    draft = shared["their_draft"]
    for url in (
        admin_url("statusupdate_change", draft.pk),
        admin_url("statusupdate_delete", draft.pk),
        admin_url("statusupdate_history", draft.pk),
        admin_url("statusupdate_changelist"),
        admin_url("statusupdate_changelist") + "?q=Qx9",
        admin_url("recommendation_change", shared["recommendation"].pk),
        admin_url("statusupdate_add") + f"?corrects={draft.pk}",
    ):
        response = client.get(url, follow=True)
        page = response.content.decode()
        assert response.status_code in {200, 403}, url
        assert THEIR_DRAFT not in page, url
        assert f"{THEIR_ADDRESS}@example.org" not in page, url
        # The raw-id label of ?corrects= would name the draft by its date and status.
        assert str(draft) not in page, url
    # The shared recommendation itself is theirs to read, so the refusals are about the draft.
    page = client.get(admin_url("recommendation_change", shared["recommendation"].pk))
    assert page.status_code == 200
    assert "Qx9 published &amp; public" in page.content.decode()


def test_a_contact_cannot_overwrite_or_delete_another_owners_draft(client, shared):
    client.force_login(shared["our_user"])
    draft = shared["their_draft"]
    client.post(
        admin_url("statusupdate_change", draft.pk),
        {
            "recommendation": shared["recommendation"].pk,
            "organisation": shared["ours"].pk,
            "describes_on": "2026-01-15",
            "status": "not_started",
            "account": "owner",
            "summary": "Overwritten",
            "source_url": "https://example.org/x",
        },
    )
    client.post(admin_url("statusupdate_delete", draft.pk), {"post": "yes"})
    client.post(
        admin_url("statusupdate_changelist"),
        {"action": "delete_selected", "_selected_action": [draft.pk], "post": "yes"},
    )
    draft.refresh_from_db()
    assert (draft.summary, draft.organisation) == (f"{THEIR_DRAFT}, revised", shared["theirs"])


def test_save_keeps_a_contacts_draft_on_their_own_part(client, shared):
    """A contact's Save never moves a draft to 'the whole recommendation' or to another owner."""
    client.force_login(shared["their_user"])
    draft = shared["their_draft"]
    page = client.get(admin_url("statusupdate_change", draft.pk)).content.decode()
    assert THEIR_DRAFT in page
    for organisation in ("", shared["ours"].pk):
        response = client.post(
            admin_url("statusupdate_change", draft.pk),
            {
                "recommendation": shared["recommendation"].pk,
                "organisation": organisation,
                "describes_on": "2026-01-15",
                "status": "in_progress",
                "account": "owner",
                "summary": "Revised by its own contact",
                "reason": "",
                "source_url": "https://example.org/own",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        draft.refresh_from_db()
        assert draft.organisation == shared["theirs"]
        assert draft.summary == "Revised by its own contact"


def test_an_editors_save_keeps_the_owner_a_draft_is_about(client, shared):
    client.force_login(make_editor())
    draft = shared["their_draft"]
    form = client.get(admin_url("statusupdate_change", draft.pk)).context["adminform"].form
    assert set(form.fields["organisation"].queryset) == {shared["ours"], shared["theirs"]}
    assert form.initial["organisation"] == shared["theirs"].pk
    # An organisation that does not own the recommendation is refused with a sentence.
    outsider = OrganisationFactory(name="Qx9 Outsider")
    response = client.post(
        admin_url("statusupdate_change", draft.pk),
        {
            "recommendation": shared["recommendation"].pk,
            "organisation": outsider.pk,
            "describes_on": "2026-01-15",
            "status": "in_progress",
            "account": "owner",
            "summary": "Moved elsewhere",
            "reason": "",
            "source_url": "https://example.org/own",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    draft.refresh_from_db()
    assert draft.organisation == shared["theirs"]


def test_history_revert_is_refused_on_published_updates_and_view_only_records(client, shared):
    editor = make_editor()
    client.force_login(editor)
    draft = StatusUpdateFactory(
        recommendation=shared["recommendation"], summary="Qx9 draft to publish"
    )
    publish_update(draft, by=editor)
    first_version = draft.history.order_by("history_id").first()
    url = reverse(
        "admin:tracker_statusupdate_simple_history", args=[draft.pk, first_version.history_id]
    )
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # no Revert button
    response = client.post(url, {"summary": "Reverted", "_change_history": "1"})
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.state == StatusUpdate.State.PUBLISHED

    # A contact may only view recommendations: a posted revert is refused too.
    client.force_login(shared["our_user"])
    recommendation = shared["recommendation"]
    version = recommendation.history.first()
    url = reverse(
        "admin:tracker_recommendation_simple_history", args=[recommendation.pk, version.history_id]
    )
    response = client.post(url, {"title": "Renamed by a contact"})
    assert response.status_code == 403
    recommendation.refresh_from_db()
    assert recommendation.title == "Qx9 shared recommendation"


def test_publish_a_correction_starts_from_the_corrected_update(client, shared):
    client.force_login(make_editor())
    published = shared["published"]
    change = client.get(admin_url("statusupdate_change", published.pk)).content.decode()
    link = admin_url("statusupdate_add") + f"?corrects={published.pk}"
    assert link in change
    page = client.get(link)
    form = page.context["adminform"].form
    assert form.initial["summary"] == "Qx9 published & public"
    assert form.initial["recommendation"] == shared["recommendation"].pk
    assert form.initial["corrects"] == published.pk
    assert form.initial["source"] == published.source_id
    html = page.content.decode()
    assert "The published update this corrects" in html
    assert "Qx9 published &amp; public" in html
    # A draft's id is not something to correct: nothing about it is filled in or shown.
    page = client.get(admin_url("statusupdate_add") + f"?corrects={shared['their_draft'].pk}")
    assert "corrects" not in page.context["adminform"].form.initial
    assert THEIR_DRAFT not in page.content.decode()


def test_move_a_deadline_keeps_the_whole_commitment(client, shared):
    client.force_login(make_editor())
    commitment = "Consult on A & B #2, then report; 100% of areas"
    deadline = DeadlineFactory(
        recommendation=shared["recommendation"],
        organisation=shared["theirs"],
        commitment=commitment,
        promised_on=datetime.date(2024, 3, 1),
    )
    change = client.get(admin_url("deadline_change", deadline.pk)).content.decode()
    link = admin_url("deadline_add") + f"?supersedes={deadline.pk}"
    assert f'href="{link}"' in change
    form = client.get(link).context["adminform"].form
    assert form.initial["commitment"] == commitment
    assert form.initial["recommendation"] == shared["recommendation"].pk
    assert form.initial["organisation"] == shared["theirs"].pk
    assert form.initial["supersedes"] == deadline.pk
    # The URL's own text is never taken for the promise.
    form = client.get(admin_url("deadline_add") + "?commitment=Cut").context["adminform"].form
    assert "commitment" not in form.initial
