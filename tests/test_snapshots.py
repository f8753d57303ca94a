"""Daily snapshots and their backfill, through the management commands."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from tests.factories import (
    DeadlineFactory,
    OrganisationFactory,
    OwnershipFactory,
    RecommendationFactory,
    ReportFactory,
    StatusUpdateFactory,
)
from tracker.models import ImplementationStatus, Ownership, Snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger():
    report = ReportFactory(published_on=datetime.date(2025, 6, 16))
    owner = OrganisationFactory(name="Example Department A")
    other = OrganisationFactory(name="Example Department B")
    first, second, third = RecommendationFactory.create_batch(3, report=report)
    OwnershipFactory(recommendation=first, organisation=owner)
    OwnershipFactory(recommendation=second, organisation=owner)
    OwnershipFactory(recommendation=third, organisation=other)
    OwnershipFactory(recommendation=first, organisation=other, role=Ownership.Role.SUPPORTING)
    DeadlineFactory(recommendation=first)  # due 31 Dec 2025, never met
    StatusUpdateFactory(
        recommendation=second,
        describes_on=datetime.date(2025, 11, 3),
        status=ImplementationStatus.IMPLEMENTED,
        published=True,
    )
    return report, owner, other


def snapshot_for(day, **subject) -> Snapshot:
    return Snapshot.objects.get(day=day, **subject)


def test_the_daily_snapshot_counts_per_report_and_per_owner_and_rerunning_replaces(ledger):
    report, owner, other = ledger
    call_command("flag_overdue", day="2026-01-05", stdout=StringIO())
    call_command("take_snapshot", day="2026-01-05", stdout=StringIO())
    call_command("take_snapshot", day="2026-01-05", stdout=StringIO())

    assert Snapshot.objects.filter(day=datetime.date(2026, 1, 5)).count() == 3
    of_report = snapshot_for(datetime.date(2026, 1, 5), report=report)
    assert (of_report.total, of_report.implemented, of_report.not_yet_assessed) == (3, 1, 2)
    assert (of_report.overdue, of_report.no_deadline) == (1, 2)
    of_owner = snapshot_for(datetime.date(2026, 1, 5), organisation=owner)
    assert (of_owner.total, of_owner.implemented, of_owner.overdue) == (2, 1, 1)
    of_other = snapshot_for(datetime.date(2026, 1, 5), organisation=other)
    assert (of_other.total, of_other.overdue, of_other.no_deadline) == (2, 1, 1)


def test_the_snapshot_defaults_to_today_in_london(ledger):
    with time_machine.travel(datetime.datetime(2026, 3, 29, 23, 30, tzinfo=datetime.UTC)):
        call_command("take_snapshot", stdout=StringIO())  # 00:30 on 30 March in London (BST)
    assert set(Snapshot.objects.values_list("day", flat=True)) == {datetime.date(2026, 3, 30)}


def test_backfill_rebuilds_past_days_from_the_ledger(ledger):
    report, _, _ = ledger
    call_command("flag_overdue", day="2026-01-05", stdout=StringIO())
    out = StringIO()
    call_command("backfill_snapshots", "--from", "2025-11-01", "--to", "2026-01-02", stdout=out)
    assert "Rebuilt 63 day(s)" in out.getvalue()

    trend = list(
        Snapshot.objects.filter(report=report)
        .order_by("day")
        .values_list("day", "implemented", "overdue")
    )
    assert len(trend) == 63
    by_day = {day: (implemented, overdue) for day, implemented, overdue in trend}
    assert by_day[datetime.date(2025, 11, 2)] == (0, 0)
    assert by_day[datetime.date(2025, 11, 3)] == (1, 0)  # the update describes 3 November
    assert by_day[datetime.date(2025, 12, 31)] == (1, 0)
    assert by_day[datetime.date(2026, 1, 1)] == (1, 1)  # overdue from the day after 31 December


def test_backfill_refuses_a_range_that_ends_before_it_starts():
    with pytest.raises(CommandError, match="comes before"):
        call_command("backfill_snapshots", "--from", "2026-01-02", "--to", "2026-01-01")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("backfill_snapshots", "--from", "2 January")
