"""The weekly overdue digest: one e-mail per contact per ISO week, and one for oversight.

Each contact gets what their organisation owns that is overdue (most overdue first), what it leads
whose response or promised decision is late (longest first: what is late, since when, by which
rule), then what falls due in the coming days. Oversight contacts get everything overdue, each
recommendation once with its owners, most overdue first; every late response with its lead owner;
the "silent" list (overdue with no published update for
`SILENCE_DAYS` days or more); and how many drafts wait for an editor's review.

Facts are as of the day of sending (`send_day`), not the Monday that names the week.

Nothing of a report an editor has not published is in any digest (`public()` in
`tracker.models`): every item links to a public page, and neither contacts nor oversight
recipients (who need not be editors) are told of an import still being checked. The oversight
digest says only how many reports wait to be published, with the link to them in the admin; its
count of drafts awaiting review counts every draft, as the review queue does.
"""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from tracker.as_of import with_headline_response
from tracker.jobs.digest_opt_out import opt_out_url
from tracker.jobs.emails import (
    Outgoing,
    SendResult,
    absolute_url,
    iso_week_key,
    make_message,
    render_part,
    send_once,
)
from tracker.jobs.lead_digest import leads_for_oversight
from tracker.models import (
    Contact,
    Deadline,
    EmailLog,
    Organisation,
    Ownership,
    Recommendation,
    RecommendationQuerySet,
    Report,
    StatusUpdate,
)
from tracker.response_clocks import response_late_words

# The lists in a digest are the same for every contact of an organisation (and for every oversight
# contact): they are rendered once, from these templates, and put in each contact's e-mail.
SHARED_LISTS = {"digest": "_digest_lists", "oversight_digest": "_oversight_lists"}
WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(value: str) -> datetime.date:
    """The Monday of an ISO week written `YYYY-Www`; ValueError with a clear message otherwise."""
    match = WEEK_PATTERN.match(value.strip())
    if not match:
        raise ValueError(f"Give the week as YYYY-Www, for example 2026-W02, not {value!r}.")
    try:
        return datetime.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValueError(f"{value!r} is not a week of that year.") from None


def week_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def scheduled_weekday() -> int:
    """The first day of the week (0 = Monday) the schedule sends the digest on
    (`WEEKLY_DIGEST_CRON`, whose day-of-week field counts from 0 = Sunday)."""
    schedule = settings.CELERY_BEAT_SCHEDULE["send-weekly-digests"]["schedule"]
    return min((day - 1) % 7 for day in schedule.day_of_week)


def send_day(week_start: datetime.date, today: datetime.date | None = None) -> datetime.date:
    """The day a week's digest states its facts as of: today for this week (the day it is sent);
    for an earlier week sent late, the day of that week the schedule sends on."""
    today = today or timezone.localdate()
    if week_start <= today < week_start + datetime.timedelta(days=7):
        return today
    return week_start + datetime.timedelta(days=scheduled_weekday())


@dataclass(frozen=True)
class OverdueItem:
    recommendation: Recommendation
    stated_as: str
    due_date: datetime.date
    days_overdue: int
    url: str


@dataclass(frozen=True)
class ResponseLate:
    """A recommendation whose lead owner has not answered, or not decided, by the date due."""

    recommendation: Recommendation
    words: str  # what is late, since when, and by which rule (`response_late_words`)
    late_since: datetime.date
    url: str


@dataclass(frozen=True)
class ComingDue:
    recommendation: Recommendation
    stated_as: str
    due_date: datetime.date
    url: str


@dataclass
class WeekFacts:
    """Everything the week's digests say, gathered in a constant number of queries."""

    on: datetime.date
    overdue: dict[int, list[OverdueItem]] = field(default_factory=dict)
    coming: dict[int, list[ComingDue]] = field(default_factory=dict)
    organisations: dict[int, Organisation] = field(default_factory=dict)
    silent: list[Recommendation] = field(default_factory=list)
    # For oversight: each overdue recommendation once, with its owners, most overdue first.
    overdue_once: list[tuple[OverdueItem, list[Organisation]]] = field(default_factory=list)
    drafts_awaiting: int = 0  # drafts waiting for an editor's review
    drafts_from_contacts: int = 0  # of which entered by owners' contacts
    reports_unpublished: int = 0  # reports kept off the public pages (a count, never their names)
    leads: dict = field(default_factory=dict)  # for editors: leads waiting, failing feeds
    # For oversight: not checked for new developments for CHECK_EVERY_DAYS, longest first.
    unchecked: list[Recommendation] = field(default_factory=list)
    # Response late, longest first: per lead owner, and (for oversight) each once with its lead.
    response_late: dict[int, list[ResponseLate]] = field(default_factory=dict)
    response_late_once: list[tuple[ResponseLate, Organisation | None]] = field(default_factory=list)


