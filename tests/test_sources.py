"""Sources as records: the public list, the primary-source count, the admin, the migration."""

import datetime

import pytest
from django.urls import reverse

from tests.factories import (
    DeadlineFactory,
    RecommendationFactory,
    ReportFactory,
    ResponseFactory,
    SourceFactory,
    StatusUpdateFactory,
    example_source,
    make_editor,
)
from tracker.citations import classify, primary_claim_counts
from tracker.models import Source

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "kind", "publisher"),
    [
        ("https://www.gov.uk/government/news/x", "primary", "GOV.UK"),
        ("https://www.legislation.gov.uk/ukpga/2026/21", "primary", "legislation.gov.uk"),
        (
            "https://hansard.parliament.uk/commons/2025-06-16/debates/x",
            "primary",
            "Hansard (UK Parliament)",
        ),
        ("https://www.gov.wales/x", "primary", "Welsh Government"),
        ("https://senedd.wales/x", "primary", "Senedd Cymru"),
        (
            "https://www.iicsa.org.uk/reports",
            "primary",
            "Independent Inquiry into Child Sexual Abuse",
        ),
        (
            "https://webarchive.nationalarchives.gov.uk/ukgwa/2022/https://www.iicsa.org.uk/",
            "primary",
            "The National Archives (UK Government Web Archive)",
        ),
        ("https://www.ofsted.gov.uk/x", "primary", "ofsted.gov.uk"),
        ("https://www.bbc.co.uk/news/x", "secondary", "bbc.co.uk"),
        ("https://notgov.uk.example.com/x", "secondary", "notgov.uk.example.com"),
    ],
)
def test_kind_and_publisher_are_guessed_from_the_address(url, kind, publisher):
    assert classify(url) == (kind, publisher)


def sourced_world():
    report = ReportFactory(slug="test-inquiry", short_name="Test")
    recommendation = RecommendationFactory(report=report, number=1)
    primary = SourceFactory(
        url="https://example.org/statement",
        title="Example statement",
        kind=Source.Kind.PRIMARY,
        published_on=datetime.date(2025, 1, 2),
    )
    ResponseFactory(recommendation=recommendation, source_url="https://example.org/statement")
    DeadlineFactory(recommendation=recommendation, source_url="https://example.org/plan")
    StatusUpdateFactory(recommendation=recommendation, published=True)
    StatusUpdateFactory(
        recommendation=recommendation, source_url="https://example.org/draft-only", summary="x"
    )
    return recommendation, primary


def test_sources_page_lists_each_public_source_with_what_cites_it(client):
    recommendation, _primary = sourced_world()
    page = client.get("/sources/").content.decode()
    assert "Example statement" in page
    assert "published 2 January 2025" in page
    assert f'href="{recommendation.get_absolute_url()}"' in page
    assert "Response:" in page
    assert "Deadline:" in page
    assert "Update:" in page
    # A source only a draft cites is not public.
    assert "example.org/draft-only" not in page
    assert page.index("Primary sources") < page.index("Example statement")
    assert page.index("Example statement") < page.index("Secondary sources (")


@pytest.mark.parametrize("extra", [1, 20])
def test_sources_page_query_count_does_not_grow(client, django_assert_max_num_queries, extra):
    for number in range(extra):
        recommendation = RecommendationFactory(number=100 + number)
        StatusUpdateFactory(
            recommendation=recommendation,
            published=True,
            source_url=f"https://example.org/update-{number}",
        )
        DeadlineFactory(
            recommendation=recommendation, source_url=f"https://example.org/plan-{number}"
        )
    with django_assert_max_num_queries(17):
        assert client.get("/sources/").status_code == 200


def test_a_source_cited_many_times_lists_the_first_few_of_each_kind_and_says_how_many(client):
    from tracker.citations import CITATIONS_SHOWN

    cited = CITATIONS_SHOWN + 2
    for number in range(cited):
        StatusUpdateFactory(
            recommendation=RecommendationFactory(number=200 + number),
            published=True,
            source_url="https://example.org/one-progress-report",
            source_title="One progress report",
        )
    page = client.get("/sources/").content.decode()
    entry = page[page.index("One progress report") :]
    entry = entry[: entry.index("</li>\n", entry.index("Cited"))]
    assert entry.count("<li>Update:") == CITATIONS_SHOWN
    assert (
        f"Cited {cited} times in all; the first {CITATIONS_SHOWN} of each kind are listed." in entry
    )


def test_methodology_states_how_many_claims_rest_on_primary_sources(client):
    sourced_world()
    total, primary = primary_claim_counts()
    # One response on a primary source; a deadline and an update on secondary ones (the report's
    # wording has no source in the factory).
    assert (total, primary) == (3, 1)
    page = client.get("/methodology/").content.decode()
    assert "Of the 3 sourced claims on this site" in page
    assert "1 rest on a primary source and 2 on a secondary one" in page


def test_secondary_report_of_an_owners_words_says_as_reported_by(client):
    recommendation, _ = sourced_world()
    page = client.get(recommendation.get_absolute_url()).content.decode()
    assert (
        'As reported by Example publisher: <a href="https://example.org/update">Example update</a>'
        in page
    )
    assert (
        'Source: <a href="https://example.org/statement">Example statement</a> (Example publisher)'
        in page
    )


def test_source_admin_lists_filters_and_shows_what_cites_it(client):
    _recommendation, primary = sourced_world()
    client.force_login(make_editor())
    listing = client.get(reverse("admin:tracker_source_changelist") + "?kind__exact=primary")
    assert "Example statement" in listing.content.decode()
    assert "example.org/plan" not in listing.content.decode()
    found = client.get(reverse("admin:tracker_source_changelist") + "?q=statement")
    assert "Example statement" in found.content.decode()
    change = client.get(reverse("admin:tracker_source_change", args=[primary.pk]))
    assert "Response:" in change.content.decode()
    autocomplete = client.get(
        "/admin/autocomplete/?app_label=tracker&model_name=statusupdate&field_name=source&term=statement"
    )
    assert "Example statement" in autocomplete.content.decode()


def test_an_editor_cites_a_new_address_and_it_becomes_a_source(client):
    recommendation = RecommendationFactory()
    example_source("https://example.org/existing", "Existing")
    client.force_login(make_editor())
    data = {
        "recommendation": recommendation.pk,
        "describes_on": "2025-04-08",
        "status": "in_progress",
        "account": "owner",
        "summary": "A consultation was published.",
        "reason": "",
        "source_url": "https://www.gov.uk/government/consultations/example",
        "source_title": "Example consultation",
    }
    assert client.post(reverse("admin:tracker_statusupdate_add"), data).status_code == 302
    source = Source.objects.get(url="https://www.gov.uk/government/consultations/example")
    assert (source.title, source.kind, source.publisher) == (
        "Example consultation",
        "primary",
        "GOV.UK",
    )
    assert recommendation.updates.get().source == source
