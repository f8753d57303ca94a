"""Atom feeds of published updates (all, per report, per recommendation) and of changes."""

import datetime
import xml.etree.ElementTree as ET

import pytest
import time_machine

from tests.factories import (
    DeadlineFactory,
    RecommendationFactory,
    ReportFactory,
    StatusUpdateFactory,
)
from tests.factories_open_data import (
    CONTACT_EMAIL,
    DRAFT_SUMMARY,
    NOW,
    SUBSCRIBER_EMAIL,
    build_open_data,
)
from tracker.public import feeds

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


def parse_atom(response) -> ET.Element:
    """Parse and check what RFC 4287 requires of a feed and each of its entries."""
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 - our own output, in a test
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{name}").text, name
    assert feed.find(f"{ATOM}author/{ATOM}name").text
    assert feed.find(f"{ATOM}link[@rel='alternate']").get("href").startswith("http://testserver/")
    assert feed.find(f"{ATOM}link[@rel='self']").get("href").startswith("http://testserver/")
    ids = []
    for entry in feed.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{name}").text, name
        datetime.datetime.fromisoformat(entry.find(f"{ATOM}updated").text)
        assert entry.find(f"{ATOM}link").get("href").startswith("http://testserver/")
        ids.append(entry.find(f"{ATOM}id").text)
    assert len(ids) == len(set(ids)), "entry ids must be unique"
    return feed


def entries(feed: ET.Element) -> list[ET.Element]:
    return feed.findall(f"{ATOM}entry")


def published_update(recommendation, day: int, **kwargs):
    return StatusUpdateFactory(
        recommendation=recommendation,
        published=True,
        published_at=datetime.datetime(2026, 11, day, 10, tzinfo=datetime.UTC),
        **kwargs,
    )


def test_all_updates_feed_lists_published_updates_latest_first(client):
    report = ReportFactory(slug="inquiry", short_name="IICSA")
    recommendation = RecommendationFactory(report=report, number=13)
    older = published_update(recommendation, 2, summary="A consultation was opened.")
    newer = published_update(
        recommendation,
        9,
        summary="A bill was introduced.",
        source_url="https://example.org/hansard",
        source_title="Hansard",
    )
    StatusUpdateFactory(recommendation=recommendation, summary=DRAFT_SUMMARY)

    response = client.get("/updates.atom")
    feed = parse_atom(response)

    assert "Generated on 23 November 2026" in feed.find(f"{ATOM}subtitle").text
    assert response["X-Data-As-Of"] == "2026-11-23"
    first, second = entries(feed)
    assert first.find(f"{ATOM}title").text == "IICSA 13: In progress"
    assert first.find(f"{ATOM}link").get("href") == (
        f"http://testserver/reports/inquiry/13/#update-{newer.pk}"
    )
    summary = first.find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert "A bill was introduced." in summary.text
    assert 'href="https://example.org/hansard"' in summary.text
    assert "Hansard" in summary.text
    assert second.find(f"{ATOM}id").text.endswith(f"#update-{older.pk}")
    assert feed.find(f"{ATOM}updated").text.startswith("2026-11-09")
    assert DRAFT_SUMMARY not in response.content.decode()


def test_correction_is_marked_and_html_in_summaries_is_escaped(client):
    recommendation = RecommendationFactory(report=ReportFactory(short_name="IICSA"), number=3)
    wrong = published_update(recommendation, 2)
    published_update(recommendation, 4, corrects=wrong, summary="<script>x</script> fixed")

    feed = parse_atom(client.get("/updates.atom"))

    correction = entries(feed)[0]
    assert correction.find(f"{ATOM}title").text == "Correction: IICSA 3: In progress"
    text = correction.find(f"{ATOM}summary").text
    assert "Corrects the update describing 8 April 2025." in text
    assert "<script>" not in text
    assert "&lt;script&gt;" in text


def test_report_and_recommendation_feeds_are_scoped(client):
    report = ReportFactory(slug="inquiry", short_name="IICSA")
    one = RecommendationFactory(report=report, number=1)
    two = RecommendationFactory(report=report, number=2)
    elsewhere = RecommendationFactory(report=ReportFactory(slug="other"), number=1)
    for recommendation in (one, two, elsewhere):
        published_update(recommendation, 5)

    report_feed = parse_atom(client.get("/reports/inquiry/updates.atom"))
    recommendation_feed = parse_atom(client.get("/reports/inquiry/2/updates.atom"))

    assert len(entries(report_feed)) == 2
    assert report_feed.find(f"{ATOM}title").text == "IICSA: published updates"
    assert report_feed.find(f"{ATOM}link[@rel='alternate']").get("href") == (
        "http://testserver/reports/inquiry/"
    )
    assert [e.find(f"{ATOM}title").text for e in entries(recommendation_feed)] == [
        "IICSA 2: In progress"
    ]
    assert client.get("/reports/missing/updates.atom").status_code == 404
    assert client.get("/reports/inquiry/9/updates.atom").status_code == 404


