"""The facts a recommendation page tells: each owner's own status and the story of each deadline,
and the rows the page (and its feed and badge) are made from, fetched for one or many at a time."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Max, Q

from tracker.accounts import latest_accounts
from tracker.as_of import AsOf, published_updates_as_of
from tracker.models import (
    Account,
    Check,
    Deadline,
    ImplementationStatus,
    Ownership,
    Recommendation,
    RecommendationLink,
    Response,
    ResponseKind,
    StatusUpdate,
    lead_of,
)
from tracker.periods import Precision, describe_due
from tracker.public.freshness import Freshness
from tracker.public.tables import DeadlineState, deadline_words, describe_timeliness
from tracker.response_clocks import response_late_words

# The page of one recommendation, live (public.views) and published (static_site.build).
RECOMMENDATION_PAGE_TEMPLATE = "tracker/recommendation_detail.html"

NUMBER_WORDS = {1: "once", 2: "twice"}


@dataclass
class OwnerStatus:
    ownership: Ownership
    update: StatusUpdate | None


@dataclass
class OwnerStatuses:
    rows: list[OwnerStatus]
    differ: bool


def owner_statuses(
    recommendation: Recommendation, ownerships: list[Ownership], updates: list[StatusUpdate]
) -> OwnerStatuses:
    """Each owner's latest update about its own part (`updates` come newest first)."""
    latest: dict[int, StatusUpdate] = {}
    for update in updates:
        if update.organisation_id and update.organisation_id not in latest:
            latest[update.organisation_id] = update
    rows = [OwnerStatus(o, latest.get(o.organisation_id)) for o in ownerships]
    differ = any(
        row.update is not None and row.update.status != recommendation.status_then for row in rows
    )
    return OwnerStatuses(rows=rows, differ=differ)


@dataclass
class DeadlineStory:
    """One promise and every time it moved, oldest first."""

    steps: list[Deadline]
    summary: str
    is_overdue: bool = False
    days_overdue: int = 0
    overdue_since: object = None
    notes: list[str] = field(default_factory=list)

    @property
    def current(self) -> Deadline:
        return self.steps[-1]


def period_words(deadline: Deadline) -> str:
    """“the end of 2025”, “Q1 2026”, “March 2026”, “31 March 2026”."""
    if deadline.precision == Precision.YEAR:
        return f"the end of {deadline.due_date.year}"
    return describe_due(deadline.due_date, deadline.precision)


def _uk(day) -> str:
    return f"{day.day} {day:%B %Y}"


def deadline_stories(deadlines: list[Deadline], as_of: AsOf) -> list[DeadlineStory]:
    """Chains of deadlines (each superseding the one before), told in one sentence each."""
    day = as_of.day

    def known(deadline: Deadline) -> bool:
        return not as_of.is_past or deadline.promised_on is None or deadline.promised_on <= day

    visible = [d for d in deadlines if known(d)]
    by_previous = {d.supersedes_id: d for d in visible if d.supersedes_id}
    visible_ids = {d.pk for d in visible}
    for deadline in visible:
        deadline.state_words = deadline_words(deadline, day, by_previous.get(deadline.pk))
    stories = []
    for first in visible:
        if first.supersedes_id in visible_ids:
            continue
        steps = [first]
        while steps[-1].pk in by_previous:
            steps.append(by_previous[steps[-1].pk])
        stories.append(_tell(steps, as_of))
    stories.sort(key=lambda story: story.current.due_date)
    return stories


