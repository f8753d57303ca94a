"""The read-only JSON API: content, filters, strict parameters, privacy and query counts."""

import datetime

import pytest
import time_machine
from django.core.management import call_command

from tests.factories import (
    DeadlineFactory,
    OrganisationFactory,
    OwnershipFactory,
    RecommendationFactory,
    ReportFactory,
    ResponseFactory,
    StatusUpdateFactory,
)
from tests.factories_open_data import (
    CONTACT_EMAIL,
    DRAFT_SUMMARY,
    NOW,
    SUBSCRIBER_EMAIL,
    build_open_data,
)
from tracker.models import ImplementationStatus, ResponseKind, StatusUpdate
from tracker.updates import publish_update

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "/api/",
    "/api/reports/",
    "/api/recommendations/",
    "/api/owners/",
    "/api/deadlines/",
    "/api/updates/",
]


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def data():
    return build_open_data(6)


def get_json(client, url: str, status: int = 200) -> dict:
    response = client.get(url)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_recommendations_list_carries_status_response_timeliness_and_links(client, data):
    body = get_json(client, "/api/recommendations/")

    assert body["as_of"] == "2026-11-23"
    assert body["count"] == 6
    first = body["results"][0]
    assert first["label"] == "Example 1"
    assert first["status"] == ImplementationStatus.IN_PROGRESS
    assert first["status_label"] == "In progress"
    assert first["response"] == ResponseKind.ACCEPTED
    assert first["response_label"] == "Accepted"
    assert first["is_overdue"] is True
    assert first["oldest_overdue_due_date"] == "2025-12-31"
    assert first["next_due_date"] is None
    assert body["results"][1]["is_overdue"] is False
    assert body["results"][1]["next_due_date"] == "2027-12-31"
    assert first["owners"][0] == {
        "slug": "example-department",
        "name": "Example Department",
        "role": "lead",
        "scope": "",
        "basis": "stated",
        "url": "http://testserver/owners/example-department/",
    }
    assert first["url"] == "http://testserver/reports/example-inquiry/1/"
    assert first["api_url"] == "http://testserver/api/recommendations/example-inquiry/1/"
    assert client.get(first["url"]).status_code == 200
    assert get_json(client, first["api_url"])["number"] == 1


def test_every_endpoint_states_its_as_of_date_and_is_open_to_other_sites(client, data):
    for url in ENDPOINTS:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.json()["as_of"] == "2026-11-23", url
        assert response["X-Data-As-Of"] == "2026-11-23", url
        assert response["Access-Control-Allow-Origin"] == "*", url


