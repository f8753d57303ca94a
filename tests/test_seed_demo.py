"""`seed_demo` makes fictional data in bulk, keeps headlines right, and refuses real databases."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.factories import ContactFactory
from tracker.as_of import with_headline_response
from tracker.intake.demo_data import seed_demo
from tracker.models import (
    Contact,
    Deadline,
    ImplementationStatus,
    Organisation,
    Ownership,
    Recommendation,
    Report,
    StatusUpdate,
)

pytestmark = pytest.mark.django_db


def seed(**options):
    out = io.StringIO()
    call_command("seed_demo", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_seeds_visibly_fictional_inquiries_with_their_ledger():
    output = seed(inquiries=3, contacts=5, seed=7)

    reports = list(Report.objects.order_by("slug"))
    assert [r.slug for r in reports] == ["demo-inquiry-1", "demo-inquiry-2", "demo-inquiry-3"]
    assert all(r.title.startswith("Demo inquiry ") and "fictional" in r.title for r in reports)
    for report in reports:
        assert 5 <= report.recommendations.count() <= 120
    assert all(o.name.startswith("Example ") for o in Organisation.objects.all())
    contacts = Contact.objects.all()
    assert contacts.count() == 5
    assert all(c.is_demo and c.email.endswith("@example.org") for c in contacts)
    recommendations = Recommendation.objects.count()
    assert Ownership.objects.filter(role=Ownership.Role.LEAD).count() == recommendations
    assert StatusUpdate.objects.published().count() >= 3 * recommendations
    assert Deadline.objects.filter(supersedes__isnull=False).exists(), "some deadlines slipped"
    assert f"{recommendations} recommendations" in output
    assert "fictional" in output


def test_headline_statuses_match_the_latest_published_whole_recommendation_update():
    seed(inquiries=2, contacts=0, seed=3)

    statuses = set()
    for recommendation in Recommendation.objects.all():
        latest = (
            StatusUpdate.objects.published()
            .filter(recommendation=recommendation, organisation__isnull=True)
            .in_headline_order()
            .first()
        )
        expected = latest.status if latest else ImplementationStatus.NOT_YET_ASSESSED
        assert recommendation.status == expected
        assert recommendation.status_on == (latest.describes_on if latest else None)
        statuses.add(recommendation.status)
    assert len(statuses) > 1


def test_the_set_based_headline_refresh_fills_the_response_clocks():
    """Written in bulk, so no signal ran: the headline refresh stores each clock as computed."""
    seed_demo(2, contacts=0, seed=4)

    stored = with_headline_response(Recommendation.objects.all()).values_list(
        "pk", "response_late_from"
    )
    day = timezone.localdate()
    computed = with_headline_response(Recommendation.objects.all(), day).values_list(
        "pk", "response_late_since"
    )
    assert dict(stored) == dict(computed)
    assert any(late_from for _, late_from in stored), "some responses are awaited"


def test_overdue_flags_are_set_for_the_seeded_deadlines():
    seed(inquiries=2, contacts=0, seed=5)

    overdue = Recommendation.objects.filter(overdue_since__isnull=False).count()
    assert overdue > 0
    assert overdue == Recommendation.objects.overdue_on(timezone.localdate()).count()


def test_a_second_run_adds_further_numbered_inquiries():
    seed(inquiries=1, contacts=1, seed=1)
    seed(inquiries=1, contacts=1, seed=2)

    assert sorted(Report.objects.values_list("slug", flat=True)) == [
        "demo-inquiry-1",
        "demo-inquiry-2",
    ]
    assert Contact.objects.count() == 2


def test_refuses_a_database_holding_the_shipped_reports_and_writes_nothing():
    call_command("load_reports", stdout=io.StringIO())
    before = (Report.objects.count(), Recommendation.objects.count(), StatusUpdate.objects.count())

    with pytest.raises(CommandError, match="casey-audit, iicsa"):
        seed(inquiries=2)

    after = (Report.objects.count(), Recommendation.objects.count(), StatusUpdate.objects.count())
    assert after == before
    assert not Report.objects.filter(slug__startswith="demo-inquiry-").exists()


def test_refuses_a_database_with_real_contacts_unless_forced():
    ContactFactory(is_demo=False)

    with pytest.raises(CommandError, match="1 contact"):
        seed(inquiries=1)
    assert not Report.objects.exists()

    seed(inquiries=1, contacts=0, force=True)
    assert Report.objects.filter(slug="demo-inquiry-1").exists()


def test_rejects_a_number_of_inquiries_below_one():
    with pytest.raises(CommandError):
        seed(inquiries=0)
    assert not Report.objects.exists()


def test_updates_are_published_after_the_day_they_describe_and_never_in_the_future():
    seed(inquiries=3)
    now = timezone.now()
    updates = list(StatusUpdate.objects.published())
    assert updates
    for update in updates:
        published_on = timezone.localdate(update.published_at)
        assert update.describes_on <= published_on <= timezone.localdate(now)
    # Spread over time, so "what changed this week" is not every update ever seeded.
    assert len({timezone.localdate(u.published_at) for u in updates}) > 1
