"""Open deadlines and response dates as an iCalendar feed people can subscribe to:
`/deadlines.ics`.

One all-day event per open deadline (neither met, withdrawn nor superseded) of a published report,
on its due date, then one per running response clock (`tracker.response_clocks`: a response not
yet given, or a decision promised by a date and not yet made) on the date it is due, each with a
UID that stays the same for as long as the deadline or the clock does, so calendars update it in
place.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from icalendar import Calendar, Event

from tracker.as_of import with_headline_response
from tracker.models import Deadline, Recommendation, Report, Response, ResponseKind
from tracker.periods import describe_due
from tracker.response_clocks import ONE_DAY, response_rule_words

REFRESH = datetime.timedelta(hours=12)
CALENDAR_END = b"END:VCALENDAR\r\n"
FOLD_OCTETS = 74  # icalendar folds lines longer than this (RFC 5545: 75 octets with the break)


def open_deadlines(on: datetime.date) -> QuerySet[Deadline]:
    overdue = Deadline.objects.overdue(on).values("pk")
    return (
        Deadline.objects.public()
        .open()
        .select_related("recommendation__report", "organisation", "source")
        .annotate(is_overdue=ExpressionWrapper(Q(pk__in=overdue), BooleanField()))
        .order_by("due_date", "pk")
    )


def response_clocks() -> QuerySet[Recommendation]:
    """Recommendations whose response, or promised decision, is still awaited (from the stored
    clock), by the date it is due, with the headline response (what is awaited) and the latest
    change that can move the event (`clock_changed_at`)."""
    responses = Response.objects.filter(recommendation=OuterRef("pk")).order_by("-updated_at")
    return (
        with_headline_response(
            Recommendation.objects.public().filter(response_late_from__isnull=False)
        )
        .annotate(
            clock_changed_at=Greatest(
                "updated_at",
                "report__updated_at",
                Coalesce(Subquery(responses.values("updated_at")[:1]), "updated_at"),
            )
        )
        .select_related("report")
        .order_by("response_late_from", "pk")
    )


def host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def event_uid(deadline: Deadline) -> str:
    return f"deadline-{deadline.pk}@{host()}"


def event_description(deadline: Deadline, as_of: datetime.date) -> str:
    recommendation = deadline.recommendation
    heading = f"{recommendation.report.short_name} {recommendation.number}"
    if recommendation.title:
        heading = f"{heading}: {recommendation.title}"
    lines = [
        heading,
        f"Promised: {deadline.commitment}",
        f"Stated as: “{deadline.stated_as}”, "
        f"due {describe_due(deadline.due_date, deadline.precision)}.",
    ]
    if deadline.organisation_id:
        lines.append(f"Promised by: {deadline.organisation.name}.")
    if deadline.promised_on:
        lines.append(f"Promised on: {deadline.promised_on:%-d %B %Y}.")
    if deadline.is_overdue and deadline.missed_on and deadline.missed_on <= as_of:
        lines.append(f"Missed: a source said so on {deadline.missed_on:%-d %B %Y}.")
    elif deadline.is_overdue:
        lines.append(
            "Past due with no report of delivery: the due date has passed, and no source "
            "recorded here says it was met or replaced."
        )
    lines.append(f"{deadline.source.credit(reported=True)}, {deadline.source.url}")
    lines.append(f"Generated on {as_of:%-d %B %Y}.")
    return "\n".join(lines)


def deadline_event(deadline: Deadline, request, as_of: datetime.date) -> Event:
    recommendation = deadline.recommendation
    event = Event()
    event.add("uid", event_uid(deadline))
    event.add("dtstamp", deadline.updated_at)
    event.add("last-modified", deadline.updated_at)
    event.add("dtstart", deadline.due_date)
    event.add("dtend", deadline.due_date + datetime.timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    event.add(
        "summary",
        f"{recommendation.report.short_name} {recommendation.number}: "
        f"{deadline.commitment} ({deadline.stated_as})",
    )
    event.add("url", request.build_absolute_uri(recommendation.get_absolute_url()))
    event.add("description", event_description(deadline, as_of))
    return event


def response_event(recommendation: Recommendation, request, as_of: datetime.date) -> Event:
    """An all-day event on the date a response, or a promised decision, is due."""
    report = recommendation.report
    due = recommendation.response_late_from - ONE_DAY
    undecided = recommendation.headline_response == ResponseKind.UNDER_CONSIDERATION
    label = f"{report.short_name} {recommendation.number}"
    heading = f"{label}: {recommendation.title}" if recommendation.title else label
    if undecided:
        lines = [heading, f"Under consideration; a decision was promised by {due:%-d %B %Y}."]
    else:
        lines = [
            heading,
            f"No response recorded; one is due by {due:%-d %B %Y} ({response_rule_words(report)}).",
        ]
    if recommendation.response_late_from <= as_of:
        lines.append(f"Late since {recommendation.response_late_from:%-d %B %Y}.")
    if not undecided and report.response_due_on and report.response_due_source_id:
        source = report.response_due_source
        lines.append(f"{source.credit(reported=True)}, {source.url}")
    lines.append(f"Generated on {as_of:%-d %B %Y}.")
    event = Event()
    event.add("uid", f"response-{recommendation.pk}@{host()}")
    event.add("dtstamp", recommendation.clock_changed_at)
    event.add("last-modified", recommendation.clock_changed_at)
    event.add("dtstart", due)
    event.add("dtend", due + ONE_DAY)
    event.add("transp", "TRANSPARENT")
    event.add("summary", f"{label}: {'decision' if undecided else 'response'} due")
    event.add("url", request.build_absolute_uri(recommendation.get_absolute_url()))
    event.add("description", "\n".join(lines))
    return event


def response_event_ical(recommendation: Recommendation, request, as_of: datetime.date) -> bytes:
    return lines_ical(response_event(recommendation, request, as_of).content_lines())


def build_calendar(name: str, deadlines, clocks, request, as_of: datetime.date) -> bytes:
    events = [event_ical(d, request, as_of) for d in deadlines]
    events += [response_event_ical(r, request, as_of) for r in clocks]
    return calendar_ical(name, events, as_of)


def calendar_ical(name: str, events: Iterable[bytes], as_of: datetime.date) -> bytes:
    """The calendar holding these events (each from `event_ical`), as `Calendar.to_ical` writes
    it: its own lines, the events' lines, then its end. An event is written once however many
    calendars hold it (the published view writes every report's as well as the whole one)."""
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.SITE_NAME}//Deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    description = (
        "Open deadlines (promises neither met, withdrawn nor replaced by a later date), then the "
        "dates by which responses, or promised decisions, are due and not yet given. "
        f"Generated on {as_of:%-d %B %Y}."
    )
    calendar.add("description", description)
    calendar.add("x-wr-caldesc", description)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT12H")
    head = lines_ical(calendar.content_lines())
    if not head.endswith(CALENDAR_END):
        raise ValueError("An iCalendar calendar ends with END:VCALENDAR.")
    return head[: -len(CALENDAR_END)] + b"".join(events) + CALENDAR_END


