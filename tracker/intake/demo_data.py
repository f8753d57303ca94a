"""Fictional demonstration data at scale, written in bulk (used by `manage.py seed_demo`).

Everything made here is visibly fictional: "Demo inquiry 17", "Example Department 4", addresses
at example.org. Nothing describes a real body or a real event. Rows are written with
`bulk_create` (no per-row `save()`, so no history rows and no subscriber notices), and the
headline statuses that `publish()` would keep in step are recomputed in one set-based UPDATE.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from tracker.models import (
    Check,
    Contact,
    Deadline,
    ImplementationStatus,
    Organisation,
    Ownership,
    Recommendation,
    Report,
    Response,
    ResponseKind,
    Source,
    StatusUpdate,
)
from tracker.periods import Precision, describe_due, end_of_period
from tracker.updates import refresh_headline_statuses

DEMO_REPORT_PREFIX = "demo-inquiry-"
DEMO_ORGANISATION_PREFIX = "example-"
DEMO_SOURCE = "https://example.org/demo"
SHIPPED_REPORTS = ("iicsa", "casey-audit")
BATCH = 2000

ORGANISATION_KINDS = [
    ("Example Department", Organisation.Kind.DEPARTMENT),
    ("Example Agency", Organisation.Kind.AGENCY),
    ("Example Regulator", Organisation.Kind.REGULATOR),
    ("Example Police Force", Organisation.Kind.POLICE),
    ("Example Council", Organisation.Kind.LOCAL_AUTHORITY),
]
# How an implementation status moves from one fictional update to the next.
PROGRESSION = [
    ImplementationStatus.NOT_STARTED,
    ImplementationStatus.IN_PROGRESS,
    ImplementationStatus.IN_PROGRESS,
    ImplementationStatus.PARTIALLY_IMPLEMENTED,
    ImplementationStatus.IMPLEMENTED,
]
RESPONSE_KINDS = [
    ResponseKind.ACCEPTED,
    ResponseKind.ACCEPTED,
    ResponseKind.ACCEPTED_IN_PRINCIPLE,
    ResponseKind.PARTIALLY_ACCEPTED,
    ResponseKind.NOT_ACCEPTED,
    ResponseKind.UNDER_CONSIDERATION,
    ResponseKind.AWAITING,
]
PRECISIONS = [Precision.DAY, Precision.MONTH, Precision.QUARTER, Precision.YEAR]


class RealDataPresent(Exception):
    """The database holds data that seed_demo did not make."""


@dataclass
class SeedSummary:
    reports: int = 0
    organisations: int = 0
    recommendations: int = 0
    ownerships: int = 0
    responses: int = 0
    deadlines: int = 0
    updates: int = 0
    checks: int = 0
    contacts: int = 0

    def __str__(self) -> str:
        return (
            f"{self.reports} demo inquiries, {self.recommendations} recommendations, "
            f"{self.organisations} organisations, {self.ownerships} ownerships, "
            f"{self.responses} responses, {self.deadlines} deadlines, {self.updates} published "
            f"updates, {self.checks} checks and {self.contacts} demo contacts created. "
            "All of it is fictional."
        )


def real_data_found() -> list[str]:
    """What in the database was not made by seed_demo (empty when it is safe to seed)."""
    found = []
    reports = list(
        Report.objects.exclude(slug__startswith=DEMO_REPORT_PREFIX).values_list("slug", flat=True)
    )
    if reports:
        shipped = [slug for slug in reports if slug in SHIPPED_REPORTS]
        label = "the shipped reports " if shipped else "reports "
        found.append(label + ", ".join(sorted(reports)[:5]) + ("…" if len(reports) > 5 else ""))
    contacts = Contact.objects.filter(is_demo=False).count()
    if contacts:
        found.append(f"{contacts} contact(s) not marked as demo")
    return found


def check_safe_to_seed(force: bool) -> None:
    found = real_data_found()
    if found and not force:
        raise RealDataPresent(
            "This database holds data that seed_demo did not make ("
            + "; ".join(found)
            + "). Fictional demo data would be mixed with it, so nothing was written. Use an "
            "empty database, or --force if you are sure."
        )


def _in_batches(rows: list, model, progress: Callable[[int], None]) -> list:
    created = []
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        created += model.objects.bulk_create(chunk)
        progress(len(chunk))
    return created


class _Seeder:
    def __init__(self, rng: random.Random, today: datetime.date, progress) -> None:
        self.rng = rng
        self.today = today
        self.progress = progress
        self.summary = SeedSummary()
        self.now = timezone.now()
        self._sources: dict[str, Source] = {}

    def source(self, path: str, title: str) -> Source:
        """One fictional source per address, made once."""
        if path not in self._sources:
            self._sources[path], _ = Source.objects.get_or_create(
                url=f"{DEMO_SOURCE}/{path}",
                defaults={
                    "title": title,
                    "publisher": "Example publisher (fictional)",
                    "kind": Source.Kind.SECONDARY,
                },
            )
        return self._sources[path]

    def organisations(self, count: int) -> list[Organisation]:
        existing = set(
            Organisation.objects.filter(slug__startswith=DEMO_ORGANISATION_PREFIX).values_list(
                "slug", flat=True
            )
        )
        rows = []
        for index in range(1, count + 1):
            label, kind = ORGANISATION_KINDS[index % len(ORGANISATION_KINDS)]
            name = f"{label} {index}"
            slug = name.lower().replace(" ", "-")
            if slug not in existing:
                rows.append(Organisation(slug=slug, name=name, kind=kind, url=""))
        Organisation.objects.bulk_create(rows)
        self.summary.organisations = len(rows)
        return list(Organisation.objects.filter(slug__startswith=DEMO_ORGANISATION_PREFIX))

    def reports(self, count: int, first_number: int) -> list[Report]:
        rows = []
        for number in range(first_number, first_number + count):
            published = datetime.date(2005, 1, 1) + datetime.timedelta(
                days=self.rng.randrange((self.today - datetime.date(2005, 1, 1)).days - 60)
            )
            rows.append(
                Report(
                    slug=f"{DEMO_REPORT_PREFIX}{number}",
                    title=f"Demo inquiry {number}: final report (fictional)",
                    short_name=f"Demo {number}",
                    published_on=published,
                    source=self.source(
                        f"inquiry-{number}", f"Demo inquiry {number}: final report (fictional)"
                    ),
                    summary="A fictional inquiry made by seed_demo for demonstrations and load "
                    "tests. It is not a real report and describes no real body.",
                )
            )
        created = Report.objects.bulk_create(rows)
        self.summary.reports = len(created)
        return created

    def recommendations(self, reports: list[Report], sizes: Iterable[int]) -> list[Recommendation]:
        rows = [
            Recommendation(
                report=report,
                number=number,
                title=f"Demo recommendation {report.short_name.split()[-1]}.{number}",
                text="Fictional wording made by seed_demo: an example body should take an "
                "example step by an example date.",
                text_kind=Recommendation.TextKind.SUMMARY,
                text_source_id=report.source_id,
            )
            for report, size in zip(reports, sizes, strict=True)
            for number in range(1, size + 1)
        ]
        created = _in_batches(rows, Recommendation, self.progress)
        self.summary.recommendations = len(created)
        return created

    def owners(self, recommendations, organisations) -> dict[int, list[Organisation]]:
        owners_of = {}
        rows = []
        for recommendation in recommendations:
            chosen = self.rng.sample(
                organisations, k=min(len(organisations), self.rng.randint(1, 3))
            )
            owners_of[recommendation.pk] = chosen
            for index, organisation in enumerate(chosen):
                rows.append(
                    Ownership(
                        recommendation=recommendation,
                        organisation=organisation,
                        role=Ownership.Role.LEAD if index == 0 else Ownership.Role.SUPPORTING,
                        basis=Ownership.Basis.STATED,
                    )
                )
        self.summary.ownerships = len(_in_batches(rows, Ownership, self.progress))
        return owners_of

    def responses(self, recommendations, owners_of) -> None:
        rows = []
        for recommendation in recommendations:
            kind = self.rng.choice(RESPONSE_KINDS)
            answered = kind != ResponseKind.AWAITING
            rows.append(
                Response(
                    recommendation=recommendation,
                    organisation=owners_of[recommendation.pk][0],
                    kind=kind,
                    responded_on=self._after(recommendation.report.published_on, 30, 240)
                    if answered
                    else None,
                    summary="Fictional response made by seed_demo." if answered else "",
                    source=self.source("response", "Example response (fictional)")
                    if answered
                    else None,
                )
            )
        self.summary.responses = len(_in_batches(rows, Response, self.progress))

    def _published_after(self, day: datetime.date) -> datetime.datetime:
        """Entered a few days after the day it describes, as an editor would, never in the future:
        so "what changed this week" lists a week's updates, not every one ever seeded."""
        entered = datetime.datetime.combine(
            day + datetime.timedelta(days=self.rng.randint(0, 14)), datetime.time(12)
        )
        return min(self.now, timezone.make_aware(entered))

    def _after(self, day: datetime.date, low: int, high: int) -> datetime.date:
        later = day + datetime.timedelta(days=self.rng.randint(low, high))
        return min(later, self.today)

    def _deadline(self, recommendation, organisation, promised_on, supersedes=None) -> Deadline:
        precision = self.rng.choice(PRECISIONS)
        due = end_of_period(
            promised_on + datetime.timedelta(days=self.rng.randint(90, 900)), precision
        )
        return Deadline(
            recommendation=recommendation,
            organisation=organisation,
            commitment="A fictional promise made by seed_demo.",
            stated_as=f"by {describe_due(due, precision)}",
            precision=precision,
            due_date=due,
            promised_on=promised_on,
            source=self.source("plan", "Example plan (fictional)"),
            supersedes=supersedes,
            change_reason="A fictional reason for the move." if supersedes else "",
        )

    def deadlines(self, recommendations, owners_of) -> None:
        """Up to two deadlines a recommendation; about a third of them slip once or twice."""
        first_rows = []
        for recommendation in recommendations:
            for _ in range(self.rng.choice([0, 1, 1, 2])):
                promised = self._after(recommendation.report.published_on, 30, 400)
                first_rows.append(
                    self._deadline(recommendation, owners_of[recommendation.pk][0], promised)
                )
        generation = _in_batches(first_rows, Deadline, self.progress)
        total = len(generation)
        for _ in range(2):
            slipped = [
                d for d in generation if self.rng.random() < 0.35 and d.due_date < self.today
            ]
            rows = [
                self._deadline(d.recommendation, d.organisation, d.due_date, supersedes=d)
                for d in slipped
            ]
            generation = _in_batches(rows, Deadline, self.progress)
            total += len(generation)
        met = [d.pk for d in first_rows if self.rng.random() < 0.1 and d.due_date < self.today]
        Deadline.objects.filter(pk__in=met, superseded_by__isnull=True).update(
            met_on=self.today - datetime.timedelta(days=1)
        )
        self.summary.deadlines = total

    def updates(self, recommendations, owners_of, per_recommendation: int) -> None:
        rows = []
        for recommendation in recommendations:
            day = recommendation.report.published_on
            step = 0
            for _ in range(
                self.rng.randint(max(1, per_recommendation - 3), per_recommendation + 3)
            ):
                day = self._after(day, 20, 200)
                step = min(len(PROGRESSION) - 1, step + self.rng.choice([0, 0, 1]))
                dropped = self.rng.random() < 0.02
                about_owner = self.rng.random() < 0.2
                rows.append(
                    StatusUpdate(
                        recommendation=recommendation,
                        organisation=self.rng.choice(owners_of[recommendation.pk])
                        if about_owner
                        else None,
                        describes_on=day,
                        status=ImplementationStatus.NOT_BEING_IMPLEMENTED
                        if dropped
                        else PROGRESSION[step],
                        summary="A fictional update made by seed_demo.",
                        account=self.rng.choice(list(StatusUpdate.Account)),
                        reason=StatusUpdate.Reason.DROPPED if dropped else "",
                        source=self.source("update", "Example progress note (fictional)"),
                        state=StatusUpdate.State.PUBLISHED,
                        published_at=self._published_after(day),
                    )
                )
        self.summary.updates = len(_in_batches(rows, StatusUpdate, self.progress))

    def checks(self, recommendations) -> None:
        """Editors' checks for new developments: most recommendations checked once or twice in
        the last few months, about one in ten never, as on a tracker kept up to date."""
        rows = []
        for recommendation in recommendations:
            for _ in range(self.rng.choice([0, 1, 1, 1, 2, 2, 2, 2, 2, 2])):
                rows.append(
                    Check(
                        recommendation=recommendation,
                        checked_on=self.today - datetime.timedelta(days=self.rng.randint(0, 120)),
                        checked_by_name="Demo editor (fictional)",
                        outcome=Check.Outcome.NOTHING_NEW,
                    )
                )
        self.summary.checks = len(_in_batches(rows, Check, self.progress))

    def contacts(self, organisations, count: int) -> None:
        taken = Contact.objects.filter(email__startswith="demo-contact-").count()
        rows = [
            Contact(
                organisation=organisations[index % len(organisations)],
                name=f"Demo contact {taken + index + 1} (fictional)",
                email=f"demo-contact-{taken + index + 1}@example.org",
                is_demo=True,
            )
            for index in range(count)
        ]
        self.summary.contacts = len(_in_batches(rows, Contact, self.progress))


