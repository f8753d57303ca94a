"""`latest_changes`: what happened, and what was recorded, between two days."""

import datetime

import pytest
import time_machine

from tests.factories import (
    DeadlineFactory,
    OrganisationFactory,
    RecommendationFactory,
    ReportFactory,
    StatusUpdateFactory,
)
from tests.factories_open_data import build_open_data
from tracker.public.changes import KIND_LABELS, Basis, latest_changes

pytestmark = pytest.mark.django_db

NOV = datetime.date(2026, 11, 1)


def at(day: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, tzinfo=datetime.UTC)


@pytest.fixture
def recommendation():
    return RecommendationFactory(report=ReportFactory(short_name="IICSA"), number=13)


def test_published_updates_and_corrections_in_the_window(recommendation):
    before = StatusUpdateFactory(recommendation=recommendation, published=True, published_at=at(1))
    update = StatusUpdateFactory(recommendation=recommendation, published=True, published_at=at(5))
    correction = StatusUpdateFactory(
        recommendation=recommendation,
        published=True,
        published_at=at(7),
        corrects=before,
        summary="The date was wrong.",
    )
    StatusUpdateFactory(recommendation=recommendation)  # a draft is never a change
    StatusUpdateFactory(recommendation=recommendation, published=True, published_at=at(9))

    changes = changes_since(datetime.date(2026, 11, 2), datetime.date(2026, 11, 8))

    assert [(c.kind, c.key) for c in changes] == [
        ("correction", f"update-{correction.pk}"),
        ("update", f"update-{update.pk}"),
    ]
    first = changes[0]
    assert first.on == datetime.date(2026, 11, 7)
    assert first.kind_label == "Correction"
    assert first.title == "IICSA 13: In progress"
    assert first.summary.startswith("Corrects the update describing 8 April 2025.")
    assert "The date was wrong." in first.summary
    assert first.url == recommendation.get_absolute_url()
    assert first.source.url == "https://example.org/update"


def test_days_are_london_days_and_both_ends_are_included(recommendation):
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
    StatusUpdateFactory(
        recommendation=recommendation,
        published=True,
        published_at=datetime.datetime(2026, 6, 30, 23, 30, tzinfo=datetime.UTC),
    )
    StatusUpdateFactory(
        recommendation=recommendation,
        published=True,
        published_at=datetime.datetime(2026, 7, 31, 22, 59, tzinfo=datetime.UTC),
    )

    july = changes_since(datetime.date(2026, 7, 1), datetime.date(2026, 7, 31))

    assert [c.on for c in july] == [datetime.date(2026, 7, 31), datetime.date(2026, 7, 1)]
    assert changes_since(datetime.date(2026, 6, 30), datetime.date(2026, 6, 30)) == []


def test_deadlines_set_moved_met_dropped_and_passed(recommendation):
    owner = OrganisationFactory(name="Example Office")
    with time_machine.travel(at(2)):
        first = DeadlineFactory(
            recommendation=recommendation,
            organisation=owner,
            commitment="Consult",
            due_date=datetime.date(2026, 12, 31),
            promised_on=datetime.date(2026, 11, 2),
        )
    with time_machine.travel(at(3)):
        moved = DeadlineFactory(
            recommendation=recommendation,
            supersedes=first,
            commitment="Consult",
            stated_as="by spring 2027",
            precision="quarter",
            due_date=datetime.date(2027, 6, 30),
            change_reason="A new minister.",
            promised_on=datetime.date(2026, 11, 3),
        )
    with time_machine.travel(datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)):
        met = DeadlineFactory(recommendation=recommendation, met_on=datetime.date(2026, 11, 4))
        dropped = DeadlineFactory(
            recommendation=recommendation,
            withdrawn_on=datetime.date(2026, 11, 5),
            change_reason="Not pursued.",
        )
        passed = DeadlineFactory(
            recommendation=recommendation, precision="day", due_date=datetime.date(2026, 11, 5)
        )
        DeadlineFactory(  # fell due in the window but was met, so it never fell overdue
            recommendation=recommendation,
            precision="day",
            due_date=datetime.date(2026, 11, 5),
            met_on=datetime.date(2026, 10, 1),
        )

    changes = changes_since(NOV, datetime.date(2026, 11, 10), Basis.HAPPENED)

    by_kind = {c.kind: c for c in changes}
    assert [c.kind for c in changes] == [
        "deadline_overdue",
        "deadline_withdrawn",
        "deadline_met",
        "deadline_moved",
        "deadline_set",
    ]
    assert by_kind["deadline_set"].key == f"deadline-set-{first.pk}"
    assert by_kind["deadline_set"].title == "IICSA 13: deadline set for 2026"
    assert by_kind["deadline_set"].summary.startswith("Example Office promised: Consult")
    assert by_kind["deadline_moved"].key == f"deadline-moved-{moved.pk}"
    assert by_kind["deadline_moved"].title == "IICSA 13: deadline moved from 2026 to Q2 2027"
    assert "This replaces “by the end of 2025” (2026)." in by_kind["deadline_moved"].summary
    assert "Reason given: A new minister." in by_kind["deadline_moved"].summary
    assert by_kind["deadline_met"].key == f"deadline-met-{met.pk}"
    assert by_kind["deadline_met"].on == datetime.date(2026, 11, 4)
    assert by_kind["deadline_withdrawn"].key == f"deadline-withdrawn-{dropped.pk}"
    assert "Not pursued." in by_kind["deadline_withdrawn"].summary
    assert by_kind["deadline_overdue"].key == f"deadline-overdue-{passed.pk}"
    assert by_kind["deadline_overdue"].on == datetime.date(2026, 11, 6)
    assert by_kind["deadline_overdue"].title == "IICSA 13: past due since 6 November 2026"
    # What was recorded in those days is another matter: the first two were entered then.
    recorded = changes_since(NOV, datetime.date(2026, 11, 10), Basis.RECORDED)
    assert [c.kind for c in recorded] == ["deadline_moved", "deadline_set"]


