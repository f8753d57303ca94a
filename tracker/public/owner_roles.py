"""What one owner holds: each recommendation with the owner's role, its part's status and its
deadlines, for the owner's page. Three queries whatever the number of recommendations."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from tracker.as_of import AsOf, published_updates_as_of
from tracker.models import Deadline, ImplementationStatus, Organisation, Ownership, StatusUpdate
from tracker.public.tables import deadline_words


@dataclass
class OwnedDeadline:
    deadline: Deadline
    is_overdue: bool
    days_overdue: int
    whole_recommendation: bool
    words: str = ""  # its state in the words of /methodology/ (`tables.deadline_words`)


@dataclass
class OwnedRecommendation:
    ownership: Ownership
    part_update: StatusUpdate | None
    deadlines: list[OwnedDeadline] = field(default_factory=list)

    @property
    def recommendation(self):
        return self.ownership.recommendation

    @property
    def role(self) -> str:
        """“Lead, stated”, “Supporting, inferred from who answered or acted”, with any scope."""
        role = self.ownership.get_role_display()
        basis = (
            "inferred from who answered or acted"
            if self.ownership.basis == Ownership.Basis.INFERRED
            else "stated"
        )
        scope = f" ({self.ownership.scope})" if self.ownership.scope else ""
        return f"{role}, {basis}{scope}"

    headline: object = None  # the recommendation's row in the table (with `status_then`)

    @property
    def whole_status_label(self) -> str:
        return ImplementationStatus(self.headline.status_then).label

    @property
    def part_status_label(self) -> str:
        if self.part_update is None:
            return ""
        return ImplementationStatus(self.part_update.status).label


def owned_recommendations(organisation: Organisation, as_of: AsOf) -> list[OwnedRecommendation]:
    """Each public recommendation `organisation` owns (in published reports out by `as_of`), in the
    reports' order, with its role, its latest update about its own part, and its open deadlines
    (its own and those set for the whole recommendation)."""
    ownerships = list(
        Ownership.objects.public()
        .filter(
            organisation=organisation,
            recommendation__report__published_on__lte=as_of.day,
        )
        .select_related("recommendation__report")
        .order_by(
            "recommendation__report__published_on",
            "recommendation__report__slug",
            "recommendation__number",
        )
    )
    ids = [o.recommendation_id for o in ownerships]
    latest_part: dict[int, StatusUpdate] = {}
    for update in (
        published_updates_as_of(as_of)
        .filter(organisation=organisation, recommendation_id__in=ids)
        .newest_first()
    ):
        latest_part.setdefault(update.recommendation_id, update)
    open_deadlines = (
        Deadline.objects.open(as_known_on=as_of.day if as_of.is_past else None)
        .filter(recommendation_id__in=ids)
        .filter(Q(organisation=organisation) | Q(organisation__isnull=True))
        .order_by("due_date", "pk")
    )
    deadlines: dict[int, list[OwnedDeadline]] = {}
    for deadline in open_deadlines:
        overdue = deadline.due_date < as_of.day
        deadlines.setdefault(deadline.recommendation_id, []).append(
            OwnedDeadline(
                deadline=deadline,
                is_overdue=overdue,
                days_overdue=(as_of.day - deadline.due_date).days if overdue else 0,
                whole_recommendation=deadline.organisation_id is None,
                words=deadline_words(deadline, as_of.day),
            )
        )
    return [
        OwnedRecommendation(
            ownership=ownership,
            part_update=latest_part.get(ownership.recommendation_id),
            deadlines=deadlines.get(ownership.recommendation_id, []),
        )
        for ownership in ownerships
    ]
