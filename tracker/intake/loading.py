"""Report files: one inquiry report per YAML file, checked whole, then loaded without overwriting.

A file holds `report`, `organisations` and `recommendations` (with their owners, responses,
deadlines and status updates). `read_report_file` parses and checks it and raises
`ReportFileError` listing every problem with the file, the recommendation number and the field.
`load_report_files` checks every file first and then loads them in one transaction: it creates
what is missing and never changes or deletes what is already in the database, so an editor's
corrections survive a second run. Status updates are published through the ledger, so each
recommendation's headline status is computed, never read from the file.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import yaml
from django.db import transaction
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
    ValidationError,
)

from tracker.models import (
    Deadline,
    ImplementationStatus,
    Organisation,
    Ownership,
    Recommendation,
    Report,
    Response,
    ResponseKind,
    StatusUpdate,
    plain_summary_problem,
)
from tracker.periods import Precision, end_of_period
from tracker.updates import publish_update

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


class ReportData(_Section):
    slug: Slug
    title: RequiredText300
    short_name: RequiredText80
    chair: Text200 = ""
    published_on: Day
    url: Url
    government_response_on: Day | None = None
    government_response_url: OptionalUrl = ""
    summary: Text = ""
    # Other names the report goes by, for the site search ("Jay report").
    alternative_names: list[Text200] = []


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


class ResponseData(_Section):
    organisation: Slug
    kind: ResponseKind
    kind_is_official: StrictBool = False
    responded_on: Day | None = None
    summary: Text = ""
    source_url: OptionalUrl = ""
    source_title: Text300 = ""


class DeadlineData(_Section):
    key: RequiredText80
    organisation: Slug | None = None
    commitment: RequiredText
    stated_as: RequiredText200
    precision: Precision
    due_date: Day
    promised_on: Day | None = None
    source_url: Url
    source_title: Text300 = ""
    supersedes: Text80 | None = None
    met_on: Day | None = None
    withdrawn_on: Day | None = None
    change_reason: Text = ""


class UpdateData(_Section):
    describes_on: Day
    organisation: Slug | None = None
    status: ImplementationStatus
    summary: RequiredText
    account: StatusUpdate.Account
    reason: StatusUpdate.Reason = StatusUpdate.Reason.NONE
    reason_detail: Text = ""
    source_url: Url  # loaded updates are published, and a published update needs its source
    source_title: Text300 = ""


class RecommendationData(_Section):
    number: Annotated[StrictInt, Field(ge=1, le=32767)]
    title: Text300 = ""
    title_is_official: StrictBool = False
    text: Text = ""
    text_kind: Recommendation.TextKind
    text_source_url: OptionalUrl = ""
    text_note: Text = ""
    plain_summary: PlainSummary = ""
    # Words and phrases that identify news about it, for the watch job (not factual claims).
    watch_terms: list[WatchTerm] = []
    watch_exclude: list[WatchTerm] = []
    owners: list[OwnerData]
    responses: list[ResponseData] = []
    deadlines: list[DeadlineData] = []
    updates: list[UpdateData] = []


@dataclass
class ReportFile:
    source: str
    report: ReportData
    organisations: list[OrganisationData]
    recommendations: list[RecommendationData]


class ReportFileError(Exception):
    """A report file cannot be loaded; `problems` says where and why, one line each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


# --- Reading and checking ------------------------------------------------------------------------

TOP_LEVEL_KEYS = ("report", "organisations", "recommendations")


