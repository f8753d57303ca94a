"""Every public page runs a bounded number of queries, the same at 32 and 2,000 recommendations."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from tests.factories import OrganisationFactory, ReportFactory, example_source
from tests.factories_pages import NOW
from tracker.models import (
    Deadline,
    ImplementationStatus,
    Ownership,
    Recommendation,
    Response,
    ResponseKind,
    StatusUpdate,
)
from tracker.updates import refresh_headline_statuses

pytestmark = pytest.mark.django_db

MAX_QUERIES = 12

PAGES = [
    "/",
    "/?as_of=2025-06-16",
    "/recommendations/",
    "/recommendations/?status=in_progress&overdue=yes&response=accepted&q=example",
    "/recommendations/?owner=owner-0&as_of=2025-06-16&sort=-timeliness",
    "/recommendations/?report=report-a&_export=csv",
    "/recommendations/?late=yes&response_late=yes",
    "/recommendations/?late=no&as_of=2026-06-01",
    "/reports/report-a/",
    "/reports/report-a/?as_of=2025-06-16",
    "/reports/report-a/1/",
    "/reports/report-a/1/?as_of=2025-06-16",
    "/reports/",
    "/reports/?as_of=2025-06-16",
    "/owners/",
    "/owners/?as_of=2025-06-16",
    "/owners/owner-0/",
    "/owners/owner-1/?as_of=2025-06-16",
    "/owners/?as_of=2026-06-01&sort=-late",
    "/?as_of=2026-06-01",
    "/changes/",
    "/changes/?since=2020-01-01",
    "/data/",
    "/methodology/",
]


def build_ledger(count: int) -> None:
    """`count` recommendations over two reports, each with owners, a response, two deadlines
    (one moved) and two published updates, made in bulk."""
    reports = [
        ReportFactory(slug="report-a", published_on=datetime.date(2022, 10, 20)),
        ReportFactory(slug="report-b", published_on=datetime.date(2025, 6, 16)),
    ]
    owners = [OrganisationFactory(slug=f"owner-{i}") for i in range(4)]
    recommendations = Recommendation.objects.bulk_create(
        Recommendation(
            report=reports[i % 2],
            number=i // 2 + 1,
            title=f"Example recommendation {i}",
            text="An example thing.",
            text_kind=Recommendation.TextKind.SUMMARY,
            status=ImplementationStatus.IN_PROGRESS,
        )
        for i in range(count)
    )
    Ownership.objects.bulk_create(
        [
            Ownership(recommendation=r, organisation=owners[i % 4], role=Ownership.Role.LEAD)
            for i, r in enumerate(recommendations)
        ]
        + [
            Ownership(recommendation=r, organisation=owners[(i + 1) % 4], scope="Wales")
            for i, r in enumerate(recommendations)
        ]
    )
    # One in three still awaits a response, one in three is under consideration past the date
    # a decision was promised: response late, and listed on the overview.
    Response.objects.bulk_create(
        Response(
            recommendation=r,
            organisation=owners[i % 4],
            kind=[ResponseKind.ACCEPTED, ResponseKind.AWAITING, ResponseKind.UNDER_CONSIDERATION][
                i % 3
            ],
            responded_on=None if i % 3 == 1 else datetime.date(2025, 7, 1),
            decision_due_on=datetime.date(2026, 3, 31) if i % 3 == 2 else None,
            source=example_source("https://example.org/response"),
        )
        for i, r in enumerate(recommendations)
    )
    first = Deadline.objects.bulk_create(
        Deadline(
            recommendation=r,
            commitment="An example promise",
            stated_as="by the end of 2025",
            precision=Deadline.Precision.YEAR,
            due_date=datetime.date(2025, 12, 31),
            promised_on=datetime.date(2025, 7, 1),
            source=example_source("https://example.org/plan"),
        )
        for r in recommendations
    )
    Deadline.objects.bulk_create(
        Deadline(
            recommendation=d.recommendation,
            commitment="An example promise",
            stated_as="by the end of 2026",
            precision=Deadline.Precision.YEAR,
            due_date=datetime.date(2026, 12, 31),
            promised_on=datetime.date(2025, 11, 1),
            supersedes=d,
            source=example_source("https://example.org/plan"),
        )
        for d in first
    )
    published = timezone.now()
    StatusUpdate.objects.bulk_create(
        StatusUpdate(
            recommendation=r,
            organisation=owners[(i + 1) % 4] if part else None,
            describes_on=datetime.date(2025, 8, 1) + datetime.timedelta(days=part),
            status=ImplementationStatus.NOT_STARTED if part else ImplementationStatus.IN_PROGRESS,
            summary="An example step.",
            source=example_source("https://example.org/update"),
            state=StatusUpdate.State.PUBLISHED,
            published_at=published,
        )
        for i, r in enumerate(recommendations)
        for part in (0, 1)
    )
    refresh_headline_statuses(Recommendation.objects.all())  # as seed_demo does after bulk writes


@pytest.mark.parametrize("count", [32, pytest.param(2000, marks=pytest.mark.slow)])
def test_query_count_does_not_grow_with_the_recommendations(
    client, django_assert_max_num_queries, count
):
    """One ledger per size (building 2,000 takes seconds), then every page against the bound."""
    with time_machine.travel(NOW, tick=False):
        build_ledger(count)
        for path in PAGES:
            with django_assert_max_num_queries(MAX_QUERIES, info=path):
                response = client.get(path)
            assert response.status_code == 200, path


@pytest.mark.parametrize("reports", [3, 40])
def test_dashboard_and_reports_page_queries_do_not_grow_with_the_reports(
    client, django_assert_max_num_queries, reports
):
    """More reports than the dashboard shows scorecards for: the same bound."""
    with time_machine.travel(NOW, tick=False):
        for i in range(reports):
            report = ReportFactory(slug=f"many-{i}", published_on=datetime.date(2022, 1, 1))
            Recommendation.objects.create(report=report, number=1, title=f"Example {i}")
        for path in ["/", "/?as_of=2025-06-16", "/reports/", "/reports/?as_of=2025-06-16"]:
            with django_assert_max_num_queries(MAX_QUERIES, info=path):
                response = client.get(path)
            assert response.status_code == 200, path
