"""Three accounts side by side, the headline rule, the "disputed" filter, linked recommendations."""

import datetime

import pytest
from django.urls import reverse

from tests.factories import make_editor
from tests.factories_pages import publish
from tests.test_views_public import text_of
from tracker.models import (
    Account,
    ImplementationStatus,
    Recommendation,
    RecommendationLink,
    Source,
)

pytestmark = pytest.mark.django_db


def inspect(recommendation, on: datetime.date, status, **kwargs):
    return publish(
        recommendation,
        describes_on=on,
        status=status,
        account=Account.INDEPENDENT,
        account_by="Example Inspectorate",
        summary="The example inspectorate reviewed the work.",
        **kwargs,
    )


def test_an_owners_later_claim_never_hides_an_independent_finding(client, sample):
    inspect(sample.overdue, datetime.date(2026, 2, 1), ImplementationStatus.PARTIALLY_IMPLEMENTED)
    publish(
        sample.overdue,
        describes_on=datetime.date(2026, 6, 1),
        status=ImplementationStatus.IMPLEMENTED,
        account=Account.OWNER,
        summary="The example department says the work is complete.",
    )

    sample.overdue.refresh_from_db()
    assert sample.overdue.status == ImplementationStatus.PARTIALLY_IMPLEMENTED
    assert sample.overdue.status_on == datetime.date(2026, 2, 1)
    assert sample.overdue.status_account == Account.INDEPENDENT
    page = text_of(client.get("/reports/test-inquiry/1/"))
    assert "The accounts disagree." in page
    assert (
        "Example Department Lead says it is implemented (1 June 2026); "
        "Example Inspectorate found it partially implemented (1 February 2026)." in page
    )
    assert "as described on 1 February 2026 (independent assessment)" in page
    # A past day follows the same rule: before the inspection, the owner's word was the headline.
    before = text_of(client.get("/reports/test-inquiry/1/?as_of=2026-01-15"))
    assert "as described on 10 January 2024 (the owner's own statement)" in before
    assert "The accounts disagree." not in before


def test_without_an_independent_finding_the_latest_account_gives_the_headline(sample):
    publish(
        sample.overdue,
        describes_on=datetime.date(2026, 4, 1),
        status=ImplementationStatus.NOT_STARTED,
        account=Account.AFFECTED,
        account_by="An example survivors' group",
        summary="The example group says nothing has changed.",
    )
    sample.overdue.refresh_from_db()
    assert sample.overdue.status == ImplementationStatus.NOT_STARTED
    assert sample.overdue.status_account == Account.AFFECTED


def test_the_page_shows_the_latest_of_each_account_with_date_and_source(client, sample):
    inspect(
        sample.overdue,
        datetime.date(2026, 2, 1),
        ImplementationStatus.IN_PROGRESS,
        source_title="Example inspection report",
    )
    page = text_of(client.get("/reports/test-inquiry/1/"))
    assert "Three accounts" in page
    assert (
        "Independent assessment Example Inspectorate In progress 1 February 2026 "
        "Source: Example inspection report" in page
    )
    assert "The view of survivors and people affected None recorded" in page
    # The two accounts given agree, so nothing is said to disagree.
    assert "The accounts disagree." not in page


def test_disputed_filter_count_and_api_agree(client, sample):
    inspect(sample.overdue, datetime.date(2026, 2, 1), ImplementationStatus.NOT_STARTED)

    table = text_of(client.get("/recommendations/?disputed=yes"))
    assert "Create an example authority" in table
    assert "Publish an example plan" not in table
    assert "Create an example authority" not in text_of(client.get("/recommendations/?disputed=no"))
    home = text_of(client.get("/"))
    assert "Accounts disagree 1" in home
    api = client.get("/api/recommendations/?disputed=yes").json()
    assert [row["label"] for row in api["results"]] == ["Test 1"]
    row = api["results"][0]
    assert row["is_disputed"] is True
    assert row["status_account"] == "independent"
    assert (row["owner_account_status"], row["independent_account_status"]) == (
        "in_progress",
        "not_started",
    )