def event_ical(deadline: Deadline, request, as_of: datetime.date) -> bytes:
    return lines_ical(deadline_event(deadline, request, as_of).content_lines())


def lines_ical(lines: Iterable[str]) -> bytes:
    """As `Contentlines.to_ical`: each line folded, CRLF after each. A line of at most
    FOLD_OCTETS octets is left as it is, and is not handed to the (slow) folding."""
    return b"".join(
        (line.encode() if len(line) <= FOLD_OCTETS and line.isascii() else line.to_ical()) + b"\r\n"
        for line in lines
        if line
    )


def calendar_response(body: bytes, as_of: datetime.date, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Data-As-Of"] = as_of.isoformat()
    response["Access-Control-Allow-Origin"] = "*"
    return response


def refuse_query(request) -> HttpResponseBadRequest | None:
    if request.GET:
        return HttpResponseBadRequest(
            f"Unknown query parameter: {', '.join(sorted(request.GET))}. This calendar takes none.",
            content_type="text/plain; charset=utf-8",
        )
    return None


def site_calendar_name() -> str:
    return f"{settings.SITE_NAME}: open deadlines and response dates"


def report_calendar_name(report: Report) -> str:
    return f"{report.short_name}: open deadlines and response dates"


def deadlines_calendar(request) -> HttpResponse:
    if refused := refuse_query(request):
        return refused
    today = timezone.localdate()
    body = build_calendar(
        site_calendar_name(), open_deadlines(today), response_clocks(), request, today
    )
    return calendar_response(body, today, "deadlines.ics")


def report_deadlines_calendar(request, slug: str) -> HttpResponse:
    if refused := refuse_query(request):
        return refused
    report = get_object_or_404(Report.objects.public(), slug=slug)
    today = timezone.localdate()
    deadlines = open_deadlines(today).filter(recommendation__report=report)
    clocks = response_clocks().filter(report=report)
    body = build_calendar(report_calendar_name(report), deadlines, clocks, request, today)
    return calendar_response(body, today, f"{report.slug}-deadlines.ics")