def gather(on: datetime.date) -> WeekFacts:
    facts = WeekFacts(on=on)
    recommendations = {
        rec.pk: rec
        for rec in Recommendation.objects.public()
        .with_timeliness(on)
        .filter(is_overdue=True)
        .with_latest_update()
        .select_related("report")
    }
    first_overdue = {}
    for deadline in Deadline.objects.public().overdue(on).order_by("due_date", "pk"):
        first_overdue.setdefault(deadline.recommendation_id, deadline)
    coming = list(
        Deadline.objects.public()
        .open()
        .filter(due_date__gte=on, due_date__lte=on + lookahead())
        .select_related("recommendation__report")
        .order_by("due_date", "pk")
    )
    owners = defaultdict(list)
    leads = {}
    for ownership in Ownership.objects.public().select_related("organisation"):
        owners[ownership.recommendation_id].append(ownership.organisation)
        facts.organisations[ownership.organisation_id] = ownership.organisation
        if ownership.role == Ownership.Role.LEAD:
            leads[ownership.recommendation_id] = ownership.organisation

    overdue = defaultdict(list)
    for pk, rec in recommendations.items():
        deadline = first_overdue[pk]
        item = OverdueItem(
            recommendation=rec,
            stated_as=deadline.stated_as,
            due_date=deadline.due_date,
            days_overdue=(on - deadline.due_date).days,
            url=absolute_url(rec.get_absolute_url()),
        )
        for organisation in owners[pk]:
            overdue[organisation.pk].append(item)
    for items in overdue.values():
        items.sort(key=worst_first)
    facts.overdue = dict(overdue)
    once = {item.recommendation.pk: item for items in overdue.values() for item in items}
    facts.overdue_once = [
        (item, owners[item.recommendation.pk]) for item in sorted(once.values(), key=worst_first)
    ]
    facts.drafts_awaiting, facts.drafts_from_contacts = drafts_awaiting_review()
    facts.reports_unpublished = Report.objects.unpublished().count()

    upcoming = defaultdict(list)
    for deadline in coming:
        rec = deadline.recommendation
        item = ComingDue(
            rec, deadline.stated_as, deadline.due_date, absolute_url(rec.get_absolute_url())
        )
        for organisation in owners[rec.pk]:
            upcoming[organisation.pk].append(item)
    facts.coming = dict(upcoming)
    facts.silent = list(
        Recommendation.objects.public().silent(on, settings.SILENCE_DAYS).select_related("report")
    )
    facts.leads = leads_for_oversight()
    facts.unchecked = list(unchecked_recommendations(on))
    response_late = defaultdict(list)
    for rec in responses_late(on):
        item = ResponseLate(
            rec,
            response_late_words(rec, on),
            rec.response_late_since,
            absolute_url(rec.get_absolute_url()),
        )
        lead = leads.get(rec.pk)
        facts.response_late_once.append((item, lead))
        if lead is not None:
            response_late[lead.pk].append(item)
    facts.response_late = dict(response_late)
    return facts


def responses_late(on: datetime.date) -> RecommendationQuerySet:
    """Recommendations response late on `on` (`tracker.response_clocks`), longest late first:
    the stored clock on the day of sending, computed for an earlier day."""
    day = None if on >= timezone.localdate() else on
    recommendations = Recommendation.objects.public().filter(report__published_on__lte=on)
    return (
        with_headline_response(recommendations, day)
        .filter(is_response_late=True)
        .select_related("report")
        .order_by("response_late_since", "report__slug", "number")
    )


def unchecked_recommendations(on: datetime.date) -> RecommendationQuerySet:
    """Recommendations nobody has checked for new developments in `CHECK_EVERY_DAYS` days before
    `on` (never checked first, then the longest unchecked): the tracker's own freshness."""
    stale_before = on - datetime.timedelta(days=settings.CHECK_EVERY_DAYS)
    return (
        Recommendation.objects.public()
        .with_last_checked(on)
        .filter(Q(last_checked_on__isnull=True) | Q(last_checked_on__lt=stale_before))
        .select_related("report")
        .order_by(F("last_checked_on").asc(nulls_first=True), "report__slug", "number")
    )


def worst_first(item: OverdueItem) -> tuple:
    return (-item.days_overdue, item.recommendation.report.slug, item.recommendation.number)


