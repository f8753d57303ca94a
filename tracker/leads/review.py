"""An editor's review of a lead: turn it into a draft status update, or dismiss it saying why.

Either way the editor looked for news about the recommendation, so each counts as a `Check`.
Nothing reaches the public here: the update made from a lead is a draft, with its source filled
in, for the editor to complete and publish like any other.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from tracker.models import (
    Check,
    ImplementationStatus,
    Lead,
    LeadMatch,
    Recommendation,
    Source,
    StatusUpdate,
)

DRAFT_NOTE = (
    "Drafted from a lead ({feed}). Check the source, write the summary in your own words and set "
    "the status before publishing."
)


class LeadReviewError(Exception):
    """The lead cannot be reviewed that way; the message says why."""


def source_for(lead: Lead) -> Source:
    """The lead's link as a source record: the existing one for that address, or a new one."""
    if not lead.link:
        raise LeadReviewError("This lead has no link, so it cannot be a source; add one by hand.")
    source, _ = Source.objects.get_or_create(
        url=lead.link,
        defaults={
            "title": lead.title[:300],
            "publisher": lead.publisher,
            "published_on": _local_day(lead.published_at),
            "kind": lead.feed.default_kind,
        },
    )
    return source


def turn_into_update(
    lead: Lead, recommendation: Recommendation, by, today: datetime.date
) -> StatusUpdate:
    """A draft update for `recommendation` sourced from the lead (the same draft if asked again)."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().select_related("feed").get(pk=lead.pk)
        match = LeadMatch.objects.filter(lead=lead, recommendation=recommendation).first()
        if match is None:
            raise LeadReviewError(f"This lead was not matched to {recommendation}.")
        if lead.state == Lead.State.DISMISSED:
            raise LeadReviewError("This lead was dismissed; it cannot become an update.")
        if match.status_update_id is not None:
            return match.status_update
        source = source_for(lead)
        reason, reason_detail = _carried_reason(recommendation)
        update = StatusUpdate(
            recommendation=recommendation,
            describes_on=_local_day(lead.published_at) or today,
            status=recommendation.status,
            reason=reason,
            reason_detail=reason_detail,
            summary=lead.title,
            source=source,
            editors_note=DRAFT_NOTE.format(feed=lead.feed.name),
            entered_by=by,
            state=StatusUpdate.State.DRAFT,
        )
        update._history_user = by
        update.save()
        match.status_update = update
        match.save(update_fields=["status_update"])
        lead.state = Lead.State.TURNED_INTO_UPDATE
        _reviewed(lead, by)
        _check(recommendation, by, today, Check.Outcome.RECORDED, lead, "drafted an update")
    return update


def _carried_reason(recommendation: Recommendation) -> tuple[str, str]:
    """The draft starts at the recommendation's headline status; a status that needs a reason
    ("not being implemented") carries the reason its latest published update gave."""
    if recommendation.status != ImplementationStatus.NOT_BEING_IMPLEMENTED:
        return "", ""
    latest = (
        StatusUpdate.objects.published()
        .filter(recommendation=recommendation, status=recommendation.status)
        .exclude(reason="")
        .order_by("-describes_on", "-pk")
        .first()
    )
    if latest is None:
        return StatusUpdate.Reason.OTHER, ""
    return latest.reason, latest.reason_detail


def dismiss(lead: Lead, reason: str, note: str, by, today: datetime.date) -> None:
    """Record why the lead is not news for its recommendations; a check of each of them."""
    if reason not in Lead.DismissalReason.values or not reason:
        raise LeadReviewError("Choose why the lead is dismissed.")
    if reason == Lead.DismissalReason.OTHER and not note.strip():
        raise LeadReviewError("Say why the lead is dismissed.")
    with transaction.atomic():
        lead = Lead.objects.select_for_update().select_related("feed").get(pk=lead.pk)
        if lead.state != Lead.State.NEW:
            raise LeadReviewError(f"This lead was already reviewed ({lead.get_state_display()}).")
        lead.state = Lead.State.DISMISSED
        lead.dismissal_reason, lead.dismissal_note = reason, note.strip()
        _reviewed(lead, by)
        why = Lead.DismissalReason(reason).label + (f": {note.strip()}" if note.strip() else "")
        for recommendation in Recommendation.objects.filter(lead_matches__lead=lead):
            _check(
                recommendation, by, today, Check.Outcome.LEAD_DISMISSED, lead, f"dismissed ({why})"
            )


def _reviewed(lead: Lead, by) -> None:
    lead.reviewed_at, lead.reviewed_by = timezone.now(), by
    lead.save()


def _check(recommendation, by, today, outcome, lead: Lead, what: str) -> Check:
    check = Check(
        recommendation=recommendation,
        checked_on=today,
        checked_by=by,
        outcome=outcome,
        note=f"Lead from {lead.feed.name}, {what}: “{lead.title}” {lead.link}".strip(),
    )
    check._history_user = by
    check.save()
    return check


def _local_day(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(moment) if moment else None