def read_report_file(path: Path) -> ReportFile:
    """Parse and check one file; raise ReportFileError naming every problem."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportFileError([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ReportFileError([f"{path}: cannot be read ({error})"]) from None
    except yaml.YAMLError as error:
        raise ReportFileError([f"{path}: not valid YAML: {error}"]) from None
    return parse_report(raw, source=str(path))


def parse_report(raw: Any, source: str) -> ReportFile:
    """Check an already-parsed document (a dict) and return it typed."""
    if not isinstance(raw, dict):
        raise ReportFileError(
            [f"{source}: expected a YAML mapping with {', '.join(TOP_LEVEL_KEYS)}"]
        )
    problems: list[str] = [
        f"{source}: {key}: not a known section (expected {', '.join(TOP_LEVEL_KEYS)})"
        for key in raw
        if key not in TOP_LEVEL_KEYS
    ]
    report = _validate(ReportData, raw.get("report"), source, "report", problems)
    organisations = [
        _validate(OrganisationData, item, source, f"organisations[{i}]", problems)
        for i, item in enumerate(_as_list(raw, "organisations", source, problems))
    ]
    recommendations = []
    for i, item in enumerate(_as_list(raw, "recommendations", source, problems)):
        number = item.get("number") if isinstance(item, dict) else None
        where = f"recommendation {number}" if isinstance(number, int) else f"recommendations[{i}]"
        recommendations.append(_validate(RecommendationData, item, source, where, problems))
    parsed = ReportFile(
        source=source,
        report=report,
        organisations=[o for o in organisations if o is not None],
        recommendations=[r for r in recommendations if r is not None],
    )
    problems += _rule_problems(parsed, raw_count=len(recommendations))
    if problems:
        raise ReportFileError(problems)
    return parsed


def _as_list(raw: dict, key: str, source: str, problems: list[str]) -> list:
    value = raw.get(key)
    if isinstance(value, list) and value:
        return value
    problems.append(f"{source}: {key}: give a non-empty list")
    return []


def _validate(schema: type[BaseModel], item: Any, source: str, where: str, problems: list[str]):
    try:
        return schema.model_validate(item)
    except ValidationError as error:
        for detail in error.errors():
            path = _field_path(detail["loc"])
            separator = ", " if where.startswith("recommendation ") else "."
            location = f"{where}{separator}{path}" if path else where
            problems.append(f"{source}: {location}: {detail['msg']}")
        return None


def _field_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _rule_problems(parsed: ReportFile, raw_count: int) -> list[str]:
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
        for where, message in _recommendation_problems(recommendation, set(slugs)):
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
            if not response.source_url:
                yield f"responses[{i}].source_url", "a response given needs its source"
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
        identity = (update.organisation, update.describes_on, update.source_url)
        if identity in seen_updates:
            yield f"updates[{i}]", "the same organisation, date and source is listed twice"
        seen_updates.add(identity)


# --- Loading -------------------------------------------------------------------------------------

COUNTED = ("recommendations", "owners", "responses", "deadlines", "updates", "organisations")


@dataclass
class LoadSummary:
    """What one file held and how much of it was new to the database."""

    source: str
    short_name: str
    report_created: bool = False
    in_file: Counter = field(default_factory=Counter)
    created: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def count(self, kind: str, created: bool) -> None:
        self.in_file[kind] += 1
        self.created[kind] += created

    def __str__(self) -> str:
        counts = "; ".join(
            f"{self.in_file[kind]} {kind}, {self.created[kind]} new" for kind in COUNTED
        )
        state = "new report" if self.report_created else "report already loaded"
        return f"{self.short_name} ({state}): {counts}."


def load_report_files(paths: list[Path]) -> list[LoadSummary]:
    """Check every file, then load them all in one transaction; nothing is written on error."""
    parsed, problems = [], []
    for path in paths:
        try:
            parsed.append(read_report_file(path))
        except ReportFileError as error:
            problems += error.problems
    if problems:
        raise ReportFileError(problems)
    with transaction.atomic():
        return [load_report(report_file) for report_file in parsed]


def load_report(data: ReportFile) -> LoadSummary:
    """Create what is missing from one checked file; leave every existing row as it is."""
    summary = LoadSummary(source=data.source, short_name=data.report.short_name)
    with transaction.atomic():
        organisations = {o.slug: _organisation(o, data.source, summary) for o in data.organisations}
        defaults = data.report.model_dump(exclude={"slug", "alternative_names"})
        defaults["alternative_names"] = "\n".join(data.report.alternative_names)
        report, summary.report_created = Report.objects.get_or_create(
            slug=data.report.slug, defaults=defaults
        )
        for rec_data in data.recommendations:
            _load_recommendation(report, rec_data, organisations, summary)
    return summary


def _organisation(data: OrganisationData, source: str, summary: LoadSummary) -> Organisation:
    existing = Organisation.objects.filter(slug=data.slug).first()
    if existing is None and Organisation.objects.filter(name=data.name).exists():
        raise ReportFileError(
            [
                f"{source}: organisation '{data.slug}': the name '{data.name}' already belongs to "
                "another organisation in the database; use its slug"
            ]
        )
    summary.count("organisations", existing is None)
    return existing or Organisation.objects.create(**data.model_dump())


def _watch_lists(data: RecommendationData) -> dict[str, str]:
    return {
        "watch_terms": "\n".join(data.watch_terms),
        "watch_exclude": "\n".join(data.watch_exclude),
    }


def _load_recommendation(report, data: RecommendationData, organisations, summary) -> None:
    recommendation, created = Recommendation.objects.get_or_create(
        report=report,
        number=data.number,
        defaults=data.model_dump(
            include={
                "title",
                "title_is_official",
                "text",
                "text_kind",
                "text_source_url",
                "text_note",
                "plain_summary",
            }
        )
        | _watch_lists(data),
    )
    if not created and not recommendation.watch_terms and data.watch_terms:
        # Terms shipped after the recommendation was first loaded; an editor's own are kept.
        Recommendation.objects.filter(pk=recommendation.pk).update(**_watch_lists(data))
    summary.count("recommendations", created)
    label = f"{summary.short_name} {data.number}"

    has_lead = recommendation.ownerships.leads().exists()
    for owner in data.owners:
        organisation = organisations[owner.organisation]
        exists = recommendation.ownerships.filter(organisation=organisation).exists()
        if not exists and owner.role == Ownership.Role.LEAD and has_lead:
            summary.notes.append(
                f"{label}: kept the lead owner set in the database; "
                f"'{owner.organisation}' was not added"
            )
            summary.count("owners", False)
            continue
        if not exists:
            Ownership.objects.create(
                recommendation=recommendation,
                organisation=organisation,
                **owner.model_dump(exclude={"organisation"}),
            )
        summary.count("owners", not exists)

    for response in data.responses:
        _, created = Response.objects.get_or_create(
            recommendation=recommendation,
            organisation=organisations[response.organisation],
            responded_on=response.responded_on,
            kind=response.kind,
            defaults=response.model_dump(exclude={"organisation", "responded_on", "kind"}),
        )
        summary.count("responses", created)

    by_key: dict[str, Deadline] = {}
    for deadline in data.deadlines:
        by_key[deadline.key] = _deadline(recommendation, deadline, organisations, by_key, summary)

    for update in data.updates:
        _update(recommendation, update, organisations, summary)


def _deadline(recommendation, data: DeadlineData, organisations, by_key, summary) -> Deadline:
    existing = recommendation.deadlines.filter(
        stated_as=data.stated_as, commitment=data.commitment
    ).first()
    summary.count("deadlines", existing is None)
    if existing is not None:
        return existing
    supersedes = by_key.get(data.supersedes) if data.supersedes else None
    if supersedes is not None and Deadline.objects.filter(supersedes=supersedes).exists():
        summary.notes.append(
            f"{summary.short_name} {recommendation.number}: the deadline "
            f"'{supersedes.stated_as}' is already replaced in the database; "
            f"'{data.stated_as}' was added without replacing it"
        )
        supersedes = None
    return Deadline.objects.create(
        recommendation=recommendation,
        organisation=organisations.get(data.organisation),
        supersedes=supersedes,
        **data.model_dump(exclude={"key", "organisation", "supersedes"}),
    )


def _update(recommendation, data: UpdateData, organisations, summary) -> None:
    organisation = organisations.get(data.organisation)
    exists = recommendation.updates.filter(
        organisation=organisation, describes_on=data.describes_on, source_url=data.source_url
    ).exists()
    summary.count("updates", not exists)
    if exists:
        return
    update = StatusUpdate.objects.create(
        recommendation=recommendation,
        organisation=organisation,
        **data.model_dump(exclude={"organisation"}),
    )
    publish_update(update, by=None, at=timezone.now())
