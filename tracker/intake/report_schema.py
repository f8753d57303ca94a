"""The report file format: its fields, its cross-field rules, and the upgrade from version 1.

Version 2 (current) lists the cited documents once, under a top-level `sources:`, and records name
their source by its address (`source:`, `text_source:`). Version 1 (files without
`format_version`) gave each record its own `source_url` and `source_title`; `upgrade_v1` turns
such a file into version 2, guessing each source's kind and publisher from its address.
"""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Annotated, Any
from urllib.parse import urlsplit

from django.utils import timezone
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)

from tracker.citations import classify
from tracker.models import (
    Check,
    ImplementationStatus,
    Organisation,
    Ownership,
    Recommendation,
    Response,
    ResponseKind,
    Source,
    StatusUpdate,
    plain_summary_problem,
)
from tracker.periods import Precision, end_of_period

FORMAT_VERSION = 2

# --- Field types ---------------------------------------------------------------------------------


def _iso_date(value: Any) -> Any:
    """A calendar day, written YYYY-MM-DD; never a timestamp or a number."""
    if isinstance(value, datetime.datetime):
        raise ValueError("give a date (YYYY-MM-DD) without a time")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("give a date as YYYY-MM-DD")


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ValueError("give a full http:// or https:// address")
    return value


def _http_url_or_blank(value: str) -> str:
    return _http_url(value) if value else value


def _text(max_length: int | None = None, required: bool = False) -> Any:
    constraints = StringConstraints(
        strip_whitespace=True, max_length=max_length, min_length=1 if required else None
    )
    return Annotated[str, constraints]


Text = _text()
RequiredText = _text(required=True)
Text80 = _text(80)
Text200 = _text(200)
Text300 = _text(300)
RequiredText80 = _text(80, required=True)
RequiredText200 = _text(200, required=True)
RequiredText300 = _text(300, required=True)
Day = Annotated[datetime.date, BeforeValidator(_iso_date)]
WatchTerm = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200, strict=True)
]
Slug = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80, strict=True)
]
Url = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=500), AfterValidator(_http_url)
]
OptionalUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=500),
    AfterValidator(_http_url_or_blank),
]


def _plain_summary(value: str) -> str:
    if problem := plain_summary_problem(value):
        raise ValueError(f"the plain summary is {problem}")
    return value