def test_a_deadline_due_on_the_last_day_is_not_yet_overdue(recommendation):
    DeadlineFactory(
        recommendation=recommendation, precision="day", due_date=datetime.date(2026, 11, 10)
    )
    kinds = [c.kind for c in changes_since(NOV, datetime.date(2026, 11, 10), Basis.HAPPENED)]
    assert "deadline_overdue" not in kinds
    kinds = [c.kind for c in changes_since(NOV, datetime.date(2026, 11, 11), Basis.HAPPENED)]
    assert "deadline_overdue" in kinds


def test_a_reversed_period_is_refused():
    with pytest.raises(ValueError, match="before its start"):
        changes_since(datetime.date(2026, 11, 2), datetime.date(2026, 11, 1))


@pytest.mark.parametrize("count", [32, pytest.param(2000, marks=pytest.mark.slow)])
def test_query_count_does_not_grow(django_assert_max_num_queries, count):
    report = ReportFactory(slug="example-inquiry", short_name="Example")  # loaded earlier
    with time_machine.travel(at(20)):
        build_open_data(count, report)

    with django_assert_max_num_queries(6):
        changes = changes_since(NOV, datetime.date(2026, 11, 30))
        for change in changes:
            change.url  # noqa: B018 - reading the URL must not query

    assert len(changes) == 3 * count  # one update published, one response and one deadline each


def a_busy_fortnight(recommendation) -> None:
    """Updates, a correction and deadlines set, moved, met (three on one day), dropped and passed
    between 1 and 10 November 2026."""

    def day(number: int) -> datetime.date:
        return datetime.date(2026, 11, number)

    first = StatusUpdateFactory(recommendation=recommendation, published=True, describes_on=day(2))
    for number in (3, 4, 6):
        StatusUpdateFactory(recommendation=recommendation, published=True, describes_on=day(number))
    StatusUpdateFactory(
        recommendation=recommendation, published=True, describes_on=day(7), corrects=first
    )
    old = DeadlineFactory(
        recommendation=recommendation, due_date=datetime.date(2026, 12, 31), promised_on=day(2)
    )
    DeadlineFactory(recommendation=recommendation, supersedes=old, promised_on=day(3))
    with time_machine.travel(datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)):
        for _ in range(3):
            DeadlineFactory(recommendation=recommendation, met_on=datetime.date(2026, 11, 4))
        DeadlineFactory(recommendation=recommendation, withdrawn_on=datetime.date(2026, 11, 5))
        for day in (3, 5):
            DeadlineFactory(
                recommendation=recommendation,
                precision="day",
                due_date=datetime.date(2026, 11, day),
            )


@pytest.mark.parametrize("limit", [1, 2, 50])
def test_latest_changes_are_the_first_of_each_kind_in_changes_since(recommendation, limit):
    a_busy_fortnight(recommendation)
    every = changes_since(NOV, datetime.date(2026, 11, 10), Basis.HAPPENED)

    found = latest_changes(NOV, datetime.date(2026, 11, 10), limit, Basis.HAPPENED)

    assert found.total == len(every) == 13
    for kind in KIND_LABELS:
        of_kind = [change for change in every if change.kind == kind]
        assert found.counts[kind] == len(of_kind), kind
        assert found.latest[kind] == of_kind[:limit], kind


def test_latest_changes_refuses_a_reversed_period():
    with pytest.raises(ValueError, match="before its start"):
        latest_changes(datetime.date(2026, 11, 2), datetime.date(2026, 11, 1), 10)


@pytest.mark.parametrize("count", [32, pytest.param(2000, marks=pytest.mark.slow)])
def test_latest_changes_query_count_does_not_grow(django_assert_max_num_queries, count):
    report = ReportFactory(slug="example-inquiry", short_name="Example")  # loaded earlier
    with time_machine.travel(at(20)):
        build_open_data(count, report)

    with django_assert_max_num_queries(6):
        found = latest_changes(NOV, datetime.date(2026, 11, 30), 50, Basis.RECORDED)
        for changes in found.latest.values():
            for change in changes:
                change.url  # noqa: B018 - reading the URL must not query

    assert found.counts["update"] == found.counts["deadline_set"] == count
    assert len(found.latest["update"]) == len(found.latest["deadline_set"]) == min(count, 50)


def changes_since(since: datetime.date, until: datetime.date, basis: str = Basis.RECORDED):
    """Every change from `since` to `until` (both inclusive), latest first."""
    return latest_changes(since, until, limit=None, basis=basis).merged()