def planned_sizes(rng: random.Random, inquiries: int) -> list[int]:
    return [rng.randint(5, 120) for _ in range(inquiries)]


def seed_demo(
    inquiries: int,
    *,
    contacts: int | None = None,
    updates_per_recommendation: int = 7,
    seed: int = 2025,
    force: bool = False,
    today: datetime.date | None = None,
    on_total: Callable[[int], None] = lambda total: None,
    progress: Callable[[int], None] = lambda done: None,
) -> SeedSummary:
    """Create `inquiries` fictional inquiries and everything about them. Refuses on real data."""
    if inquiries < 1:
        raise ValueError("Give at least one inquiry.")
    check_safe_to_seed(force)
    rng = random.Random(seed)  # noqa: S311 (repeatable fictional data, not secrets)
    today = today or timezone.localdate()
    sizes = planned_sizes(rng, inquiries)
    recommendation_count = sum(sizes)
    organisation_count = max(8, min(200, inquiries + 10))
    contact_count = organisation_count if contacts is None else contacts
    # Rough row count, for the progress bar: recommendations, owners, responses, deadlines,
    # updates, checks.
    on_total(
        recommendation_count * (1 + 2 + 1 + 2 + updates_per_recommendation + 2) + contact_count
    )
    seeder = _Seeder(rng, today, progress)
    last = [
        int(slug.removeprefix(DEMO_REPORT_PREFIX))
        for slug in Report.objects.filter(slug__startswith=DEMO_REPORT_PREFIX).values_list(
            "slug", flat=True
        )
        if slug.removeprefix(DEMO_REPORT_PREFIX).isdigit()
    ]
    with transaction.atomic():
        organisations = seeder.organisations(organisation_count)
        reports = seeder.reports(inquiries, max(last, default=0) + 1)
        recommendations = seeder.recommendations(reports, sizes)
        owners_of = seeder.owners(recommendations, organisations)
        seeder.responses(recommendations, owners_of)
        seeder.deadlines(recommendations, owners_of)
        seeder.updates(recommendations, owners_of, updates_per_recommendation)
        seeder.checks(recommendations)
        seeder.contacts(organisations, contact_count)
        analyse_tables()
        refresh_headline_statuses(Recommendation.objects.filter(report__in=[r.pk for r in reports]))
    analyse_tables()
    return seeder.summary


def analyse_tables() -> None:
    """Refresh PostgreSQL's planner statistics after a bulk load, so queries plan for its size."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def vacuum_and_analyse_tables() -> None:
    """After the load has committed: clear the dead rows that recomputing the headlines left
    (autovacuum would, later, where it is on) and refresh the statistics. VACUUM cannot run in a
    transaction, so inside one (a test) only the statistics are refreshed."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        analyse_tables()
