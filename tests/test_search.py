"""The site search: one box on every page, grouped and ranked results, full text on PostgreSQL."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    OrganisationFactory,
    OwnershipFactory,
    RecommendationFactory,
    ReportFactory,
)
from tests.factories_pages import build_sample, publish
from tests.test_worker import require
from tracker.models import ImplementationStatus, Ownership, Recommendation
from tracker.public.search import GROUP_LENGTH, clean_query, site_search


def text_of(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


@pytest.fixture
def reports(db):
    sample = build_sample()
    casey = ReportFactory(
        slug="example-audit",
        title="Example national audit of group-based abuse",
        short_name="Example audit",
        alternative_names="grooming gangs audit\nExample review",
    )
    redress = RecommendationFactory(
        report=sample.report,
        number=3,
        title="A national redress scheme",
        text="A single redress scheme should be set up.",
        plain_summary="Pay redress to people abused in institutional care.",
    )
    home_office = OrganisationFactory(slug="example-home-office", name="Example Home Office")
    OwnershipFactory(recommendation=redress, organisation=home_office, role=Ownership.Role.LEAD)
    publish(
        redress,
        describes_on=datetime.date(2025, 2, 1),
        status=ImplementationStatus.NOT_STARTED,
        summary="The example government said the scheme would not go ahead as designed.",
    )
    return {"sample": sample, "audit": casey, "redress": redress, "home_office": home_office}


def test_every_page_has_the_search_box_in_its_header(client, reports):
    for path in ["/", "/reports/", "/owners/", "/methodology/", "/no-such-page/"]:
        html = client.get(path).content.decode()
        assert 'role="search"' in html, path
        assert '<label class="site-search__label" for="site-search-q">Search this site' in html


def test_a_report_is_found_by_a_name_it_goes_by(client, reports):
    response = client.get("/search/", {"q": "grooming gangs audit"})

    assert response.status_code == 200
    text = text_of(response)
    assert "Reports" in text
    assert "Example national audit of group-based abuse" in text
    assert "Also known as: grooming gangs audit, Example review" in text


def test_a_recommendation_is_found_by_its_summary_with_its_status(client, reports):
    response = client.get("/search/", {"q": "redress"})

    text = text_of(response)
    assert "Test recommendation 3: A national redress scheme" in text
    assert "Status: Not started" in text
    assert "Pay redress to people abused in institutional care." in text
    assert 'href="/reports/test-inquiry/3/"' in response.content.decode()


def test_owners_and_updates_are_searched_too(client, reports):
    owners = text_of(client.get("/search/", {"q": "Home Office"}))
    updates = text_of(client.get("/search/", {"q": "not go ahead"}))

    assert "Owners" in owners
    assert "Example Home Office" in owners
    assert "Updates" in updates
    assert "The example government said the scheme would not go ahead as designed." in updates


def test_results_are_grouped_in_order_with_their_counts(reports):
    results = site_search("redress")

    assert [g.key for g in results.groups] == ["reports", "recommendations", "owners", "updates"]
    assert [len(g.hits) for g in results.groups] == [0, 1, 0, 0]
    assert results.total == 1


def test_a_title_match_ranks_above_a_wording_match(reports):
    sample = reports["sample"]
    RecommendationFactory(
        report=sample.report, number=4, title="Inspect schools", text="Report on redress too."
    )

    hits = site_search("redress").groups[1].hits

    assert [hit.number for hit in hits] == [3, 4]


def test_nothing_found_suggests_the_table_and_the_reports(client, reports):
    response = client.get("/search/", {"q": "zzzunfound"})

    text = text_of(response)
    assert "Nothing on this site matches “zzzunfound”." in text
    html = response.content.decode()
    assert 'href="/recommendations/"' in html
    assert 'href="/reports/"' in html


def test_an_empty_search_shows_the_form(client, reports):
    response = client.get("/search/")

    assert response.status_code == 200
    assert "Search this site" in text_of(response)


def test_an_overlong_search_gets_a_clear_message_and_a_400(client, reports):
    response = client.get("/search/", {"q": "x" * 201})

    assert response.status_code == 400
    assert "The search is 201 characters long: use at most 200." in text_of(response)
    assert 'class="error-summary"' in response.content.decode()


def test_the_query_is_tidied(db):
    assert clean_query("  grooming\n  gangs ") == "grooming gangs"
    assert clean_query(None) == ""


def test_a_group_with_more_than_it_lists_says_so(client, reports):
    report = reports["sample"].second_report
    for number in range(10, 10 + GROUP_LENGTH + 2):
        RecommendationFactory(report=report, number=number, title=f"Example widget {number}")

    response = client.get("/search/", {"q": "widget"})

    assert f"Only the best {GROUP_LENGTH} are listed." in text_of(response)
    assert len(site_search("widget").groups[1].hits) == GROUP_LENGTH


def test_search_query_count_does_not_grow_with_matches(
    client, reports, django_assert_max_num_queries
):
    report = reports["sample"].second_report
    for number in range(10, 15):
        recommendation = RecommendationFactory(report=report, number=number, title="A widget")
        publish(
            recommendation,
            describes_on=datetime.date(2025, 3, 1),
            status=ImplementationStatus.IN_PROGRESS,
            summary="Widget work began.",
        )

    with django_assert_max_num_queries(6):
        response = client.get("/search/", {"q": "widget"})

    assert response.status_code == 200


def test_search_pages_are_not_page_cached(client, reports, settings):
    settings.PAGE_CACHE_SECONDS = 60
    client.get("/search/", {"q": "redress"})
    response = client.get("/search/", {"q": "redress"})

    assert "X-Page-Cache" not in response.headers


def test_postgresql_stems_english_and_reads_the_gin_index(reports):
    require(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL)")
    sample = reports["sample"]
    RecommendationFactory(
        report=sample.report, number=5, title="Stop groomers", text="Groomed children."
    )

    hits = site_search("grooming").groups[1].hits
    assert [hit.number for hit in hits] == [5]

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        with CaptureQueriesContext(connection) as queries:
            list(site_search("grooming").groups[1].hits)
        recommendation_sql = next(q["sql"] for q in queries if "tracker_recommendation" in q["sql"])
        cursor.execute("EXPLAIN " + recommendation_sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "recommendation_search_vector" in plan


def test_postgresql_keeps_the_stored_vector_up_to_date_on_every_write(reports):
    require(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL)")
    redress = reports["redress"]

    Recommendation.objects.filter(pk=redress.pk).update(title="A national apology scheme")

    hits = site_search("apology").groups[1].hits
    assert [hit.pk for hit in hits] == [redress.pk]
    Recommendation.objects.bulk_create(
        [Recommendation(report=redress.report, number=40, title="Lighthouses", text_kind="unknown")]
    )
    assert [hit.number for hit in site_search("lighthouse").groups[1].hits] == [40]


def test_the_counts_read_as_words(client, reports):
    text = text_of(client.get("/search/", {"q": "redress"}))

    assert "Found 1 recommendation." in text
