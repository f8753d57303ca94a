"""A small, visibly fictional ledger for the public pages' tests.

Today is pinned to 23 November 2026 (London). The story it tells:
- "Test inquiry" (published 20 October 2022), recommendation 1 is led by Example Department Lead,
  with Example Department Wales supporting for Wales. It was accepted on 22 May 2023 and promised
  for Q1 2025 (promised 22 May 2023); on 1 May 2025 the date moved to the end of 2025, so today it
  is 327 days overdue. The whole recommendation was "in progress" from 10 January 2024; the Welsh
  part was described as "not started" on 1 March 2026.
- Recommendation 2 of the same report has no owner, no response, no deadline and no update.
- "Second inquiry" (published 16 June 2025), recommendation 1 is owned by Example Department Lead,
  promised for Q2 2026 and met on 1 May 2026, when it was described as implemented.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from tests.factories import (
    DeadlineFactory,
    OrganisationFactory,
    OwnershipFactory,
    RecommendationFactory,
    ReportFactory,
    ResponseFactory,
    StatusUpdateFactory,
)
from tracker.models import (
    Deadline,
    ImplementationStatus,
    Organisation,
    Ownership,
    Recommendation,
    Report,
    ResponseKind,
)
from tracker.updates import refresh_headline_status

LONDON = zoneinfo.ZoneInfo("Europe/London")
TODAY = datetime.date(2026, 11, 23)
NOW = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=LONDON)


def at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(10, 0), tzinfo=LONDON)


@dataclass
class Sample:
    report: Report
    second_report: Report
    lead: Organisation
    wales: Organisation
    overdue: Recommendation
    unknown: Recommendation
    done: Recommendation
    first_deadline: Deadline
    moved_deadline: Deadline


def publish(recommendation: Recommendation, **kwargs):
    kwargs.setdefault("published_at", at(kwargs["describes_on"]))
    update = StatusUpdateFactory(recommendation=recommendation, published=True, **kwargs)
    refresh_headline_status(recommendation.pk)
    return update


def build_sample() -> Sample:
    report = ReportFactory(
        slug="test-inquiry", title="Test inquiry: final report", short_name="Test"
    )
    second = ReportFactory(
        slug="second-inquiry",
        title="Second inquiry: audit",
        short_name="Second",
        published_on=datetime.date(2025, 6, 16),
    )
    lead = OrganisationFactory(slug="example-lead", name="Example Department Lead")
    wales = OrganisationFactory(slug="example-wales", name="Example Department Wales")

    overdue = RecommendationFactory(
        report=report, number=1, title="Create an example authority", text="Do an example thing."
    )
    OwnershipFactory(recommendation=overdue, organisation=lead, role=Ownership.Role.LEAD)
    OwnershipFactory(
        recommendation=overdue,
        organisation=wales,
        role=Ownership.Role.SUPPORTING,
        scope="Wales",
    )
    ResponseFactory(
        recommendation=overdue,
        organisation=lead,
        kind=ResponseKind.ACCEPTED,
        responded_on=datetime.date(2023, 5, 22),
        source_title="Example response",
    )
    first_deadline = DeadlineFactory(
        recommendation=overdue,
        organisation=lead,
        stated_as="by the end of March 2025",
        precision=Deadline.Precision.QUARTER,
        due_date=datetime.date(2025, 3, 31),
        promised_on=datetime.date(2023, 5, 22),
    )
    moved_deadline = DeadlineFactory(
        recommendation=overdue,
        organisation=lead,
        stated_as="by the end of 2025",
        precision=Deadline.Precision.YEAR,
        due_date=datetime.date(2025, 12, 31),
        promised_on=datetime.date(2025, 5, 1),
        supersedes=first_deadline,
        change_reason="An example consultation took longer.",
    )
    publish(
        overdue,
        describes_on=datetime.date(2024, 1, 10),
        status=ImplementationStatus.IN_PROGRESS,
        summary="An example consultation opened.",
    )
    publish(
        overdue,
        organisation=wales,
        describes_on=datetime.date(2026, 3, 1),
        status=ImplementationStatus.NOT_STARTED,
        summary="The example Welsh part has not begun.",
    )

    unknown = RecommendationFactory(
        report=report,
        number=2,
        title="",
        text="",
        text_kind=Recommendation.TextKind.UNKNOWN,
    )

    done = RecommendationFactory(
        report=second, number=1, title="Publish an example plan", text="Publish a plan."
    )
    OwnershipFactory(recommendation=done, organisation=lead, role=Ownership.Role.LEAD)
    DeadlineFactory(
        recommendation=done,
        organisation=lead,
        stated_as="by the end of June 2026",
        precision=Deadline.Precision.QUARTER,
        due_date=datetime.date(2026, 6, 30),
        promised_on=datetime.date(2025, 7, 1),
        met_on=datetime.date(2026, 5, 1),
    )
    publish(
        done,
        describes_on=datetime.date(2026, 5, 1),
        status=ImplementationStatus.IMPLEMENTED,
        summary="The example plan was published.",
    )
    return Sample(
        report=report,
        second_report=second,
        lead=lead,
        wales=wales,
        overdue=overdue,
        unknown=unknown,
        done=done,
        first_deadline=first_deadline,
        moved_deadline=moved_deadline,
    )


def build_reports(count: int) -> None:
    """`count` reports published a day apart; report i has i % 5 overdue recommendations and one
    with no deadline."""
    for i in range(count):
        report = ReportFactory(
            slug=f"report-{i:02}",
            title=f"Example report {i:02}",
            published_on=datetime.date(2020, 1, 1) + datetime.timedelta(days=i),
        )
        for number in range(1, i % 5 + 1):
            DeadlineFactory(recommendation=RecommendationFactory(report=report, number=number))
        RecommendationFactory(report=report, number=9)
