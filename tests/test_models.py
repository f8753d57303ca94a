import datetime

import pytest
from django.db import IntegrityError, transaction

from tests.factories import (
    DeadlineFactory,
    OwnershipFactory,
    RecommendationFactory,
    ReportFactory,
    ResponseFactory,
    StatusUpdateFactory,
    UserFactory,
)
from tracker.models import (
    Deadline,
    ImplementationStatus,
    Ownership,
    PublishedUpdateError,
    Recommendation,
    ResponseKind,
    StatusUpdate,
)
from tracker.updates import publish_update, refresh_headline_status

pytestmark = pytest.mark.django_db


def refused(**create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create.pop("factory")(**create)


def test_number_is_unique_within_a_report_but_not_across_reports():
    report = ReportFactory()
    RecommendationFactory(report=report, number=1)
    RecommendationFactory(number=1)
    refused(factory=RecommendationFactory, report=report, number=1)


def test_at_most_one_lead_owner():
    recommendation = RecommendationFactory()
    OwnershipFactory(recommendation=recommendation, role=Ownership.Role.LEAD)
    OwnershipFactory(recommendation=recommendation, role=Ownership.Role.SUPPORTING)
    refused(factory=OwnershipFactory, recommendation=recommendation, role=Ownership.Role.LEAD)


@pytest.mark.parametrize(
    ("precision", "due", "allowed"),
    [
        ("day", "2025-06-17", True),
        ("month", "2025-12-31", True),
        ("month", "2025-12-30", False),
        ("month", "2024-02-29", True),
        ("month", "2024-02-28", False),
        ("month", "2025-02-28", True),
        ("quarter", "2026-03-31", True),
        ("quarter", "2026-04-30", False),
        ("year", "2025-12-31", True),
        ("year", "2025-06-30", False),
        ("fortnight", "2025-12-31", False),
    ],
)
def test_deadline_falls_due_on_the_last_day_of_its_period(precision, due, allowed):
    if allowed:
        DeadlineFactory(precision=precision, due_date=datetime.date.fromisoformat(due))
    else:
        refused(
            factory=DeadlineFactory,
            precision=precision,
            due_date=datetime.date.fromisoformat(due),
        )


def test_superseded_deadline_stays_and_is_no_longer_open():
    first = DeadlineFactory(stated_as="March 2025", precision="month", due_date="2025-03-31")
    second = DeadlineFactory(
        recommendation=first.recommendation,
        stated_as="December 2026",
        precision="month",
        due_date="2026-12-31",
        supersedes=first,
    )
    assert list(Deadline.objects.open()) == [second]
    assert list(Deadline.objects.overdue(on=datetime.date(2025, 6, 1))) == []
    assert Deadline.objects.filter(recommendation=first.recommendation).count() == 2
    first.refresh_from_db()
    assert first.is_superseded


def test_published_update_needs_a_source_url():
    refused(factory=StatusUpdateFactory, published=True, source_url="")
    refused(factory=StatusUpdateFactory, published=True, source_url="ftp://example.org/x")


def test_given_response_needs_date_and_source_but_awaiting_does_not():
    ResponseFactory(kind=ResponseKind.AWAITING, responded_on=None, source_url="")
    refused(factory=ResponseFactory, kind=ResponseKind.ACCEPTED, responded_on=None)


def test_wording_kind_matches_wording():
    RecommendationFactory(text="", text_kind=Recommendation.TextKind.UNKNOWN)
    refused(factory=RecommendationFactory, text="", text_kind=Recommendation.TextKind.VERBATIM)
    refused(factory=RecommendationFactory, text="Words", text_kind=Recommendation.TextKind.UNKNOWN)


def test_not_being_implemented_needs_a_reason():
    refused(
        factory=StatusUpdateFactory, status=ImplementationStatus.NOT_BEING_IMPLEMENTED, reason=""
    )
    StatusUpdateFactory(status=ImplementationStatus.NOT_BEING_IMPLEMENTED, reason="dropped")


def test_published_update_cannot_be_changed_or_deleted_through_the_orm():
    update = StatusUpdateFactory(published=True)
    update.summary = "Rewritten history"
    with pytest.raises(PublishedUpdateError):
        update.save()
    with pytest.raises(PublishedUpdateError):
        update.delete()
    with pytest.raises(PublishedUpdateError):
        StatusUpdate.objects.filter(pk=update.pk).update(summary="Rewritten")
    with pytest.raises(PublishedUpdateError):
        StatusUpdate.objects.all().delete()
    update.refresh_from_db()
    assert update.summary == "An example step was taken."


def test_draft_can_be_edited_deleted_and_published_once():
    editor = UserFactory()
    draft = StatusUpdateFactory()
    draft.summary = "Edited while still a draft"
    draft.save()
    assert publish_update(draft, by=editor) is True
    assert draft.is_published
    assert draft.published_by == editor
    assert publish_update(draft, by=editor) is False
    StatusUpdateFactory().delete()


def test_draft_without_source_is_not_published():
    draft = StatusUpdateFactory(source_url="")
    assert publish_update(draft) is False
    draft.refresh_from_db()
    assert draft.state == StatusUpdate.State.DRAFT


def test_correction_is_a_new_update_pointing_at_the_old_one():
    original = StatusUpdateFactory(published=True, status=ImplementationStatus.IMPLEMENTED)
    correction = StatusUpdateFactory(
        recommendation=original.recommendation,
        corrects=original,
        status=ImplementationStatus.IN_PROGRESS,
        summary="The earlier entry overstated progress.",
    )
    publish_update(correction)
    assert list(original.corrections.all()) == [correction]
    assert StatusUpdate.objects.filter(recommendation=original.recommendation).count() == 2


def test_headline_status_starts_not_yet_assessed_and_follows_latest_whole_update():
    recommendation = RecommendationFactory()
    assert recommendation.status == ImplementationStatus.NOT_YET_ASSESSED
    owner = OwnershipFactory(recommendation=recommendation).organisation
    publish_update(
        StatusUpdateFactory(
            recommendation=recommendation,
            describes_on=datetime.date(2025, 1, 6),
            status=ImplementationStatus.IN_PROGRESS,
        )
    )
    # An update about one owner's part does not move the headline.
    publish_update(
        StatusUpdateFactory(
            recommendation=recommendation,
            organisation=owner,
            describes_on=datetime.date(2025, 9, 1),
            status=ImplementationStatus.IMPLEMENTED,
        )
    )
    # An older update published later does not move it back.
    publish_update(
        StatusUpdateFactory(
            recommendation=recommendation,
            describes_on=datetime.date(2024, 1, 10),
            status=ImplementationStatus.NOT_STARTED,
        )
    )
    recommendation.refresh_from_db()
    assert recommendation.status == ImplementationStatus.IN_PROGRESS
    assert recommendation.status_on == datetime.date(2025, 1, 6)
    refresh_headline_status(recommendation.pk)
    recommendation.refresh_from_db()
    assert recommendation.status == ImplementationStatus.IN_PROGRESS


def test_editor_changes_are_kept_with_who_and_when():
    editor = UserFactory()
    recommendation = RecommendationFactory(title="Before")
    recommendation._history_user = editor
    recommendation.title = "After"
    recommendation.save()
    history = list(recommendation.history.order_by("history_date"))
    assert [h.title for h in history] == ["Before", "After"]
    assert history[-1].history_user == editor


def test_timeliness_is_computed_from_open_deadlines():
    late = RecommendationFactory()
    moved = RecommendationFactory()
    none = RecommendationFactory()
    DeadlineFactory(recommendation=late, due_date=datetime.date(2025, 12, 31))
    first = DeadlineFactory(recommendation=moved, due_date=datetime.date(2025, 12, 31))
    DeadlineFactory(
        recommendation=moved,
        supersedes=first,
        stated_as="by the end of 2026",
        due_date=datetime.date(2026, 12, 31),
    )
    rows = {r.pk: r for r in Recommendation.objects.with_timeliness(on=datetime.date(2026, 1, 1))}
    assert rows[late.pk].is_overdue
    assert rows[late.pk].oldest_overdue_due == datetime.date(2025, 12, 31)
    assert not rows[moved.pk].is_overdue
    assert rows[moved.pk].next_due == datetime.date(2026, 12, 31)
    assert not rows[none.pk].has_deadline
    # "by the end of 2025" is not overdue on 31 December 2025, and is on 1 January 2026.
    assert list(Recommendation.objects.overdue_on(datetime.date(2025, 12, 31))) == []
    assert list(Recommendation.objects.overdue_on(datetime.date(2026, 1, 1))) == [late]
