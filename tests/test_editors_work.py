"""The editors' daily work: the review queue, the count of drafts waiting, and a weekly digest
that tells contacts how to act."""

import datetime
import re

import pytest
from django.urls import reverse

from tests.factories import (
    ContactFactory,
    OwnershipFactory,
    RecommendationFactory,
    StatusUpdateFactory,
    UserFactory,
    make_contact_user,
    make_editor,
)
from tests.test_digests import WEEK, send, world  # noqa: F401 - the digests' fixture
from tracker.models import Contact

pytestmark = pytest.mark.django_db


def test_the_review_queue_lists_drafts_awaiting_review_with_who_entered_them(client):
    contact_user = make_contact_user(
        OwnershipFactory(recommendation=RecommendationFactory(title="Rq queue")).organisation,
        username="rq-contact",
    )
    recommendation = contact_user.contact.organisation.ownerships.get().recommendation
    StatusUpdateFactory(
        recommendation=recommendation,
        organisation=contact_user.contact.organisation,
        entered_by=contact_user,
        summary="Rq waiting",
    )
    StatusUpdateFactory(recommendation=recommendation, published=True, summary="Rq done")
    client.force_login(make_editor())
    changelist = reverse("admin:tracker_statusupdate_changelist")
    page = client.get(changelist)
    headers = [column["text"] for column in page.context["result_headers"]]
    for wanted in ("Recommendation", "Describes on", "Organisation", "State", "Account"):
        assert any(wanted.lower() in str(header).lower() for header in headers), wanted
    assert any("entered by" in str(header).lower() for header in headers)
    queue = client.get(f"{changelist}?review=awaiting")
    rows = list(queue.context["cl"].result_list)
    assert [row.summary for row in rows] == ["Rq waiting"]
    assert "rq-contact" in queue.content.decode()


def test_the_admin_index_counts_drafts_awaiting_review_for_editors_only(client):
    recommendation = RecommendationFactory()
    StatusUpdateFactory(recommendation=recommendation)
    StatusUpdateFactory(recommendation=recommendation)
    client.force_login(make_editor())
    page = client.get(reverse("admin:index")).content.decode()
    assert "2 draft updates awaiting review" in page
    assert f"{reverse('admin:tracker_statusupdate_changelist')}?review=awaiting" in page
    client.force_login(
        make_contact_user(OwnershipFactory(recommendation=recommendation).organisation)
    )
    assert "awaiting review" not in client.get(reverse("admin:index")).content.decode()


def test_the_digest_says_how_to_act_and_whom_to_reply_to(world, settings, smtp_server):  # noqa: F811
    settings.TRACKER_EDITORS_EMAIL = "editors@tracker.example.org"
    contact = world["contact"]
    Contact.objects.filter(pk=contact.pk).update(user=UserFactory(username="rq-login"))
    ContactFactory(organisation=world["owner"], email="demo.rq@example.org", is_demo=True)
    send()
    (received,) = smtp_server.messages  # the demo contact is never e-mailed
    assert received.message["Reply-To"] == "editors@tracker.example.org"
    draft_link = "https://tracker.example.org" + reverse("admin:tracker_statusupdate_add")
    for part in (received.text, received.html):
        assert "reply to this e-mail: it goes to the editors" in part
        assert draft_link in part


def test_a_contact_without_a_login_is_not_offered_the_draft_link(world, smtp_server):  # noqa: F811
    send()
    (received,) = smtp_server.messages
    assert reverse("admin:tracker_statusupdate_add") not in received.text
    assert re.search(r"tell the editors of this site", received.text)


def test_every_latest_update_in_the_digest_says_whose_account_it_is(world, smtp_server):  # noqa: F811
    StatusUpdateFactory(
        recommendation=world["late"],
        describes_on=datetime.date(2025, 12, 20),
        summary="Inspectors found the plan unfinished.",
        account="independent",
        account_by="Example Inspectorate",
        published=True,
    )
    send()
    (received,) = smtp_server.messages
    for part in (received.text, received.html):
        assert (
            "20 December 2025, an independent assessment (Example Inspectorate): "
            "Inspectors found the plan unfinished." in part
        )


def test_database_rules_read_as_plain_sentences_in_the_admin(client):
    existing = RecommendationFactory(number=7)
    client.force_login(make_editor())
    response = client.post(
        reverse("admin:tracker_recommendation_add"),
        {
            "report": existing.report_id,
            "number": 7,
            "title": "A second number seven",
            "text_kind": "unknown",
            "text": "",
            "ownerships-TOTAL_FORMS": "0",
            "ownerships-INITIAL_FORMS": "0",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This report already has a recommendation with this number." in page
    assert "is violated" not in page


def test_the_import_page_offers_a_template_csv_and_its_column_guide(client):
    import csv
    import io

    from tracker.intake.importing import COLUMNS, plan_import

    client.force_login(make_editor())
    page = client.get(reverse("admin:tracker_report_import_inquiry")).content.decode()
    template_url = reverse("admin:tracker_report_import_inquiry_template")
    assert template_url in page
    assert "<code>response_source_url</code>" in page
    download = client.get(template_url)
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="inquiry-import-template.csv"'
    header = next(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    from tracker.intake.importing import COLUMN_GUIDE, OPTIONAL_COLUMNS

    assert [column for column, _, _ in COLUMN_GUIDE] == [*COLUMNS, *OPTIONAL_COLUMNS]
    assert header[: len(COLUMNS)] == list(COLUMNS)
    # The template is what the import reads: with nothing filled in it has no rows to refuse.
    assert plan_import(download.content).recommendations == []
    # Contacts cannot have it.
    client.force_login(make_contact_user(OwnershipFactory().organisation))
    assert client.get(template_url).status_code == 403