def test_filters_are_those_of_the_table(client, data):
    other = RecommendationFactory(title="Unrelated oversight body")

    overdue = get_json(client, "/api/recommendations/?report=example-inquiry&overdue=true")
    assert [r["number"] for r in overdue["results"]] == [1, 3, 5]
    assert get_json(client, "/api/recommendations/?overdue=yes")["count"] == 3
    not_overdue = get_json(client, "/api/recommendations/?report=example-inquiry&overdue=false")
    assert [r["number"] for r in not_overdue["results"]] == [2, 4, 6]
    implemented = get_json(client, "/api/recommendations/?status=implemented")
    assert [r["number"] for r in implemented["results"]] == [2, 5]
    assert get_json(client, "/api/recommendations/?owner=example-agency")["count"] == 6
    assert get_json(client, "/api/recommendations/?response=accepted")["count"] == 6
    awaiting = get_json(client, "/api/recommendations/?response=awaiting")
    assert [r["number"] for r in awaiting["results"]] == [other.number]
    assert awaiting["results"][0]["response"] is None
    assert awaiting["results"][0]["response_label"] == "No response yet"
    assert get_json(client, "/api/recommendations/?q=oversight")["count"] == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/recommendations/?colour=red", "Unknown query parameter: colour"),
        ("/api/recommendations/?status=finished", "status"),
        ("/api/recommendations/?overdue=perhaps", "overdue"),
        ("/api/recommendations/?report=no-such-report", "report"),
        ("/api/recommendations/?owner=no-such-owner", "owner"),
        ("/api/recommendations/?page=abc", "page"),
        ("/api/recommendations/?page=0", "page"),
        ("/api/recommendations/?page_size=1000", "page_size"),
        ("/api/recommendations/?page_size=-5", "page_size"),
        ("/api/recommendations/?as_of=2026-02-30", "as_of"),
        ("/api/recommendations/?as_of=2030-01-01", "future"),
        ("/api/recommendations/?ordering=secret_field", "Cannot order by secret_field"),
        ("/api/recommendations/?format=xml", "format"),
        ("/api/recommendations/example-inquiry/1/?page=2", "Unknown query parameter: page"),
        ("/api/reports/?as_of=2026-01-01", "Unknown query parameter: as_of"),
        ("/api/deadlines/?due_after=not-a-date", "due_after"),
        ("/api/deadlines/?state=late", "state"),
        ("/api/updates/?published_since=2026-13-01", "published_since"),
        ("/api/updates/?account=rumour", "account"),
        ("/api/owners/?kind=police", "Unknown query parameter: kind"),
        ("/api/?anything=1", "Unknown query parameter: anything"),
        ("/api/recommendations/?q=a%00b", "q"),
        ("/api/recommendations/?report=a%00b", "report"),
        ("/api/recommendations/?as_of=2026%0001-01", "as_of"),
        ("/api/deadlines/?due_before=2026-01-01%00", "due_before"),
    ],
)
def test_unknown_or_malformed_parameters_get_400_with_a_message(client, data, url, message):
    response = client.get(url)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_page_past_the_end_is_not_found(client, data):
    assert client.get("/api/recommendations/?page=99").status_code == 404


def test_pagination_is_bounded_and_links_pages(client, data):
    body = get_json(client, "/api/recommendations/?page_size=4")
    assert len(body["results"]) == 4
    assert body["next"] == "http://testserver/api/recommendations/?page=2&page_size=4"
    second = get_json(client, body["next"])
    assert [r["number"] for r in second["results"]] == [5, 6]


def test_ordering(client, data):
    body = get_json(client, "/api/recommendations/?ordering=-number")
    assert [r["number"] for r in body["results"]] == [6, 5, 4, 3, 2, 1]


def test_there_are_no_write_endpoints(client, data):
    for url in [*ENDPOINTS, "/api/recommendations/example-inquiry/1/"]:
        assert client.post(url, {"title": "x"}).status_code == 405, url
    assert client.put("/api/recommendations/example-inquiry/1/").status_code == 405
    assert client.patch("/api/reports/example-inquiry/").status_code == 405
    assert client.delete("/api/updates/1/").status_code == 405


def test_drafts_and_private_addresses_never_appear(client, admin_client, data):
    for user_client in (client, admin_client):
        for url in ENDPOINTS:
            text = user_client.get(f"{url}?page_size=200" if url != "/api/" else url).content
            text = text.decode()
            assert DRAFT_SUMMARY not in text, url
            assert CONTACT_EMAIL not in text, url
            assert SUBSCRIBER_EMAIL not in text, url
            assert '"status":"not_being_implemented"' not in text, url
    draft = StatusUpdate.objects.drafts().first()
    assert client.get(f"/api/updates/{draft.pk}/").status_code == 404
    assert get_json(client, "/api/updates/")["count"] == 6


def test_report_counts_recommendations_by_status_and_overdue(client, data):
    body = get_json(client, "/api/reports/example-inquiry/")

    assert body["as_of"] == "2026-11-23"
    assert body["recommendation_count"] == 6
    assert body["overdue_count"] == 3
    assert body["status_counts"]["implemented"] == 2
    assert body["status_counts"]["in_progress"] == 2
    assert body["status_counts"]["not_yet_assessed"] == 0
    assert body["url"] == "http://testserver/reports/example-inquiry/"
    assert body["report_url"] == "https://example.org/report"
    recommendations = get_json(client, body["recommendations_api_url"])
    assert recommendations["count"] == 6


