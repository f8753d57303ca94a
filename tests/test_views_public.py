"""The public pages, through HTTP: what a reader sees, with the date its data is as of."""

import datetime
import re

import pytest
import time_machine
from django.test import override_settings

from tests.factories import (
    DeadlineFactory,
    RecommendationFactory,
    StatusUpdateFactory,
)
from tests.factories_pages import NOW, build_reports, publish
from tracker.models import ImplementationStatus, Report, StatusUpdate
from tracker.public import views
from tracker.updates import publish_update, refresh_headline_status

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    "/",
    "/reports/",
    "/recommendations/",
    "/reports/test-inquiry/",
    "/reports/test-inquiry/1/",
    "/reports/test-inquiry/2/",
    "/owners/",
    "/owners/example-lead/",
    "/changes/",
    "/data/",
    "/methodology/",
]


def text_of(response) -> str:
    """The page's visible text with tags removed and whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_page_is_public_and_carries_the_exits_and_the_as_of_date(client, sample, path):
    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<a class="exit-this-page__button" href="https://www.bbc.co.uk/weather"' in html
    assert '<form class="site-search" role="search" method="get" action="/search/">' in html
    assert "https://napac.org.uk" in html
    assert "https://www.thesurvivorstrust.org" in html
    text = text_of(response)
    # No page claims its data is as of today: status pages give the newest fact and the checks.
    assert "Data as of 23 November 2026" not in text
    if path.rstrip("/") not in {"/changes", "/data", "/methodology", "/recommendations"}:
        assert "Newest fact shown:" in text
        assert "checked for new developments" in text


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_pages_have_no_inline_script_or_style_and_send_a_strict_csp(client, sample, path):
    response = client.get(path)

    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_support_services_come_from_settings(client, sample):
    service = {
        "name": "An example helpline",
        "url": "https://help.example.org",
        "phone": "0800 000 0000",
        "hours": "9am to 5pm",
    }
    with override_settings(SUPPORT_SERVICES=[service]):
        response = client.get("/")

    html = response.content.decode()
    assert '<a href="https://help.example.org" rel="noreferrer">An example helpline</a>' in html
    assert '<a href="tel:08000000000">0800 000 0000</a>' in html
    assert "9am to 5pm" in html
    assert "napac.org.uk" not in response.content.decode()


def test_dashboard_shows_each_reports_figures(client, sample):
    text = text_of(client.get("/"))

    assert "Test inquiry: final report" in text
    assert "0 implemented" in text
    assert "1 in progress" in text
    assert "1 not yet assessed" in text
    # Late: Test 1 is overdue, Test 2 has had no response since one was due in 2023.
    assert (
        "Recommendations 2 Late 2 of which 1 overdue: past a deadline or missed, with no report "
        "of delivery · 1 without a response or decision when due. What late means . "
        "No deadline set 1" in text
    )
    assert "Published 20 October 2022 (4 years, 1 month ago)" in text
    # The second report: one recommendation, implemented, none overdue, its response awaited.
    assert "1 implemented" in text
    assert "Recommendations 1 Late 1 of which 0 overdue" in text
    assert (
        "· 1 without a response or decision when due. What late means . No deadline set 0" in text
    )


def test_dashboard_progress_bar_is_an_svg_with_a_text_alternative(client, sample):
    html = client.get("/").content.decode()

    assert 'role="img" aria-label="2 recommendations: 1 in progress, 1 not yet assessed"' in html
    assert '<rect class="fill-in_progress" x="0.000" y="0" width="50.000" height="4"/>' in html


def test_dashboard_lists_overdue_items_most_overdue_first(client, sample):
    text = text_of(client.get("/"))

    assert (
        "Test 1: Create an example authority Past due with no report of delivery: due 31 "
        "December 2025, 327 days ago; an earlier deadline, due 31 March 2025, was missed: "
        "replaced after it fell due; owner: Example Department Lead" in text
    )


def test_dashboard_lists_late_responses_longest_late_first(client, sample):
    text = text_of(client.get("/"))

    assert "2 recommendations had no response when one was due" in text
    unanswered = (
        "Test 2 Late: no response recorded, although one was due by 21 April 2023 (183 days "
        "after publication, this tracker's default rule). Late since 22 April 2023. "
        "Owner: Not known; not yet checked for new developments"
    )
    awaited = (
        "Second 1: Publish an example plan Late: no response recorded, although one was due by "
        "16 December 2025 (183 days after publication, this tracker's default rule). Late since "
        "17 December 2025. Owner: Example Department Lead"
    )
    assert unanswered in text
    assert awaited in text
    assert text.index(unanswered) < text.index(awaited)
    # On 16 June 2025 the second report's response was not yet due.
    past = text_of(client.get("/?as_of=2025-06-16"))
    assert "1 recommendation had no response when one was due" in past
    assert "Publish an example plan Late" not in past


def test_dashboard_lists_the_latest_published_updates_but_not_drafts(client, sample):
    StatusUpdateFactory(recommendation=sample.unknown, summary="An unpublished draft.")

    text = text_of(client.get("/"))

    assert "The example plan was published." in text
    assert "The example Welsh part has not begun." in text
    assert "An unpublished draft." not in text


def test_dashboard_as_of_the_casey_audit_day_shows_a_banner_and_past_figures(client, sample):
    response = client.get("/?as_of=2025-06-16")
    text = text_of(response)

    assert "You are looking at this page as it stood on 16 June 2025." in text
    assert "As it stood on 16 June 2025" in text
    assert "<title>As of 16 June 2025: " in response.content.decode()
    # The second report was published that day; its recommendation was not yet implemented.
    assert "Second inquiry: audit" in text
    assert "1 not yet assessed" in text
    # The deadline had moved to the end of 2025 on 1 May 2025, so nothing was overdue.
    assert "No recommendation had an overdue deadline on 16 June 2025." in text
    assert "Published 20 October 2022 (2 years, 7 months before 16 June 2025)" in text
    assert "The example plan was published." not in text
    # Links keep the date.
    assert 'href="/reports/test-inquiry/?as_of=2025-06-16"' in response.content.decode()


def test_dashboard_before_the_deadline_moved_shows_the_first_deadline_overdue(client, sample):
    text = text_of(client.get("/?as_of=2025-04-15"))

    assert "Past due with no report of delivery: due 31 March 2025, 15 days ago" in text
    assert "Second inquiry" not in text


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("16/06/2025", "“16/06/2025” is not a date. Give it as YYYY-MM-DD"),
        ("2025-02-30", "“2025-02-30” is not a date."),
        ("2027-01-01", "1 January 2027 is in the future."),
    ],
)
def test_a_bad_as_of_date_gets_a_clear_message(client, sample, value, message):
    response = client.get(f"/reports/test-inquiry/1/?as_of={value}")

    assert response.status_code == 400
    assert message in text_of(response)


def test_report_page_shows_its_scorecard_its_recommendations_and_a_badge_snippet(client, sample):
    response = client.get("/reports/test-inquiry/")
    text = text_of(response)
    html = response.content.decode()

    assert "Recommendations 2 Late 2 of which 1 overdue" in text
    assert "No deadline set 1" in text
    assert "Create an example authority" in text
    assert "Title not yet known" in text
    assert '<img src="/reports/test-inquiry/badge.svg"' in html
    assert "&lt;img src=&quot;http://127.0.0.1:8000/reports/test-inquiry/badge.svg&quot;" in html
    assert "/recommendations/?report=test-inquiry&amp;_export=csv" in html


def test_report_not_yet_published_on_the_as_of_date_is_not_found(client, sample):
    assert client.get("/reports/second-inquiry/?as_of=2025-06-15").status_code == 404
    assert client.get("/reports/second-inquiry/?as_of=2025-06-16").status_code == 200


def test_unknown_report_or_recommendation_is_not_found(client, sample):
    assert client.get("/reports/no-such-report/").status_code == 404
    assert client.get("/reports/test-inquiry/99/").status_code == 404
    assert client.get("/owners/no-such-owner/").status_code == 404


def test_recommendation_page_says_plainly_that_the_wording_is_a_summary(client, sample):
    text = text_of(client.get("/reports/test-inquiry/1/"))

    assert "This is a summary, not the official wording of the recommendation." in text
    assert "Do an example thing." in text


def test_recommendation_page_shows_headline_owners_and_responses_with_sources(client, sample):
    response = client.get("/reports/test-inquiry/1/")
    text = text_of(response)

    assert "Status In progress as described on 10 January 2024" in text
    assert "Response Accepted (22 May 2023)" in text
    assert (
        "Deadline Past due with no report of delivery: due 31 December 2025, 327 days ago" in text
    )
    assert "Example Department Wales (supporting, Wales)" in text
    assert "Example Department Lead: Accepted" in text
    assert "As reported by Example publisher: Example response" in text


def test_recommendation_page_shows_each_owners_status_where_they_differ(client, sample):
    text = text_of(client.get("/reports/test-inquiry/1/"))

    assert "The owners describe different progress on their own parts" in text
    assert "Example Department Wales (Wales) Not started 1 March 2026" in text


def test_owner_statuses_are_not_shown_when_they_agree(client, sample):
    publish(
        sample.overdue,
        describes_on=datetime.date(2026, 3, 2),
        status=ImplementationStatus.NOT_STARTED,
        summary="The whole example has not begun.",
    )

    text = text_of(client.get("/reports/test-inquiry/1/"))

    assert "The owners describe different progress" not in text


def test_recommendation_page_tells_the_deadline_history(client, sample):
    text = text_of(client.get("/reports/test-inquiry/1/"))

    assert (
        "First promised on 22 May 2023 for Q1 2025; moved once; missed once before; now due the "
        "end of 2025." in text
    )
    assert (
        "Missed: replaced after it fell due (due 31 March 2025; the new date was promised on "
        "1 May 2025)" in text
    )
    assert "An example consultation took longer." in text


def test_met_deadline_says_on_time(client, sample):
    text = text_of(client.get("/reports/second-inquiry/1/"))

    assert "First promised on 1 July 2025 for Q2 2026; met on 1 May 2026 (on time)." in text


def test_recommendation_timeline_is_oldest_first_with_dates_and_sources(client, sample):
    response = client.get("/reports/test-inquiry/1/")
    text = text_of(response)

    newer = text.index("1 March 2026 · Not started")
    older = text.index("10 January 2024 · In progress")
    assert older < newer
    assert "As reported by Example publisher: Example update" in text
    assert '<ol class="timeline">' in response.content.decode()
    assert "reversed" not in response.content.decode()


def test_dashboard_with_few_reports_shows_every_scorecard(client, sample):
    html = client.get("/").content.decode()

    assert re.findall(r'<h2 id="report-([\w-]+)"', html) == ["test-inquiry", "second-inquiry"]
    assert "reports together" not in html
    assert "See the figures of all" not in html


def test_dashboard_with_as_many_reports_as_scorecards_shows_them_all(client):
    with time_machine.travel(NOW, tick=False):
        build_reports(views.DASHBOARD_SCORECARDS)
        html = client.get("/").content.decode()

    assert len(re.findall(r'<h2 id="report-report-', html)) == views.DASHBOARD_SCORECARDS
    assert "reports together" not in html


def test_dashboard_with_many_reports_shows_totals_the_most_overdue_and_links_to_all(client):
    with time_machine.travel(NOW, tick=False):
        build_reports(15)
        response = client.get("/")
    html = response.content.decode()
    text = text_of(response)

    # Most overdue first (4, 3, 2, 1 each), then the most recently published.
    assert re.findall(r'<h3 id="report-(report-\d+)"', html) == [
        "report-14", "report-09", "report-04", "report-13", "report-08", "report-03",
        "report-12", "report-07", "report-02", "report-11", "report-06", "report-01",
    ]  # fmt: skip
    assert "All 15 reports together" in text
    assert "45 not yet assessed" in text
    # No report has a response recorded: every recommendation's response is late.
    assert (
        "Reports 15 Recommendations 45 Late 45 of which 30 overdue: past a deadline or missed, "
        "with no report of delivery · 45 without a response or decision when due (30 both, "
        "counted once)." in text
    )
    assert "Reports with the most late recommendations" in text
    assert "See the figures of all 15 reports" in text
    assert '<a href="/reports/">See the figures of all 15 reports</a>' in html
    # The overdue list still counts every report's overdue recommendations.
    assert "30 recommendations had a promised date pass" in text


def test_reports_page_lists_every_report_with_its_figures(client, sample):
    response = client.get("/reports/")
    html = response.content.decode()
    text = text_of(response)

    assert "<h1>Reports: every inquiry report and its recommendations</h1>" in html
    assert "<caption>Reports and their recommendations as of 23 November 2026</caption>" in html
    header = "Report Published Total Implemented Partially implemented In progress"
    assert header in text
    # Newest first. Recommendations, the six statuses from implemented to not yet assessed,
    # late, overdue, response late, no deadline set.
    assert "Second inquiry: audit 16 June 2025 1 1 0 0 0 0 0 1 0 1 0" in text
    assert "Test inquiry: final report 20 October 2022 2 0 0 1 0 0 1 2 1 1 1" in text
    assert text.index("Second inquiry: audit") < text.index("Test inquiry: final report")
    assert "All 2 reports 3 1 0 1 0 0 1 3 1 2 1" in text
    assert 'href="/recommendations/?report=test-inquiry&amp;late=yes"' in html
    assert 'href="/recommendations/?report=test-inquiry&amp;response_late=yes"' in html
    assert 'href="/recommendations/?report=test-inquiry&amp;overdue=yes"' in html


def test_reports_page_as_of_a_past_date(client, sample):
    response = client.get("/reports/?as_of=2025-06-16")
    text = text_of(response)

    assert "You are looking at this page as it stood on 16 June 2025." in text
    # The deadline had moved to the end of 2025, so nothing was overdue; the second report's
    # recommendation was not yet assessed, and its deadline was promised only on 1 July 2025.
    # Test 2's response was already late; the second report's was not yet due.
    assert "Test inquiry: final report 20 October 2022 2 0 0 1 0 0 1 1 0 1 1" in text
    assert "Second inquiry: audit 16 June 2025 1 0 0 0 0 0 1 0 0 0 1" in text
    assert 'href="/reports/test-inquiry/?as_of=2025-06-16"' in response.content.decode()
    assert "Second inquiry" not in text_of(client.get("/reports/?as_of=2025-06-15"))
    assert client.get("/reports/?as_of=tomorrow").status_code == 400


def test_corrections_say_what_they_correct(client, sample):
    # The reports were loaded a month ago, so today's correction is not part of their first load.
    Report.objects.update(created_at=NOW - datetime.timedelta(days=30))
    original = StatusUpdate.objects.get(summary="An example consultation opened.")
    publish(
        sample.overdue,
        describes_on=original.describes_on,
        status=ImplementationStatus.NOT_STARTED,
        summary="Correction: the example consultation had not opened.",
        corrects=original,
        published_at=NOW,
    )

    page = text_of(client.get("/reports/test-inquiry/1/"))
    # Recorded today, the correction describes 2024: it is in what was recorded this week.
    changes = text_of(client.get("/changes/?view=recorded"))

    assert (
        "This corrects the entry for 10 January 2024, which read: “An example consultation opened.”"
        in page
    )
    assert "This entry was later corrected; the correction is in this timeline." in page
    assert "Correction: the example consultation had not opened." in changes
    assert "Corrects the update describing 10 January 2024." in changes


def test_unknown_wording_owner_and_response_read_not_known(client, sample):
    text = text_of(client.get("/reports/test-inquiry/2/"))

    assert "The wording of this recommendation is not known to this tracker yet." in text
    assert "Response Not known" in text
    assert "Lead owner Not known" in text
    assert "No deadline has been set." in text
    assert "does not mean nothing has been done" in text


def test_recommendation_as_of_a_past_date_hides_later_facts(client, sample):
    text = text_of(client.get("/reports/test-inquiry/1/?as_of=2025-04-15"))

    assert "You are looking at this page as it stood on 15 April 2025." in text
    assert "First promised on 22 May 2023 for Q1 2025; due Q1 2025." in text
    assert "by the end of 2025" not in text
    assert "The example Welsh part has not begun." not in text
    assert "Past due with no report of delivery: due 31 March 2025, 15 days ago" in text


def test_owners_league_table(client, sample):
    text = text_of(client.get("/owners/"))

    # Lead: owns 2 (both as lead), 1 implemented, 2 late (1 overdue by 327 days, 1 it leads
    # awaiting a response), 1 deadline met on time, 1 missed (replaced after it fell due),
    # 1 move; its one open recommendation was last updated on 1 March 2026 (267 days). No
    # deadline was met late by anyone, so that column is not shown.
    assert "Example Department Lead 2 (2 as lead) 1 2 1 327 days past due 1 1 1 1 267 days" in text
    # Wales supports Test 1: its response is the lead's to give.
    assert "Example Department Wales 1 0 1 1 327 days past due 0 0 0 0 267 days" in text


def test_owners_page_lists_overdue_items_that_went_silent(client, sample):
    text = text_of(client.get("/owners/"))

    # The last update of Test 1 describes 1 March 2026: 267 days before today.
    assert "Overdue, with no update for 90 days or more" in text
    assert (
        "Test 1: Create an example authority Past due with no report of delivery: due 31 "
        "December 2025, 327 days ago; owner: Example Department Lead; last update describes "
        "1 March 2026" in text
    )


def test_owners_page_lists_the_most_overdue_silent_items_and_says_how_many(
    client, sample, monkeypatch
):
    monkeypatch.setattr(views, "SILENT_LIST_LENGTH", 1)
    later = RecommendationFactory(report=sample.second_report, number=2, title="A later one")
    DeadlineFactory(recommendation=later, due_date=datetime.date(2025, 12, 31))

    text = text_of(client.get("/owners/"))

    assert (
        "2 overdue recommendations had no update describing the last 90 days, most overdue "
        "first. The 1 most overdue is listed here;" in text
    )
    assert "Test 1: Create an example authority Past due with no report of delivery" in text
    assert "A later one" not in text


def test_owner_page_lists_what_it_owns(client, sample):
    text = text_of(client.get("/owners/example-wales/"))

    assert "Recommendations owned 1" in text
    assert "Create an example authority" in text
    assert "Publish an example plan" not in text


def test_silence_counts_from_publication_when_never_updated(client, sample):
    from tests.factories import OrganisationFactory, OwnershipFactory

    quiet = OrganisationFactory(slug="quiet", name="Quiet Example Body")
    OwnershipFactory(recommendation=sample.unknown, organisation=quiet)

    text = text_of(client.get("/owners/quiet/"))

    # 20 October 2022 to 23 November 2026.
    assert "Longest silence 1495 days (no update since the report)" in text


def test_changes_default_to_the_last_seven_days(client, sample):
    with time_machine.travel(NOW, tick=False):
        publish(
            sample.unknown,
            describes_on=NOW.date(),
            published_at=NOW,
            status=ImplementationStatus.NOT_STARTED,
            summary="A fresh example update.",
        )
    text = text_of(client.get("/changes/"))

    assert "What happened since 16 November 2026" in text
    assert "1 development since 16 November 2026" in text
    assert "A fresh example update." in text
    assert "The example plan was published." not in text


def test_changes_since_a_date_lists_moves_and_items_that_became_overdue(client, sample):
    text = text_of(client.get("/changes/?since=2025-04-01"))

    assert "Test 1: deadline moved from Q1 2025 to 2025" in text
    assert "Test 1: past due since 1 January 2026" in text
    assert "The example plan was published." in text


def test_changes_lists_the_latest_of_each_kind_and_says_how_many(client, sample, monkeypatch):
    monkeypatch.setattr(views, "CHANGES_SECTION_LENGTH", 1)

    text = text_of(client.get("/changes/?since=2025-04-01"))

    assert "2 in this period; the latest 1 is listed here." in text
    assert "The example plan was published." in text
    assert "The example Welsh part has not begun." not in text


def test_changes_refuses_a_bad_date(client, sample):
    response = client.get("/changes/?since=yesterday")

    assert response.status_code == 400
    assert "“yesterday” is not a date." in text_of(response)


def test_data_page_defines_fields_licence_and_citation(client, sample):
    response = client.get("/data/")
    text = text_of(response)

    assert "Open Government Licence v3.0" in text
    assert "How to cite" in text
    assert "Kind of wording" in text
    assert "/api/schema/" in response.content.decode()
    assert "/recommendations/?_export=xlsx" in response.content.decode()
    # The feeds are described as what they hold: the latest few, not everything.
    assert "the latest published updates (up to 50)" in text
    assert "the latest changes (up to 100 from the last 30 days:" in text


def test_methodology_defines_every_status_and_overdue(client, sample):
    text = text_of(client.get("/methodology/"))

    for status in ImplementationStatus:
        assert status.label in text
    assert "It does not mean that nothing has been done." in text
    assert "is due on 31 December of that year" in text
    assert "from the day after its due date" in text


def test_publishing_an_update_changes_the_public_page(client, sample):
    update = StatusUpdateFactory(
        recommendation=sample.unknown,
        describes_on=NOW.date(),
        status=ImplementationStatus.IN_PROGRESS,
        summary="Work began on the example.",
    )
    assert "Work began on the example." not in text_of(client.get("/reports/test-inquiry/2/"))

    publish_update(update, at=NOW)
    refresh_headline_status(sample.unknown.pk)

    text = text_of(client.get("/reports/test-inquiry/2/"))
    assert "Work began on the example." in text
    assert "Status In progress" in text


def snapshot(report, day, implemented, overdue):
    from tracker.models import Snapshot

    return Snapshot.objects.create(
        day=day,
        report=report,
        total=2,
        not_yet_assessed=2 - implemented,
        not_started=0,
        in_progress=0,
        partially_implemented=0,
        implemented=implemented,
        not_being_implemented=0,
        overdue=overdue,
        no_deadline=0,
    )


def test_each_report_has_its_own_progress_chart_with_month_ticks(client, sample):
    snapshot(sample.report, datetime.date(2026, 8, 31), implemented=0, overdue=1)
    snapshot(sample.report, datetime.date(2026, 10, 5), implemented=1, overdue=1)
    snapshot(sample.report, datetime.date(2026, 11, 22), implemented=1, overdue=2)
    snapshot(sample.second_report, datetime.date(2026, 11, 16), implemented=1, overdue=0)
    snapshot(sample.second_report, datetime.date(2026, 11, 22), implemented=1, overdue=0)

    report_page = client.get("/reports/test-inquiry/")
    html = report_page.content.decode()
    text = text_of(report_page)

    assert '<svg viewBox="0 0 600 240" role="img" aria-labelledby="report-chart-caption"' in html
    assert html.count('<polyline class="chart__line') == 2
    # Month ticks, readable: one label a month over three months.
    assert re.findall(r'text-anchor="middle">([A-Z][a-z]{2} \d{4})</text>', html) == [
        "Sep 2026",
        "Oct 2026",
        "Nov 2026",
    ]
    # A short table: the figures at each month tick and on the last day.
    assert (
        "On Implemented Overdue 31 August 2026 0 1 5 October 2026 1 1 22 November 2026 1 2" in text
    )

    overview = client.get("/").content.decode()
    assert overview.count('class="chart chart--small"') == 2
    assert "chart-test-inquiry-caption" in overview
    assert "chart-second-inquiry-caption" in overview


def test_a_progress_chart_as_of_a_past_day_stops_there(client, sample):
    snapshot(sample.report, datetime.date(2026, 11, 2), implemented=0, overdue=1)
    snapshot(sample.report, datetime.date(2026, 11, 16), implemented=1, overdue=2)

    html = client.get("/reports/test-inquiry/?as_of=2026-11-10").content.decode()

    # One day is not a trend: no chart.
    assert "report-chart-caption" not in html


def test_no_progress_chart_without_snapshots(client, sample):
    assert "Progress over time" not in text_of(client.get("/reports/test-inquiry/"))
    assert "chart--small" not in client.get("/").content.decode()