def drafts_awaiting_review() -> tuple[int, int]:
    """(drafts in the editors' review queue, of which entered by owners' contacts), one query."""
    by_contact = Exists(Contact.objects.filter(user_id=OuterRef("entered_by_id")))
    counts = StatusUpdate.objects.drafts().aggregate(
        total=Count("pk"), from_contacts=Count("pk", filter=Q(by_contact))
    )
    return counts["total"], counts["from_contacts"]


def sends_real_email() -> bool:
    """True unless e-mails are written to files or kept in memory (local use and tests)."""
    return settings.EMAIL_BACKEND.endswith("smtp.EmailBackend")


def lookahead() -> datetime.timedelta:
    return datetime.timedelta(days=settings.DIGEST_LOOKAHEAD_DAYS)


def _context(facts: WeekFacts, contact: Contact, week: str) -> dict:
    return {
        "contact": contact,
        # Contacts with a login can draft an update for an editor to publish.
        "draft_url": absolute_url(reverse("admin:tracker_statusupdate_add"))
        if contact.user_id
        else "",
        "editors_email": settings.TRACKER_EDITORS_EMAIL,
        "week": week,
        "on": facts.on,
        "lookahead_days": settings.DIGEST_LOOKAHEAD_DAYS,
        "silence_days": settings.SILENCE_DAYS,
        "methodology_url": absolute_url(reverse("methodology")),
    }


def plan_digests(week_start: datetime.date) -> list[Outgoing]:
    """The week's digests: who gets which e-mail. Nothing is recorded or sent here."""
    facts = gather(send_day(week_start))
    week = iso_week_key(week_start)
    contacts = Contact.objects.filter(receives_digest=True).select_related("organisation")
    if sends_real_email():
        contacts = contacts.filter(is_demo=False)  # fictional contacts are never e-mailed
    outgoing = []
    rendered = {}  # the shared lists, rendered when the first e-mail that needs them is built
    for contact in contacts.order_by("pk"):
        context = _context(facts, contact, week)
        if contact.is_oversight:
            kind = EmailLog.Kind.OVERSIGHT_DIGEST
            context |= {
                "overdue_once": facts.overdue_once,
                "silent": facts.silent,
                "unchecked": facts.unchecked,
                "check_every_days": settings.CHECK_EVERY_DAYS,
                "drafts_awaiting": facts.drafts_awaiting,
                "drafts_from_contacts": facts.drafts_from_contacts,
                "review_url": absolute_url(reverse("admin:tracker_statusupdate_changelist"))
                + "?review=awaiting",
                "reports_unpublished": facts.reports_unpublished,
                "unpublished_reports_url": absolute_url(reverse("admin:tracker_report_changelist"))
                + "?is_published__exact=0",
                **facts.leads,
            }
            has_leads = facts.leads["lead_groups"] or facts.leads["failing_feeds"]
            context["response_late_once"] = facts.response_late_once
            has_news = (
                facts.overdue_once
                or facts.response_late_once
                or has_leads
                or facts.drafts_awaiting
                or facts.unchecked
                or facts.reports_unpublished
            )
            name = "oversight_digest" if has_news else "digest_empty"
        else:
            kind = EmailLog.Kind.DIGEST
            overdue = facts.overdue.get(contact.organisation_id, [])
            coming = facts.coming.get(contact.organisation_id, [])
            late = facts.response_late.get(contact.organisation_id, [])
            context |= {
                "organisation": contact.organisation,
                "overdue": overdue,
                "coming": coming,
                "response_late": late,
            }
            name = "digest" if overdue or coming or late else "digest_empty"
        if name == "digest_empty" and not contact.wants_empty_digest:
            continue
        outgoing.append(
            Outgoing(
                address=contact.email,
                kind=kind,
                period_key=week,
                contact_id=contact.pk,
                build=_builder(name, contact, context, rendered),
            )
        )
    return outgoing


def _builder(name: str, contact: Contact, context: dict, rendered: dict):
    def build():
        message_context = context
        if name in SHARED_LISTS:
            key = (name, contact.organisation_id if name == "digest" else None)
            if key not in rendered:
                rendered[key] = _render_lists(SHARED_LISTS[name], context)
            message_context = context | rendered[key]
        return make_message(
            name,
            contact.email,
            message_context,
            unsubscribe_url=opt_out_url(contact),
            reply_to=settings.TRACKER_EDITORS_EMAIL or None,
        )

    return build


def _render_lists(template: str, context: dict) -> dict:
    shared = {key: value for key, value in context.items() if key != "contact"}
    return {
        "lists_text": render_part(f"{template}.txt", shared),
        "lists_html": render_part(f"{template}.html", shared),
    }


def send_weekly_digests(week_start: datetime.date) -> SendResult:
    return send_once(plan_digests(week_start))
