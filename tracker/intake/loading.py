"""Report files: one inquiry report per YAML file, checked whole, then loaded without overwriting.

A file holds `report`, `organisations` and `recommendations` (with their owners, responses,
deadlines and status updates). `read_report_file` parses and checks it and raises
`ReportFileError` listing every problem with the file, the recommendation number and the field.
`load_report_files` checks every file first and then loads them in one transaction: it creates
what is missing and never changes or deletes what is already in the database, so an editor's
corrections survive a second run. Status updates are published through the ledger, so each
recommendation's headline status is computed, never read from the file.
"""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone
from pydantic import BaseModel, ValidationError

from tracker.intake.merging import made_by_a_file, merge, remember
from tracker.intake.report_schema import (
    FORMAT_VERSION,
    V1_NAMES,
    CheckData,
    DeadlineData,
    OrganisationData,
    RecommendationData,
    ReportData,
    SourceData,
    UpdateData,
    rule_problems,
    upgrade_v1,
)
from tracker.models import (
    Check,
    Deadline,
    Organisation,
    Ownership,
    Recommendation,
    Report,
    Response,
    ShippedValues,
    Source,
    StatusUpdate,
)
from tracker.updates import publish_update


@dataclass
class ReportFile:
    source: str
    report: ReportData
    organisations: list[OrganisationData]
    recommendations: list[RecommendationData]
    sources: list[SourceData] = field(default_factory=list)
    format_version: int = FORMAT_VERSION