PlainSummary = Annotated[
    str, StringConstraints(strip_whitespace=True), AfterValidator(_plain_summary)
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- Sections ------------------------------------------------------------------------------------


class SourceData(_Section):
    url: Url
    title: RequiredText300
    publisher: RequiredText200
    published_on: Day | None = None
    kind: Source.Kind
    archive_url: OptionalUrl = ""
    last_seen_on: Day | None = None
    editors_note: Text = ""


class ReportData(_Section):
    slug: Slug
    title: RequiredText300
    short_name: RequiredText80
    chair: Text200 = ""
    published_on: Day
    source: Url
    government_response_on: Day | None = None
    government_response_url: OptionalUrl = ""
    summary: Text = ""
    # Other names the report goes by, for the site search ("Jay report").
    alternative_names: list[Text200] = []
    editors_note: Text = ""


class OrganisationData(_Section):
    slug: Slug
    name: RequiredText200
    kind: Organisation.Kind
    url: OptionalUrl = ""


class OwnerData(_Section):
    organisation: Slug
    role: Ownership.Role
    basis: Ownership.Basis = Ownership.Basis.STATED
    scope: Text200 = ""
    note: Text = ""
    source: Url | None = None


class ResponseData(_Section):
    organisation: Slug
    kind: ResponseKind
    kind_is_official: StrictBool = False
    responded_on: Day | None = None
    summary: Text = ""
    quote: Text = ""
    source: Url | None = None
    decision_due_on: Day | None = None
    editors_note: Text = ""


class DeadlineData(_Section):
    key: RequiredText80
    organisation: Slug | None = None
    commitment: RequiredText
    stated_as: RequiredText200
    precision: Precision
    due_date: Day
    promised_on: Day | None = None
    source: Url
    supersedes: Text80 | None = None
    met_on: Day | None = None
    withdrawn_on: Day | None = None
    change_reason: Text = ""
    missed_on: Day | None = None
    missed_source: Url | None = None
    editors_note: Text = ""


class UpdateRef(_Section):
    """Names an update loaded from an earlier file: its date, source and owner part."""

    describes_on: Day
    source: Url
    organisation: Slug | None = None


class UpdateData(_Section):
    describes_on: Day
    organisation: Slug | None = None
    status: ImplementationStatus
    summary: RequiredText
    account: StatusUpdate.Account
    account_by: Text200 = ""
    reason: StatusUpdate.Reason = StatusUpdate.Reason.NONE
    reason_detail: Text = ""
    source: Url  # loaded updates are published, and a published update needs its source
    corrects: UpdateRef | None = None
    editors_note: Text = ""


class CheckData(_Section):
    checked_on: Day
    checked_by_name: RequiredText200
    outcome: Check.Outcome
    note: Text = ""


class RecommendationData(_Section):
    number: Annotated[StrictInt, Field(ge=1, le=32767)]
    title: Text300 = ""
    title_is_official: StrictBool = False
    text: Text = ""
    text_kind: Recommendation.TextKind
    text_source: Url | None = None
    text_note: Text = ""
    plain_summary: PlainSummary = ""
    # Words and phrases that identify news about it, for the watch job (not factual claims).
    watch_terms: list[WatchTerm] = []
    watch_exclude: list[WatchTerm] = []
    editors_note: Text = ""
    owners: list[OwnerData]
    responses: list[ResponseData] = []
    deadlines: list[DeadlineData] = []
    updates: list[UpdateData] = []
    checks: list[CheckData] = []


# --- Version 1 -----------------------------------------------------------------------------------

# Version 1's field names, by version 2's, for messages about a version 1 file.
V1_NAMES = {".source:": ".source_url:", "text_source:": "text_source_url:"}


def upgrade_v1(raw: dict) -> dict:
    """A version 1 document as version 2: addresses become `sources:` entries. Values are moved,
    not checked; checking the result names any bad value."""
    sources: dict[str, dict] = {}

    def cite(item: dict, url_key: str, title_key: str | None, new_key: str, title: str = ""):
        if not isinstance(item, dict) or url_key not in item:
            return
        url = item.pop(url_key)
        title = (item.pop(title_key, "") if title_key else "") or title
        if url in ("", None):
            return
        item[new_key] = url
        if not _is_http(url):
            return
        if url not in sources:
            kind, publisher = classify(url)
            sources[url] = {"url": url, "title": title or url, "publisher": publisher, "kind": kind}
        elif title and sources[url]["title"] == url:
            sources[url]["title"] = title

    upgraded = dict(raw)
    report = upgraded.get("report")
    if isinstance(report, dict):
        report = dict(report)
        cite(report, "url", None, "source", title=str(report.get("title") or ""))
        upgraded["report"] = report
    recommendations = []
    for item in upgraded.get("recommendations") or []:
        if not isinstance(item, dict):
            recommendations.append(item)
            continue
        rec = dict(item)
        cite(rec, "text_source_url", None, "text_source")
        for section in ("responses", "deadlines", "updates"):
            rows = rec.get(section)
            if isinstance(rows, list):
                rec[section] = [dict(row) if isinstance(row, dict) else row for row in rows]
                for row in rec[section]:
                    cite(row, "source_url", "source_title", "source")
        recommendations.append(rec)
    if "recommendations" in upgraded:
        upgraded["recommendations"] = recommendations
    upgraded["sources"] = list(sources.values())
    upgraded["format_version"] = FORMAT_VERSION
    return upgraded


def _is_http(value: Any) -> bool:
    try:
        return isinstance(value, str) and bool(_http_url(value.strip()))
    except ValueError:
        return False


# --- Rules across fields --------------------------------------------------------------------


def rule_problems(parsed, raw_count: int) -> list[str]:
    """Rules that span fields: references, numbering, one lead, periods, duplicates."""
    problems: list[str] = []
    source = parsed.source

    def problem(where: str, message: str) -> None:
        problems.append(f"{source}: {where}: {message}")

    slugs = Counter(o.slug for o in parsed.organisations)
    names = Counter(o.name for o in parsed.organisations)
    for i, organisation in enumerate(parsed.organisations):
        if slugs[organisation.slug] > 1:
            problem(f"organisations[{i}].slug", f"'{organisation.slug}' is listed more than once")
        if names[organisation.name] > 1:
            problem(f"organisations[{i}].name", f"'{organisation.name}' is listed more than once")

    urls = Counter(s.url for s in parsed.sources)
    for i, cited in enumerate(parsed.sources):
        if urls[cited.url] > 1:
            problem(f"sources[{i}].url", f"'{cited.url}' is listed more than once")
    if parsed.report is not None and parsed.report.source not in urls:
        problem("report.source", f"'{parsed.report.source}' is not in sources")

    numbers = Counter(r.number for r in parsed.recommendations)
    if len(parsed.recommendations) == raw_count and raw_count:
        expected = set(range(1, raw_count + 1))
        missing = sorted(expected - set(numbers))
        repeated = sorted(n for n, count in numbers.items() if count > 1)
        if missing or repeated:
            detail = "; ".join(
                part
                for part in (
                    f"missing {', '.join(map(str, missing))}" if missing else "",
                    f"repeated {', '.join(map(str, repeated))}" if repeated else "",
                )
                if part
            )
            problem("recommendations", f"numbers must run from 1 to {raw_count} ({detail})")

    for recommendation in parsed.recommendations:
        found = _recommendation_problems(recommendation, set(slugs))
        found = [*found, *_unlisted_sources(recommendation, set(urls))]
        for where, message in found:
            problem(f"recommendation {recommendation.number}, {where}", message)
    return problems


def _recommendation_problems(rec: RecommendationData, known: set[str]):
    def unknown_organisation(slug: str | None) -> bool:
        return slug is not None and slug not in known

    if not Recommendation.wording_matches_kind(rec.text_kind, rec.text):
        if rec.text_kind == Recommendation.TextKind.UNKNOWN:
            yield "text", "must be empty when text_kind is unknown"
        else:
            yield "text", f"give the wording, or set text_kind to unknown (it is {rec.text_kind})"

    leads = sum(owner.role == Ownership.Role.LEAD for owner in rec.owners)
    if leads != 1:
        yield "owners", f"exactly one owner must have role lead (found {leads})"
    seen_owners: set[str] = set()
    for i, owner in enumerate(rec.owners):
        if unknown_organisation(owner.organisation):
            yield f"owners[{i}].organisation", f"'{owner.organisation}' is not in organisations"
        if owner.organisation in seen_owners:
            yield f"owners[{i}].organisation", f"'{owner.organisation}' is listed twice"
        seen_owners.add(owner.organisation)

    seen_responses: set[tuple] = set()
    for i, response in enumerate(rec.responses):
        if unknown_organisation(response.organisation):
            yield (
                f"responses[{i}].organisation",
                f"'{response.organisation}' is not in organisations",
            )
        if Response.needs_date_and_source(response.kind):
            if response.responded_on is None:
                yield f"responses[{i}].responded_on", "a response given needs its date"
            if not response.source:
                yield f"responses[{i}].source", "a response given needs its source"
        if response.quote and not response.source:
            yield f"responses[{i}].source", "a quotation needs the source whose page carries it"
        identity = (response.organisation, response.responded_on, response.kind)
        if identity in seen_responses:
            yield f"responses[{i}]", "the same organisation, date and kind is listed twice"
        seen_responses.add(identity)

    keys: set[str] = set()
    superseded: set[str] = set()
    seen_deadlines: set[tuple] = set()
    for i, deadline in enumerate(rec.deadlines):
        if unknown_organisation(deadline.organisation):
            yield (
                f"deadlines[{i}].organisation",
                f"'{deadline.organisation}' is not in organisations",
            )
        expected = end_of_period(deadline.due_date, deadline.precision)
        if expected != deadline.due_date:
            yield (
                f"deadlines[{i}].due_date",
                f"a deadline stated by {deadline.precision} falls due on the last day of that "
                f"period: {expected.isoformat()}, not {deadline.due_date.isoformat()}",
            )
        if deadline.key in keys:
            yield f"deadlines[{i}].key", f"'{deadline.key}' is used twice"
        if deadline.supersedes is not None:
            if deadline.supersedes not in keys:
                yield (
                    f"deadlines[{i}].supersedes",
                    f"'{deadline.supersedes}' is not the key of an earlier deadline of this "
                    "recommendation",
                )
            elif deadline.supersedes in superseded:
                yield f"deadlines[{i}].supersedes", f"'{deadline.supersedes}' is already replaced"
            superseded.add(deadline.supersedes)
        keys.add(deadline.key)
        for name, words in (("met_on", "met"), ("withdrawn_on", "dropped")):
            day = getattr(deadline, name)
            if day and deadline.promised_on and day < deadline.promised_on:
                yield (
                    f"deadlines[{i}].{name}",
                    f"a promise cannot be {words} before it was made: {day.isoformat()} is "
                    f"before promised_on {deadline.promised_on.isoformat()}",
                )
        identity = (deadline.stated_as, deadline.commitment)
        if identity in seen_deadlines:
            yield f"deadlines[{i}]", "the same commitment and stated date is listed twice"
        seen_deadlines.add(identity)

    seen_updates: set[tuple] = set()
    for i, update in enumerate(rec.updates):
        if unknown_organisation(update.organisation):
            yield f"updates[{i}].organisation", f"'{update.organisation}' is not in organisations"
        if update.organisation is not None and update.organisation not in seen_owners:
            yield (
                f"updates[{i}].organisation",
                f"'{update.organisation}' does not own this recommendation: name one of its "
                "owners, or leave it out for the whole recommendation",
            )
        if update.describes_on > timezone.localdate():
            yield (
                f"updates[{i}].describes_on",
                f"{update.describes_on.isoformat()} is after today: an update describes what "
                "has happened",
            )
        if StatusUpdate.needs_reason(update.status, update.reason):
            yield f"updates[{i}].reason", "say why it is not being implemented"
        identity = (update.organisation, update.describes_on, update.source, update.summary)
        if identity in seen_updates:
            yield f"updates[{i}]", "the same organisation, date, source and summary is listed twice"
        seen_updates.add(identity)


def _unlisted_sources(rec, listed: set[str]):
    """Every address a record cites must be one of the file's `sources`."""
    cited = [("text_source", rec.text_source)]
    for section in ("owners", "responses", "deadlines", "updates"):
        for i, row in enumerate(getattr(rec, section)):
            cited.append((f"{section}[{i}].source", row.source))
            if section == "deadlines":
                cited.append((f"{section}[{i}].missed_source", row.missed_source))
    for where, url in cited:
        if url and url not in listed:
            yield where, f"'{url}' is not in sources"