def _tell(steps: list[Deadline], as_of: AsOf) -> DeadlineStory:
    day = as_of.day
    first, current = steps[0], steps[-1]
    promised = f" on {_uk(first.promised_on)}" if first.promised_on else ""
    parts = [f"First promised{promised} for {period_words(first)}"]
    moves = len(steps) - 1
    if moves:
        parts.append(f"moved {NUMBER_WORDS.get(moves, f'{moves} times')}")
    # Earlier dates missed (a source says so, or replaced after they fell due): each says which.
    missed = sum(step.state_words.startswith(DeadlineState.MISSED) for step in steps[:-1])
    if missed:
        parts.append(f"missed {NUMBER_WORDS.get(missed, f'{missed} times')} before")
    story = DeadlineStory(steps=steps, summary="")
    due = period_words(current)
    if current.met_on and current.met_on <= day:
        timing = "on time" if current.met_on <= current.due_date else "late"
        parts.append(f"met on {_uk(current.met_on)} ({timing})")
    elif current.withdrawn_on and current.withdrawn_on <= day:
        parts.append(f"withdrawn on {_uk(current.withdrawn_on)} without a new date")
    else:
        parts.append(f"now due {due}" if moves else f"due {due}")
        if current.due_date < day:
            story.is_overdue = True
            story.days_overdue = (day - current.due_date).days
            if current.overdue_since and not as_of.is_past:
                story.overdue_since = current.overdue_since
    story.summary = "; ".join(parts) + "."
    return story


# --- Everything a recommendation's page shows ----------------------------------------------------


@dataclass
class RecommendationRecord:
    """A recommendation (from `recommendations_as_of`, with its report) and the rows its page,
    feed and badge show."""

    recommendation: Recommendation
    ownerships: list[Ownership]
    responses: list[Response]
    updates: list[StatusUpdate]  # published (as of the day), newest first
    deadlines: list[Deadline]
    links: list[LinkedRecommendation] = field(default_factory=list)
    last_checked_on: datetime.date | None = None  # as of the day


@dataclass
class LinkedRecommendation:
    """The other side of a `RecommendationLink`, as this recommendation's page tells it."""

    link: RecommendationLink
    other: Recommendation
    relation: str  # “Repeats”, “Is repeated by”, …


def recommendation_records(
    as_of: AsOf, recommendations: list[Recommendation]
) -> list[RecommendationRecord]:
    """The rows every one of `recommendations` shows, in five queries whatever their number (six
    for a past day, whose last checks are counted then): the live page fetches one this way,
    the published view a few hundred at a time."""
    ids = [recommendation.pk for recommendation in recommendations]

    def by_recommendation(queryset) -> dict[int, list]:
        grouped: dict[int, list] = defaultdict(list)
        for row in queryset.filter(recommendation_id__in=ids):
            grouped[row.recommendation_id].append(row)
        return grouped

    ownerships = by_recommendation(Ownership.objects.select_related("organisation", "source"))
    responses = by_recommendation(Response.objects.select_related("organisation", "source"))
    updates = by_recommendation(
        published_updates_as_of(as_of)
        .select_related("organisation", "corrects", "source")
        .newest_first()
    )
    deadlines = by_recommendation(
        Deadline.objects.select_related("organisation", "source", "missed_source")
    )
    links = links_of(ids)
    if as_of.is_past:
        checks = Check.objects.filter(recommendation_id__in=ids, checked_on__lte=as_of.day)
        last_checked = dict(
            checks.values_list("recommendation_id").annotate(last=Max("checked_on")).order_by()
        )
    else:  # today's, stored (`tracker.fact_dates`)
        last_checked = {r.pk: r.latest_check_on for r in recommendations}
    records = []
    for recommendation in recommendations:
        record = RecommendationRecord(
            recommendation=recommendation,
            ownerships=ownerships[recommendation.pk],
            responses=responses[recommendation.pk],
            updates=updates[recommendation.pk],
            deadlines=deadlines[recommendation.pk],
            links=links[recommendation.pk],
            last_checked_on=last_checked.get(recommendation.pk),
        )
        for row in (*record.ownerships, *record.responses, *record.updates, *record.deadlines):
            row.recommendation = recommendation  # as the related manager would, with no query
        records.append(record)
    return records