class ReportFileError(Exception):
    """A report file cannot be loaded; `problems` says where and why, one line each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


# --- Reading and checking ------------------------------------------------------------------------

TOP_LEVEL_KEYS = ("format_version", "sources", "report", "organisations", "recommendations")
REQUIRED_KEYS = ("report", "organisations", "recommendations")
READABLE_VERSIONS = (1, FORMAT_VERSION)


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
    """Check an already-parsed document (a dict) and return it typed (as version 2)."""
    if not isinstance(raw, dict):
        raise ReportFileError(
            [f"{source}: expected a YAML mapping with {', '.join(REQUIRED_KEYS)}"]
        )
    version = raw.get("format_version", 1)
    if version not in READABLE_VERSIONS:
        raise ReportFileError(
            [
                f"{source}: format_version: {version!r} is not a version this tracker reads "
                f"({', '.join(map(str, READABLE_VERSIONS))})"
            ]
        )
    try:
        parsed = _parse_current(upgrade_v1(raw) if version == 1 else raw, source)
    except ReportFileError as error:
        if version != 1:
            raise
        raise ReportFileError([_v1_wording(problem) for problem in error.problems]) from None
    parsed.format_version = version
    return parsed


def _v1_wording(problem: str) -> str:
    problem = problem.replace("report.source:", "report.url:")
    for current, old in V1_NAMES.items():
        problem = problem.replace(current, old)
    return problem


def _parse_current(raw: dict, source: str) -> ReportFile:
    problems: list[str] = [
        f"{source}: {key}: not a known section (expected {', '.join(TOP_LEVEL_KEYS)})"
        for key in raw
        if key not in TOP_LEVEL_KEYS
    ]
    sources = [
        _validate(SourceData, item, source, f"sources[{i}]", problems)
        for i, item in enumerate(raw.get("sources") or [])
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
        sources=[s for s in sources if s is not None],
    )
    problems += rule_problems(parsed, raw_count=len(recommendations))
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


# --- Loading -------------------------------------------------------------------------------------

COUNTED = (
    "recommendations",
    "owners",
    "responses",
    "deadlines",
    "updates",
    "organisations",
    "checks",
    "sources",
)


@dataclass
class LoadSummary:
    """What one file held, how much of it was new to the database and how much was brought up to
    date."""

    source: str
    short_name: str
    report_created: bool = False
    in_file: Counter = field(default_factory=Counter)
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def count(self, kind: str, created: bool, updated: bool = False) -> None:
        self.in_file[kind] += 1
        self.created[kind] += created
        self.updated[kind] += bool(updated)

    def __str__(self) -> str:
        counts = "; ".join(
            f"{self.in_file[kind]} {kind}, {self.created[kind]} new"
            + (f", {self.updated[kind]} brought up to date" if self.updated[kind] else "")
            for kind in COUNTED
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
    """Create what is missing from one checked file and bring what a file loaded before up to
    date, keeping every value an editor changed. Published updates are only ever added."""
    summary = LoadSummary(source=data.source, short_name=data.report.short_name)
    with transaction.atomic():
        sources = {s.url: _source(s, summary) for s in data.sources}
        organisations = {o.slug: _organisation(o, data.source, summary) for o in data.organisations}
        values = data.report.model_dump(exclude={"slug", "source", "alternative_names"})
        values["source"] = sources[data.report.source]
        values["alternative_names"] = "\n".join(data.report.alternative_names)
        report = Report.objects.filter(slug=data.report.slug).first()
        summary.report_created = report is None
        if report is None:
            # A shipped report is published when first loaded (a CSV import is not: it waits
            # for an editor). Reloading never publishes or withdraws it: that is the editors'.
            report = Report.objects.create(slug=data.report.slug, is_published=True, **values)
            remember(report, values)
        else:
            merge(report, values)
        for rec_data in data.recommendations:
            _load_recommendation(report, rec_data, organisations, sources, summary)
    return summary


def _source(data: SourceData, summary: LoadSummary) -> Source:
    values = data.model_dump(exclude={"url"})
    existing = Source.objects.filter(url=data.url).first()
    if existing is None:
        created = Source.objects.create(url=data.url, **values)
        remember(created, values)
        summary.count("sources", True)
        return created
    summary.count("sources", False, merge(existing, values))
    return existing


def _organisation(data: OrganisationData, source: str, summary: LoadSummary) -> Organisation:
    existing = Organisation.objects.filter(slug=data.slug).first()
    clash = Organisation.objects.filter(name=data.name).exclude(slug=data.slug).exists()
    if existing is None and clash:
        raise ReportFileError(
            [
                f"{source}: organisation '{data.slug}': the name '{data.name}' already belongs to "
                "another organisation in the database; use its slug"
            ]
        )
    values = data.model_dump(exclude={"slug"})
    if existing is None:
        created = Organisation.objects.create(slug=data.slug, **values)
        remember(created, values)
        summary.count("organisations", True)
        return created
    if clash:
        values.pop("name")
    summary.count("organisations", False, merge(existing, values))
    return existing


WORDING = ("text", "text_kind", "text_source")


def _load_recommendation(report, data: RecommendationData, organisations, sources, summary):
    values = data.model_dump(
        include={"title", "title_is_official", "text", "text_kind", "text_note"}
        | {"plain_summary", "editors_note"}
    )
    values["text_source"] = sources.get(data.text_source)
    values["watch_terms"] = "\n".join(data.watch_terms)
    values["watch_exclude"] = "\n".join(data.watch_exclude)
    recommendation = Recommendation.objects.filter(report=report, number=data.number).first()
    if recommendation is None:
        recommendation = Recommendation.objects.create(report=report, number=data.number, **values)
        remember(recommendation, values)
        summary.count("recommendations", True)
    else:
        changed = merge(recommendation, values, together=(WORDING,))
        if not recommendation.watch_terms and data.watch_terms:
            # Terms shipped after the recommendation was first loaded; an editor's own are kept.
            recommendation.watch_terms = values["watch_terms"]
            recommendation.save(update_fields=["watch_terms", "updated_at"])
            changed.append("watch_terms")
        summary.count("recommendations", False, changed)
    label = f"{summary.short_name} {data.number}"

    _owners(recommendation, data, organisations, sources, summary, label)
    for response in data.responses:
        _response(recommendation, response, organisations, sources, summary)
    by_key: dict[str, Deadline] = {}
    for deadline in data.deadlines:
        by_key[deadline.key] = _deadline(
            recommendation, deadline, organisations, sources, by_key, summary
        )
    for update in data.updates:
        _update(recommendation, update, organisations, sources, summary)
    for check in data.checks:
        _check(recommendation, check, summary)


def _owners(recommendation, data, organisations, sources, summary, label) -> None:
    # Supporting owners first, so that a lead the file moves elsewhere is stood down before the
    # new lead is set (one lead per recommendation is a database rule).
    ordered = sorted(data.owners, key=lambda owner: owner.role == Ownership.Role.LEAD)
    for owner in ordered:
        organisation = organisations[owner.organisation]
        values = owner.model_dump(exclude={"organisation", "source"})
        values["source"] = sources.get(owner.source)
        existing = recommendation.ownerships.filter(organisation=organisation).first()
        other_lead = (
            recommendation.ownerships.filter(role=Ownership.Role.LEAD)
            .exclude(organisation=organisation)
            .exists()
        )
        if owner.role == Ownership.Role.LEAD and other_lead:
            _stand_down_shipped_lead(recommendation, organisation)
            other_lead = (
                recommendation.ownerships.filter(role=Ownership.Role.LEAD)
                .exclude(organisation=organisation)
                .exists()
            )
        if owner.role == Ownership.Role.LEAD and other_lead:
            summary.notes.append(
                f"{label}: kept the lead owner set in the database; "
                f"'{owner.organisation}' was not made lead"
            )
            values.pop("role")
            if existing is None:
                summary.count("owners", False)
                continue
        if existing is None:
            created = Ownership.objects.create(
                recommendation=recommendation, organisation=organisation, **values
            )
            remember(created, {**values, "role": owner.role})
            summary.count("owners", True)
        else:
            summary.count("owners", False, merge(existing, values))


def _stand_down_shipped_lead(recommendation, new_lead: Organisation) -> None:
    """A lead that a file set, and no editor changed, becomes supporting when a newer file names
    another lead."""
    for ownership in recommendation.ownerships.filter(role=Ownership.Role.LEAD).exclude(
        organisation=new_lead
    ):
        merge(ownership, {"role": Ownership.Role.SUPPORTING})


def _response(recommendation, data, organisations, sources, summary) -> None:
    organisation = organisations[data.organisation]
    values = data.model_dump(exclude={"organisation", "source"})
    values["source"] = sources.get(data.source)
    same_day = recommendation.responses.filter(
        organisation=organisation, responded_on=data.responded_on
    )
    existing = same_day.filter(kind=data.kind).first() or (
        same_day.first() if same_day.count() == 1 else None
    )
    if existing is None:
        created = Response.objects.create(
            recommendation=recommendation, organisation=organisation, **values
        )
        remember(created, values)
        summary.count("responses", True)
    else:
        summary.count("responses", False, merge(existing, values))


# What a deadline promised, by when: never rewritten. A date that moved, or that an earlier file
# misread, is a new deadline that supersedes the old one. The commitment (what was promised, in the
# words of the source or a labelled summary) is brought up to date like any other shipped text.
DEADLINE_FIXED = ("stated_as", "precision", "due_date")


def _deadline(recommendation, data: DeadlineData, organisations, sources, by_key, summary):
    values = data.model_dump(
        exclude={"key", "organisation", "supersedes", "source", "missed_source"}
    )
    values["organisation"] = organisations.get(data.organisation)
    values["source"] = sources[data.source]
    values["missed_source"] = sources.get(data.missed_source)
    changeable = {k: v for k, v in values.items() if k not in DEADLINE_FIXED}
    existing = _shipped_deadline(recommendation, data)
    if existing is not None:
        if any(getattr(existing, name) != values[name] for name in DEADLINE_FIXED):
            summary.notes.append(
                f"{summary.short_name} {recommendation.number}: the deadline '{data.key}' gives "
                f"another date than the database's '{existing.stated_as}' "
                f"({existing.due_date:%-d %B %Y}); a deadline's date is never rewritten: add a "
                "deadline that supersedes it"
            )
        summary.count("deadlines", False, merge(existing, changeable))
        if made_by_a_file(existing):
            remember(existing, {**changeable, "key": data.key})
        return existing
    summary.count("deadlines", True)
    supersedes = by_key.get(data.supersedes) if data.supersedes else None
    if supersedes is not None and Deadline.objects.filter(supersedes=supersedes).exists():
        summary.notes.append(
            f"{summary.short_name} {recommendation.number}: the deadline "
            f"'{supersedes.stated_as}' is already replaced in the database; "
            f"'{data.stated_as}' was added without replacing it"
        )
        supersedes = None
    created = Deadline.objects.create(
        recommendation=recommendation, supersedes=supersedes, **values
    )
    remember(created, {**changeable, "key": data.key})
    return created


def _shipped_deadline(recommendation, data: DeadlineData) -> Deadline | None:
    """The deadline a file loaded before for this entry: the one remembered under its key; else
    (loaded before keys were remembered) the one with the same words and commitment; else the
    only one a file made with the same stated words, precision and due date (its commitment was
    reworded since)."""
    deadlines = recommendation.deadlines.all()
    remembered = ShippedValues.objects.filter(
        model=Deadline._meta.label_lower,
        object_id__in=deadlines.values("pk"),
        values__key=data.key,
    ).values_list("object_id", flat=True)
    if remembered:
        return deadlines.filter(pk__in=list(remembered)).first()
    same_words = deadlines.filter(stated_as=data.stated_as, commitment=data.commitment).first()
    if same_words is not None:
        return same_words
    same_date = [
        deadline
        for deadline in deadlines.filter(
            stated_as=data.stated_as, precision=data.precision, due_date=data.due_date
        )
        if made_by_a_file(deadline)
    ]
    return same_date[0] if len(same_date) == 1 else None


def _update(recommendation, data: UpdateData, organisations, sources, summary) -> None:
    organisation = organisations.get(data.organisation)
    # An update is known by its owner part, date, source and words: a correction of a shipped
    # update (same date and source, new words) is a new update that names the one it corrects.
    exists = recommendation.updates.filter(
        organisation=organisation,
        describes_on=data.describes_on,
        source__url=data.source,
        summary=data.summary,
    ).exists()
    summary.count("updates", not exists)
    if exists:
        return
    corrects = None
    if data.corrects is not None:
        corrects = (
            recommendation.updates.published()
            .filter(
                organisation=organisations.get(data.corrects.organisation),
                describes_on=data.corrects.describes_on,
                source__url=data.corrects.source,
            )
            .order_by("pk")
            .first()
        )
    update = StatusUpdate.objects.create(
        recommendation=recommendation,
        organisation=organisation,
        source=sources[data.source],
        corrects=corrects,
        **data.model_dump(exclude={"organisation", "source", "corrects"}),
    )
    publish_update(update, by=None, at=timezone.now())


def _check(recommendation, data: CheckData, summary) -> None:
    _, created = Check.objects.get_or_create(
        recommendation=recommendation,
        checked_on=data.checked_on,
        checked_by_name=data.checked_by_name,
        defaults={"outcome": data.outcome, "note": data.note},
    )
    summary.count("checks", created)
