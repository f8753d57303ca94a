"""Last checked and the newest fact; the date control on every status page; past views' titles."""

import datetime

import pytest
import time_machine

from tests.factories_pages import NOW, build_sample
from tests.test_views_public import text_of
from tracker.models import Check

pytestmark = pytest.mark.django_db

STATUS_PAGES = [
    "/",
    "/reports/",
    "/reports/test-inquiry/",
    "/reports/test-inquiry/1/",
    "/recommendations/",
    "/owners/",
    "/owners/example-lead/",
]


@pytest.fixture
def sample():
    with time_machine.travel(NOW, tick=False):
        sample = build_sample()
        Check.objects.create(
            recommendation=sample.overdue,
            checked_on=datetime.date(2026, 11, 2),
            checked_by_name="Example editor",
        )
        Check.objects.create(
            recommendation=sample.overdue,
            checked_on=datetime.date(2026, 10, 1),
            checked_by_name="Example editor",
        )
        Check.objects.create(
            recommendation=sample.done,
            checked_on=datetime.date(2026, 6, 30),
            checked_by_name="Example editor",
        )
        yield sample


def test_a_recommendation_says_when_it_was_last_checked_and_its_newest_fact(client, sample):
    text = text_of(client.get("/reports/test-inquiry/1/"))
    assert "Newest fact shown: 1 March 2026." in text  # the update about the Welsh part
    assert "Last checked for new developments on 2 November 2026." in text
    assert "Data as of" not in text
    unknown = text_of(client.get("/reports/test-inquiry/2/"))
    assert "Newest fact shown: none recorded yet." in unknown
    assert "Not yet checked for new developments." in unknown


def test_lists_give_the_oldest_and_newest_check_among_what_they_list(client, sample):
    overview = text_of(client.get("/"))
    assert "Newest fact shown: 1 May 2026." in overview
    assert (
        "Last checked for new developments between 30 June 2026 and 2 November 2026; "
        "1 of 3 not yet checked." in overview
    )
    report = text_of(client.get("/reports/test-inquiry/"))
    assert "between 2 November 2026 and 2 November 2026; 1 of 2 not yet checked" in report
    owner = text_of(client.get("/owners/example-lead/"))
    assert "between 30 June 2026 and 2 November 2026." in owner
    # A past view counts only the checks made by then.
    past = text_of(client.get("/reports/test-inquiry/1/?as_of=2026-10-15"))
    assert "Last checked for new developments on 1 October 2026." in past


def test_the_overdue_list_says_how_long_since_the_last_check(client, sample):
    text = text_of(client.get("/"))
    assert "last checked 2 November 2026 (21 days ago)" in text


@pytest.mark.parametrize("path", STATUS_PAGES)
def test_every_status_page_has_a_plain_date_control(client, sample, path):
    html = client.get(path).content.decode()
    assert f'<form class="as-of-form" method="get" action="{path}">' in html
    assert '<input id="as-of-day" name="as_of" type="date" value="2026-11-23"' in html
    past = client.get(path, {"as_of": "2026-01-01"}).content.decode()
    assert "<title>As of 1 January 2026: " in past


def test_the_date_control_and_back_to_today_keep_the_filters(client, sample):
    html = client.get("/recommendations/?owner=example-lead&status=in_progress").content.decode()
    assert '<input type="hidden" name="owner" value="example-lead">' in html
    assert '<input type="hidden" name="status" value="in_progress">' in html
    past = client.get(
        "/recommendations/?owner=example-lead&status=in_progress&as_of=2025-01-01&page=1"
    ).content.decode()
    assert (
        'href="/recommendations/?owner=example-lead&amp;status=in_progress">Back to today' in past
    )
    assert "<title>As of 1 January 2025: " in past


def test_freshness_costs_a_constant_number_of_queries(
    client, sample, django_assert_max_num_queries
):
    from tests.factories import RecommendationFactory

    counts = {}
    for size in (0, 30):
        for number in range(size):
            RecommendationFactory(report=sample.report, number=100 + number)
        for path in ("/", "/reports/test-inquiry/", "/owners/example-lead/"):
            with django_assert_max_num_queries(40) as captured:
                client.get(path)
            counts.setdefault(path, []).append(len(captured.captured_queries))
    for path, (small, large) in counts.items():
        assert small == large, path