def test_which_statuses_rest_only_on_the_owners_word(client, sample):
    """The researcher's question, answered from the table's filter and the overview's figure."""
    inspect(sample.done, datetime.date(2026, 7, 1), ImplementationStatus.IMPLEMENTED)

    owners_word = text_of(client.get("/recommendations/?account=owner"))
    assert "Create an example authority" in owners_word
    assert "Publish an example plan" not in owners_word
    assert "Publish an example plan" in text_of(client.get("/recommendations/?account=independent"))
    none_yet = text_of(client.get("/recommendations/?account=none"))
    assert "Title not yet known" in none_yet
    assert "Create an example authority" not in none_yet
    home = text_of(client.get("/"))
    assert "Status on the owner's word only 1" in home
    assert "Status from an independent assessment 1" in home
    api = client.get("/api/recommendations/?account=owner").json()
    assert [row["label"] for row in api["results"]] == ["Test 1"]
    assert client.get("/recommendations/?account=nobody").status_code in (200, 400)
    assert (
        "Select a valid choice" in client.get("/recommendations/?account=nobody").content.decode()
    )


def test_the_figures_are_read_in_a_constant_number_of_queries(
    client, sample, django_assert_max_num_queries
):
    inspect(sample.overdue, datetime.date(2026, 2, 1), ImplementationStatus.NOT_STARTED)
    with django_assert_max_num_queries(30):
        client.get("/recommendations/?disputed=yes")
    for number in range(3, 30):
        publish(
            Recommendation.objects.create(
                report=sample.report, number=number, text="An example.", text_kind="summary"
            ),
            describes_on=datetime.date(2026, 3, 1),
            status=ImplementationStatus.IN_PROGRESS,
        )
    with django_assert_max_num_queries(30):
        client.get("/recommendations/?disputed=yes")


# --- Links ---------------------------------------------------------------------------------------


def example_source() -> Source:
    return Source.objects.create(
        url="https://example.org/overlap",
        title="Example review of overlapping recommendations",
        publisher="Example Review Body",
        kind=Source.Kind.SECONDARY,
    )


def test_an_editor_links_two_recommendations_with_a_source_in_the_admin(client, sample):
    source = example_source()
    client.force_login(make_editor())
    url = reverse("admin:tracker_recommendation_change", args=[sample.done.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        report=sample.done.report_id,
        text_source_url="",
        text_note="",
    )
    for prefix in ["ownerships", "responses", "deadlines", "updates", "updates-2", "links_out"]:
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    existing = client.get(url).context["inline_admin_formsets"]
    for inline in existing:
        formset = inline.formset
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(len(formset.initial_forms))
        data[f"{formset.prefix}-INITIAL_FORMS"] = str(len(formset.initial_forms))
        for form_ in formset.initial_forms:
            for name, field in form_.fields.items():
                value = form_[name].value()
                if value is not None and not field.disabled:
                    data[form_.add_prefix(name)] = value
    missing_source = {
        **data,
        "links_out-TOTAL_FORMS": "1",
        "links_out-0-kind": "builds_on",
        "links_out-0-to_recommendation": sample.overdue.pk,
    }
    response = client.post(url, missing_source)
    assert response.status_code == 200
    assert not RecommendationLink.objects.exists()

    response = client.post(url, {**missing_source, "links_out-0-source": source.pk})
    assert response.status_code == 302
    link = RecommendationLink.objects.get()
    assert (link.from_recommendation, link.to_recommendation) == (sample.done, sample.overdue)


def test_each_side_of_a_link_shows_the_other_with_its_current_status(client, sample):
    RecommendationLink.objects.create(
        from_recommendation=sample.done,
        to_recommendation=sample.overdue,
        kind=RecommendationLink.Kind.BUILDS_ON,
        source=example_source(),
    )
    later = text_of(client.get("/reports/second-inquiry/1/"))
    assert (
        "Builds on Test recommendation 1: Create an example authority — now In progress "
        "(as described on 10 January 2024)" in later
    )
    assert "Source: Example review of overlapping recommendations" in later
    earlier = text_of(client.get("/reports/test-inquiry/1/"))
    assert (
        "Is built on by Second recommendation 1: Publish an example plan — now Implemented "
        "(as described on 1 May 2026)" in earlier
    )
    assert "Linked recommendations" not in text_of(client.get("/reports/test-inquiry/2/"))