def test_owner_detail(client, data):
    body = get_json(client, "/api/owners/example-department/")

    assert body["name"] == "Example Department"
    assert body["lead_count"] == 6
    assert body["supporting_count"] == 0
    assert body["url"] == "http://testserver/owners/example-department/"
    assert client.get("/api/owners/no-such-owner/").status_code == 404


def test_deadlines_show_their_history_and_state(client):
    recommendation = RecommendationFactory(report=ReportFactory(slug="inquiry"), number=4)
    first = DeadlineFactory(recommendation=recommendation, due_date=datetime.date(2025, 12, 31))
    second = DeadlineFactory(
        recommendation=recommendation,
        supersedes=first,
        due_date=datetime.date(2026, 12, 31),
        stated_as="by the end of 2026",
        change_reason="The consultation took longer.",
    )

    body = get_json(client, "/api/deadlines/")
    old, new = body["results"]
    assert old["state"] == "superseded"
    assert old["superseded_by"] == second.pk
    assert old["is_overdue"] is False
    assert new["state"] == "open"
    assert new["supersedes"] == first.pk
    assert new["url"] == "http://testserver/reports/inquiry/4/"
    assert new["recommendation_api_url"] == "http://testserver/api/recommendations/inquiry/4/"
    assert get_json(client, "/api/deadlines/?state=open")["count"] == 1
    assert get_json(client, "/api/deadlines/?state=superseded")["results"][0]["id"] == first.pk
    assert get_json(client, "/api/deadlines/?due_before=2026-01-01")["count"] == 1
    assert get_json(client, new["api_url"])["change_reason"] == "The consultation took longer."


def test_overdue_deadline_state_filter(client, data):
    body = get_json(client, "/api/deadlines/?state=overdue&report=example-inquiry")
    assert body["count"] == 3
    assert all(d["is_overdue"] for d in body["results"])


def test_updates_are_published_only_and_filterable(client):
    recommendation = RecommendationFactory(report=ReportFactory(slug="inquiry"), number=2)
    owner = OrganisationFactory(slug="welsh-government")
    OwnershipFactory(recommendation=recommendation, organisation=owner)
    published = StatusUpdateFactory(
        recommendation=recommendation,
        published=True,
        published_at=datetime.datetime(2026, 11, 20, 10, tzinfo=datetime.UTC),
    )
    StatusUpdateFactory(recommendation=recommendation)

    body = get_json(client, "/api/updates/")
    assert [u["id"] for u in body["results"]] == [published.pk]
    update = body["results"][0]
    assert update["url"] == f"http://testserver/reports/inquiry/2/#update-{published.pk}"
    assert update["source_url"] == "https://example.org/update"
    assert "entered_by" not in update
    assert "published_by" not in update
    assert get_json(client, "/api/updates/?owner=welsh-government")["count"] == 1
    assert get_json(client, "/api/updates/?published_since=2026-11-21")["count"] == 0
    assert get_json(client, "/api/updates/?published_since=2026-11-20")["count"] == 1


