"""A fictional data set for the open-data tests, built in bulk so that 2,000 rows stay quick.

Every recommendation has a lead and a supporting owner, a response from the lead, one deadline
(odd numbers overdue, even numbers due in the future), one published update and one draft that must
never be seen. A contact and a subscriber have addresses that must never be seen either.
"""

import datetime
import itertools
from dataclasses import dataclass

from django.utils import timezone

from tests.factories import ContactFactory, OrganisationFactory, ReportFactory, example_source
from tracker.models import (
    Deadline,
    ImplementationStatus,
    Ownership,
    Recommendation,
    Report,
    Response,
    ResponseKind,
    StatusUpdate,
    Subscription,
)

TODAY = datetime.date(2026, 11, 23)
NOW = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.UTC)
PAST_DUE = datetime.date(2025, 12, 31)
FUTURE_DUE = datetime.date(2027, 12, 31)
PUBLISHED_AT = datetime.datetime(2026, 11, 10, 9, 30, tzinfo=datetime.UTC)
DRAFT_SUMMARY = "DRAFT NOT FOR PUBLICATION"
CONTACT_EMAIL = "private.contact@example.org"
SUBSCRIBER_EMAIL = "private.subscriber@example.org"
STATUSES = [
    ImplementationStatus.IN_PROGRESS,
    ImplementationStatus.IMPLEMENTED,
    ImplementationStatus.NOT_STARTED,
]


@dataclass
class OpenData:
    report: Report
    lead: object
    supporting: object


def build_open_data(count: int, report: Report | None = None) -> OpenData:
    report = report or ReportFactory(slug="example-inquiry", short_name="Example")
    lead = OrganisationFactory(slug="example-department", name="Example Department")
    supporting = OrganisationFactory(slug="example-agency", name="Example Agency")
    statuses = itertools.cycle(STATUSES)
    recommendations = Recommendation.objects.bulk_create(
        Recommendation(
            report=report,
            number=number,
            title=f"Example recommendation {number}",
            text="The example body should do an example thing.",
            text_kind=Recommendation.TextKind.SUMMARY,
            status=next(statuses),
            status_on=datetime.date(2026, 10, 1),
        )
        for number in range(1, count + 1)
    )
    Ownership.objects.bulk_create(
        [
            *(
                Ownership(recommendation=r, organisation=lead, role=Ownership.Role.LEAD)
                for r in recommendations
            ),
            *(
                Ownership(recommendation=r, organisation=supporting, role="supporting")
                for r in recommendations
            ),
        ]
    )
    Response.objects.bulk_create(
        Response(
            recommendation=r,
            organisation=lead,
            kind=ResponseKind.ACCEPTED,
            responded_on=datetime.date(2023, 5, 22),
            source=example_source("https://example.org/response"),
        )
        for r in recommendations
    )
    Deadline.objects.bulk_create(
        Deadline(
            recommendation=r,
            organisation=lead,
            commitment=f"Publish example plan {r.number}",
            stated_as="by the end of the year",
            precision=Deadline.Precision.YEAR,
            due_date=PAST_DUE if r.number % 2 else FUTURE_DUE,
            source=example_source("https://example.org/plan", "Example plan"),
        )
        for r in recommendations
    )
    StatusUpdate.objects.bulk_create(
        [
            *(
                StatusUpdate(
                    recommendation=r,
                    describes_on=datetime.date(2026, 10, 1),
                    status=r.status,
                    summary=f"Example step {r.number} was taken.",
                    source=example_source("https://example.org/update", "Example update"),
                    state=StatusUpdate.State.PUBLISHED,
                    published_at=PUBLISHED_AT,
                )
                for r in recommendations
            ),
            *(
                StatusUpdate(
                    recommendation=r,
                    describes_on=datetime.date(2026, 11, 1),
                    status=ImplementationStatus.NOT_BEING_IMPLEMENTED,
                    reason=StatusUpdate.Reason.DROPPED,
                    summary=DRAFT_SUMMARY,
                )
                for r in recommendations
            ),
        ]
    )
    ContactFactory(organisation=lead, email=CONTACT_EMAIL)
    Subscription.objects.create(email=SUBSCRIBER_EMAIL, report=report, confirmed_at=timezone.now())
    return OpenData(report=report, lead=lead, supporting=supporting)