def test_empty_feed_is_still_valid(client):
    ReportFactory(slug="inquiry")
    feed = parse_atom(client.get("/reports/inquiry/updates.atom"))
    assert entries(feed) == []


def test_changes_feed_shows_updates_corrections_and_moved_deadlines(client):
    report = ReportFactory(slug="inquiry", short_name="IICSA")
    recommendation = RecommendationFactory(report=report, number=13)
    with time_machine.travel(datetime.datetime(2026, 1, 5, 12, tzinfo=datetime.UTC)):
        first = DeadlineFactory(recommendation=recommendation, due_date=datetime.date(2026, 12, 31))
    with time_machine.travel(datetime.datetime(2026, 11, 20, 12, tzinfo=datetime.UTC)):
        DeadlineFactory(
            recommendation=recommendation,
            supersedes=first,
            due_date=datetime.date(2027, 12, 31),
            stated_as="by the end of 2027",
            change_reason="Legislation is needed first.",
        )
    wrong = published_update(recommendation, 10)
    published_update(recommendation, 18, corrects=wrong)
    StatusUpdateFactory(recommendation=recommendation, summary=DRAFT_SUMMARY)

    response = client.get("/changes.atom?days=7&view=recorded")
    feed = parse_atom(response)

    titles = [e.find(f"{ATOM}title").text for e in entries(feed)]
    assert titles == [
        "Deadline moved: IICSA 13: deadline moved from 2026 to 2027",
        "Correction: IICSA 13: In progress",
    ]
    assert "Legislation is needed first." in entries(feed)[0].find(f"{ATOM}summary").text
    assert "17 November 2026 to 23 November 2026" in feed.find(f"{ATOM}subtitle").text
    assert "What was recorded on this tracker" in feed.find(f"{ATOM}subtitle").text
    assert feed.find(f"{ATOM}title").text.endswith("recorded in the last 7 days")
    assert feed.find(f"{ATOM}link[@rel='alternate']").get("href") == (
        "http://testserver/changes/?view=recorded"
    )
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == (
        "http://testserver/changes.atom?days=7&view=recorded"
    )
    assert DRAFT_SUMMARY not in response.content.decode()
    thirty_days = parse_atom(client.get("/changes.atom?view=recorded"))
    assert len(entries(thirty_days)) == 3


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("days=0", "days must be a whole number"),
        ("days=abc", "days must be a whole number"),
        ("days=1000", "days must be a whole number"),
        ("since=2026-01-01", "Unknown query parameter: since"),
    ],
)
def test_changes_feed_refuses_bad_parameters(client, query, message):
    response = client.get(f"/changes.atom?{query}")

    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize(
    "url", ["/updates.atom?page=2", "/reports/x/updates.atom?days=3", "/reports/x/1/updates.atom?a"]
)
def test_update_feeds_refuse_query_parameters(client, url):
    response = client.get(url)

    assert response.status_code == 400
    assert "This feed takes no parameters." in response.content.decode()


@pytest.mark.parametrize("count", [32, pytest.param(2000, marks=pytest.mark.slow)])
def test_feeds_issue_a_bounded_number_of_queries(client, django_assert_max_num_queries, count):
    build_open_data(count)

    for url in [
        "/updates.atom",
        "/reports/example-inquiry/updates.atom",
        "/reports/example-inquiry/7/updates.atom",
        "/changes.atom?days=120",  # the updates describe 1 October 2026
        "/changes.atom?days=30&view=recorded",
    ]:
        with django_assert_max_num_queries(6):
            response = client.get(url)

        text = response.content.decode()
        assert entries(parse_atom(response)), url
        for secret in (DRAFT_SUMMARY, CONTACT_EMAIL, SUBSCRIBER_EMAIL):
            assert secret not in text, url


def test_changes_feed_lists_the_latest_changes_and_says_how_many_there_are(client, monkeypatch):
    report = ReportFactory(slug="inquiry", short_name="IICSA")
    recommendation = RecommendationFactory(report=report, number=3)
    for day in range(18, 23):
        published_update(recommendation, day)
    everything = parse_atom(client.get("/changes.atom?view=recorded"))
    assert len(entries(everything)) == 5
    assert "of 5 changes" not in everything.find(f"{ATOM}subtitle").text

    monkeypatch.setattr(feeds, "CHANGES_FEED_LENGTH", 2)
    capped = parse_atom(client.get("/changes.atom?view=recorded"))
    ids = [e.find(f"{ATOM}id").text for e in entries(capped)]
    assert ids == [e.find(f"{ATOM}id").text for e in entries(everything)][:2]
    assert "The latest 2 of 5 changes are listed" in capped.find(f"{ATOM}subtitle").text