# How a link reads from its far side.
INVERSE_RELATIONS = {
    RecommendationLink.Kind.REPEATS: "Is repeated by",
    RecommendationLink.Kind.BUILDS_ON: "Is built on by",
    RecommendationLink.Kind.RELATED: "Is related to",
}


def links_of(ids: list[int]) -> dict[int, list[LinkedRecommendation]]:
    """Each recommendation's links, both ways, with the other side's report and current status:
    one query whatever their number. A link to a recommendation of an unpublished report is left
    out (`RecommendationLinkQuerySet.public`)."""
    grouped: dict[int, list[LinkedRecommendation]] = defaultdict(list)
    links = (
        RecommendationLink.objects.public()
        .filter(Q(from_recommendation_id__in=ids) | Q(to_recommendation_id__in=ids))
        .select_related("from_recommendation__report", "to_recommendation__report", "source")
    )
    for link in links:
        if link.from_recommendation_id in ids:
            grouped[link.from_recommendation_id].append(
                LinkedRecommendation(link, link.to_recommendation, link.get_kind_display())
            )
        if link.to_recommendation_id in ids:
            grouped[link.to_recommendation_id].append(
                LinkedRecommendation(link, link.from_recommendation, INVERSE_RELATIONS[link.kind])
            )
    return grouped


def record_freshness(record: RecommendationRecord, responses: list[Response], as_of: AsOf):
    """The page's newest fact and last check, from the rows it shows (no query)."""
    day = as_of.day
    facts = [update.describes_on for update in record.updates]
    facts += [r.responded_on for r in responses if r.responded_on and r.responded_on <= day]
    for deadline in record.deadlines:
        facts += [d for d in (deadline.promised_on, deadline.met_on) if d and d <= day]
    checked = record.last_checked_on
    return Freshness(
        listed=1,
        newest_fact=max(facts) if facts else None,
        oldest_check=checked,
        newest_check=checked,
        never_checked=0 if checked else 1,
    )


def recommendation_page_context(record: RecommendationRecord, as_of: AsOf) -> dict:
    """The context of `tracker/recommendation_detail.html`."""
    recommendation = record.recommendation
    responses = [
        response
        for response in record.responses
        if not as_of.is_past or response.responded_on is None or response.responded_on <= as_of.day
    ]
    updates = record.updates
    corrected = {update.corrects_id for update in updates if update.corrects_id}
    for update in updates:
        update.is_corrected = update.pk in corrected
    ownerships = record.ownerships
    lead = lead_of(ownerships)
    response = recommendation.headline_response
    status_label = ImplementationStatus(recommendation.status_then).label
    label = f"{recommendation.report.short_name} recommendation {recommendation.number}"
    return {
        "page_title": f"{label}: {recommendation.title}" if recommendation.title else label,
        "page_description": " ".join(
            part
            for part in [recommendation.plain_summary, f"Status: {status_label.lower()}."]
            if part
        ),
        "badge_status": f"{status_label}, as described on {_uk(recommendation.status_then_on)}"
        if recommendation.status_then_on
        else f"{status_label}: no update yet",
        "timeline": list(reversed(updates)),
        "recommendation": recommendation,
        "report": recommendation.report,
        "lead": lead,
        "status_label": status_label,
        "status_account_label": Account(recommendation.status_then_account).label
        if recommendation.status_then_account
        else "",
        "response_label": ResponseKind(response).label if response else "Not known",
        "timeliness": describe_timeliness(recommendation, as_of.day),
        "badge_label": label,
        "ownerships": ownerships,
        "responses": responses,
        "owner_statuses": owner_statuses(recommendation, ownerships, updates),
        "deadline_stories": deadline_stories(record.deadlines, as_of),
        "updates": updates,
        "freshness": record_freshness(record, responses, as_of),
        "response_late_words": response_late_words(recommendation, as_of.day),
        "accounts": latest_accounts(updates, lead.organisation.name if lead else None),
        "links": record.links,
    }