def test_as_of_a_past_day_shows_how_things_stood(client):
    recommendation = RecommendationFactory(report=ReportFactory(slug="inquiry"), number=1)
    owner = OrganisationFactory()
    OwnershipFactory(recommendation=recommendation, organisation=owner)
    ResponseFactory(
        recommendation=recommendation, organisation=owner, responded_on=datetime.date(2023, 5, 22)
    )
    publish_update(
        StatusUpdateFactory(
            recommendation=recommendation,
            describes_on=datetime.date(2025, 4, 8),
            status=ImplementationStatus.IN_PROGRESS,
        )
    )
    publish_update(
        StatusUpdateFactory(
            recommendation=recommendation,
            describes_on=datetime.date(2026, 6, 1),
            status=ImplementationStatus.IMPLEMENTED,
        )
    )

    today = get_json(client, "/api/recommendations/inquiry/1/")
    then = get_json(client, "/api/recommendations/inquiry/1/?as_of=2025-12-01")
    before_response = get_json(client, "/api/recommendations/?as_of=2023-01-01")

    assert today["status"] == "implemented"
    assert then["as_of"] == "2025-12-01"
    assert then["status"] == "in_progress"
    assert then["status_on"] == "2025-04-08"
    assert before_response["as_of"] == "2023-01-01"
    assert before_response["results"][0]["status"] == "not_yet_assessed"
    assert before_response["results"][0]["response"] is None


def test_unknown_recommendation_is_not_found(client, data):
    assert client.get("/api/recommendations/example-inquiry/999/").status_code == 404
    assert client.get("/api/recommendations/elsewhere/1/").status_code == 404


def test_openapi_schema_describes_read_only_endpoints_and_filters(client, data):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()

    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert "/api/recommendations/" in paths
    assert "/api/recommendations/{slug}/{number}/" in paths
    for operations in paths.values():
        assert set(operations) <= {"get", "parameters"}
    parameters = {p["name"] for p in paths["/api/recommendations/"]["get"]["parameters"]}
    assert {"report", "owner", "status", "response", "overdue", "q", "page", "as_of"} <= (
        parameters
    )
    page = schema["components"]["schemas"]["PaginatedRecommendationList"]
    assert "as_of" in page["required"]
    yaml = client.get("/api/schema/")
    assert yaml.status_code == 200
    assert b"openapi: 3" in yaml.content


QUERY_COUNTED_URLS = [
    "/api/",
    "/api/recommendations/?page_size=200",
    "/api/recommendations/?report=example-inquiry&owner=example-department&overdue=true"
    "&status=in_progress&response=accepted&q=example&page_size=200&ordering=-number",
    "/api/recommendations/?as_of=2026-01-01&page_size=200",
    "/api/recommendations/example-inquiry/7/",
    "/api/reports/",
    "/api/reports/example-inquiry/",
    "/api/owners/",
    "/api/deadlines/?page_size=200",
    "/api/deadlines/?state=overdue&report=example-inquiry&owner=example-department",
    "/api/updates/?page_size=200",
    "/api/updates/?owner=example-department&report=example-inquiry",
]


def test_openapi_schema_is_valid_openapi_3(tmp_path):
    path = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--file", str(path))

    assert path.read_text().startswith("openapi: 3")


@pytest.mark.parametrize("count", [32, 2000])
def test_query_count_does_not_grow_with_recommendations(
    client, django_assert_max_num_queries, count
):
    build_open_data(count)

    for url in QUERY_COUNTED_URLS:
        with django_assert_max_num_queries(6):
            response = client.get(url)
        assert response.status_code == 200, url


def test_version_1_1_adds_the_split_deadline_and_plain_summary_and_keeps_every_field(client, data):
    first = get_json(client, "/api/recommendations/")["results"][0]
    second = get_json(client, "/api/recommendations/")["results"][1]
    report = get_json(client, "/api/reports/")["results"][0]

    assert (first["due_date"], first["deadline_state"], first["days_late"]) == (
        "2025-12-31",
        "Past due with no report of delivery",
        327,
    )
    assert (second["due_date"], second["deadline_state"], second["days_late"]) == (
        "2027-12-31",
        "Not yet due",
        None,
    )
    assert first["plain_summary"] == ""
    assert report["alternative_names"] == []
    # The fields of version 1 are all still there.
    assert {"is_overdue", "oldest_overdue_due_date", "next_due_date", "status_on"} <= set(first)
    assert client.get("/api/schema/").content.decode().count("version: '1.2'") == 1
