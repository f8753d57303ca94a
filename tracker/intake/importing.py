"""Import a whole new inquiry from one CSV file: read, check every row, then write in one go.

The import is create-only. It adds a report (or new recommendations to an existing report),
their owners and the owners' responses; it never changes what is already in the tracker, so an
editor's work is never silently overwritten. A file with any bad row is refused whole, with one
message per problem, and nothing is written.

A new report is written **unpublished** (`Report.is_published` False): nothing of it reaches the
public until an editor has checked it and published it (the report list's action "Publish
selected reports", `tracker.reports`), so a wrong import can be put right, or withdrawn, before
anyone sees it. Recommendations added to an existing report take that report's state: public at
once in a published report (the import never unpublishes it), hidden in an unpublished one.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from tracker.citations import source_for
from tracker.intake.csv_rows import (
    COLUMNS,
    OPTIONAL_COLUMNS,
    SOURCE_COLUMNS,
    ImportRefused,
    RowError,
    decode,
    read_rows,
)
from tracker.models import (
    Organisation,
    Ownership,
    Recommendation,
    Report,
    Response,
    ResponseKind,
    Source,
    plain_summary_problem,
)

# The import's interface; the file's columns and its reading live in `csv_rows`.
__all__ = [
    "COLUMNS",
    "COLUMN_GUIDE",
    "OPTIONAL_COLUMNS",
    "ImportPlan",
    "ImportRefused",
    "RowError",
    "decode",
    "import_inquiry",
    "plan_import",
]

SOURCE_KINDS = tuple(Source.Kind.values)
# What each column holds, as the import page shows it beside the template (docs/data-formats.md).
COLUMN_GUIDE = (
    (
        "report_slug",
        "yes",
        "The report's web name (letters, digits, -, _). Every row of a report repeats the same "
        "slug, title and date.",
    ),
    ("report_title", "yes", "The report's title."),
    ("report_published", "yes", "Publication date, YYYY-MM-DD."),
    ("number", "yes", "Whole number from 1, unique within the report."),
    ("title", "yes", "A short title."),
    ("text", "no", "The wording; empty means the wording is not yet known."),
    ("text_is_verbatim", "when text is given", "yes: the official wording; no: a summary."),
    (
        "lead_owner",
        "when there is a response or a supporting owner",
        "The lead owner's organisation name.",
    ),
    ("supporting_owners", "no", "Other owners' names separated by ;."),
    ("response", "no", "The lead owner's response: " + ", ".join(ResponseKind.values) + "."),
    ("response_date", "unless response is empty or awaiting", "YYYY-MM-DD."),
    (
        "response_source_url",
        "unless response is empty or awaiting",
        "Must start with http:// or https://.",
    ),
    (
        "report_short_name",
        "no (optional column)",
        "The report's short name; otherwise the title, cut to 80 characters.",
    ),
    (
        "plain_summary",
        "no (optional column)",
        "What the recommendation asks for, in plain words: about 40 words at most.",
    ),
    ("watch_terms", "no (optional column)", "Words and phrases for the watch job, separated by ;."),
    (
        "watch_exclude",
        "no (optional column)",
        "Words and phrases the watch job ignores, separated by ;.",
    ),
    *(
        (
            column,
            "no (optional column)",
            f"The response's source, when new to the tracker: its {what}.",
        )
        for column, what in (
            ("response_source_title", "title"),
            ("response_source_publisher", "publisher"),
            ("response_source_date", "date, YYYY-MM-DD"),
            ("response_source_kind", "kind (" + ", ".join(SOURCE_KINDS) + ")"),
        )
    ),
)

RESPONSE_VALUES = tuple(ResponseKind.values)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
HTTP_URL = URLValidator(schemes=["http", "https"])
MAX_NUMBER = 32767  # PositiveSmallIntegerField


@dataclass
class PlannedOrganisation:
    name: str
    slug: str
    existing: Organisation | None = None
    instance: Organisation | None = None  # set when written: the existing or the new one

    @property
    def is_new(self) -> bool:
        return self.existing is None


@dataclass
class PlannedRecommendation:
    row: int
    number: int
    title: str
    text: str
    text_kind: str
    lead: PlannedOrganisation | None
    supporting: list[PlannedOrganisation]
    response: str
    response_date: datetime.date | None
    response_source_url: str
    plain_summary: str = ""
    watch_terms: str = ""
    watch_exclude: str = ""
    response_source: dict = field(default_factory=dict)

    @property
    def text_kind_label(self) -> str:
        return Recommendation.TextKind(self.text_kind).label

    @property
    def response_label(self) -> str:
        return ResponseKind(self.response).label if self.response else ""


@dataclass
class PlannedReport:
    slug: str
    title: str
    short_name: str
    published_on: datetime.date
    existing: Report | None = None
    recommendations: list[PlannedRecommendation] = field(default_factory=list)
    instance: Report | None = None  # set when written: the existing or the new one

    @property
    def is_new(self) -> bool:
        return self.existing is None

    @property
    def is_public(self) -> bool:
        """Whether what the import adds to this report is public at once: only when it goes into
        an existing, published report. A new report is written unpublished."""
        return self.existing is not None and self.existing.is_published


@dataclass
class ImportPlan:
    """What an import will create (or, once written, did create), or why it is refused."""

    reports: list[PlannedReport] = field(default_factory=list)
    organisations: list[PlannedOrganisation] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    written: bool = False

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def recommendations(self) -> list[PlannedRecommendation]:
        return [rec for report in self.reports for rec in report.recommendations]

    @property
    def new_reports(self) -> list[PlannedReport]:
        return [report for report in self.reports if report.is_new]

    @property
    def new_organisations(self) -> list[PlannedOrganisation]:
        return [org for org in self.organisations if org.is_new]

    @property
    def ownership_count(self) -> int:
        return sum((1 if rec.lead else 0) + len(rec.supporting) for rec in self.recommendations)

    @property
    def response_count(self) -> int:
        return sum(1 for rec in self.recommendations if rec.response)

    def summary_lines(self) -> list[str]:
        """A plain account of the plan, for the command's output."""
        lines = []
        for report in self.reports:
            if report.is_new:
                state = "new report, not published until an editor publishes it"
            elif report.is_public:
                state = "existing report, published: what is added is public at once"
            else:
                state = "existing report, not published"
            lines.append(f"Report {report.slug}: {report.title} ({state})")
            for rec in report.recommendations:
                owners = [f"{rec.lead.name} (lead)"] if rec.lead else []
                owners += [org.name for org in rec.supporting]
                line = f"  recommendation {rec.number}: {rec.title} [{rec.text_kind}]"
                if owners:
                    line += f"; owners: {', '.join(owners)}"
                if rec.response:
                    line += f"; response: {rec.response}"
                lines.append(line)
        for org in self.new_organisations:
            lines.append(f"New organisation: {org.name} ({org.slug})")
        lines.append(
            f"{len(self.new_reports)} report(s), {len(self.recommendations)} recommendation(s), "
            f"{len(self.new_organisations)} organisation(s), {self.ownership_count} ownership(s) "
            f"and {self.response_count} response(s)."
        )
        return lines


# --- Checking every row --------------------------------------------------------------------------


class _Planner:
    """Builds an ImportPlan from the rows, collecting every problem rather than stopping."""

    def __init__(self) -> None:
        self.plan = ImportPlan()
        self.errors = self.plan.errors
        self.reports: dict[str, tuple[int, PlannedReport]] = {}
        self.numbers: dict[tuple[str, int], int] = {}
        self.organisations: dict[str, PlannedOrganisation] = {}
        self.taken_slugs: set[str] = set()
        self.existing_numbers: dict[str, set[int]] = {}

    def error(self, row: int, column: str | None, message: str) -> None:
        self.errors.append(RowError(row, column, message))

    def run(self, rows: list[tuple[int, dict[str, str]]]) -> ImportPlan:
        for row_number, row in rows:
            report = self.report_for(row_number, row)
            recommendation = self.recommendation_for(row_number, row, report)
            if report is not None and recommendation is not None:
                report.recommendations.append(recommendation)
        return self.plan

    # Reports

    def report_for(self, row_number: int, row: dict[str, str]) -> PlannedReport | None:
        slug = row["report_slug"]
        if not slug:
            self.error(row_number, "report_slug", "empty; give the report's short web name")
            return None
        if slug in self.reports:
            first_row, report = self.reports[slug]
            self.check_same_report(row_number, row, first_row, report)
            return report
        report = self.new_planned_report(row_number, row)
        if report is not None:
            self.reports[slug] = (row_number, report)
            self.plan.reports.append(report)
        return report

    def new_planned_report(self, row_number: int, row: dict[str, str]) -> PlannedReport | None:
        slug, title = row["report_slug"], row["report_title"]
        ok = True
        try:
            validate_slug(slug)
        except ValidationError:
            self.error(
                row_number,
                "report_slug",
                f'"{slug}" is not a valid slug (use letters, numbers, hyphens and underscores)',
            )
            ok = False
        if len(slug) > 80:
            self.error(row_number, "report_slug", "longer than 80 characters")
            ok = False
        for column, value in (
            ("report_title", title),
            ("report_short_name", row.get("report_short_name", "")),
        ):
            if looks_like_formula(value):
                self.error(row_number, column, formula_message(value))
                ok = False
        if not title:
            self.error(row_number, "report_title", "empty; give the report's title")
            ok = False
        elif len(title) > 300:
            self.error(row_number, "report_title", "longer than 300 characters")
            ok = False
        published_on = self.date(row_number, row, "report_published", required=True)
        short_name = row.get("report_short_name", "") or title[:80].rstrip()
        if len(short_name) > 80:
            self.error(row_number, "report_short_name", "longer than 80 characters")
            ok = False
        if not ok or published_on is None:
            return None

        existing = Report.objects.filter(slug=slug).first()
        if existing is not None:
            if existing.title != title:
                self.error(
                    row_number,
                    "report_title",
                    f'report "{slug}" already exists with the title "{existing.title}"',
                )
            if existing.published_on != published_on:
                self.error(
                    row_number,
                    "report_published",
                    f'report "{slug}" already exists, published on '
                    f"{existing.published_on:%Y-%m-%d}",
                )
            self.existing_numbers[slug] = set(
                existing.recommendations.values_list("number", flat=True)
            )
        return PlannedReport(slug, title, short_name, published_on, existing=existing)

    def check_same_report(
        self, row_number: int, row: dict[str, str], first_row: int, report: PlannedReport
    ) -> None:
        values = {
            "report_title": report.title,
            "report_published": f"{report.published_on:%Y-%m-%d}",
        }
        if row.get("report_short_name"):
            values["report_short_name"] = report.short_name
        for column, expected in values.items():
            if row[column] != expected:
                self.error(
                    row_number,
                    column,
                    f'"{row[column]}" differs from "{expected}" on row {first_row} '
                    f'for the same report "{report.slug}"',
                )

    # Recommendations

    def recommendation_for(
        self, row_number: int, row: dict[str, str], report: PlannedReport | None
    ) -> PlannedRecommendation | None:
        errors_before = len(self.errors)
        number = self.number(row_number, row, report)
        title = row["title"]
        if not title:
            self.error(row_number, "title", "empty; give the recommendation a short title")
        elif len(title) > 300:
            self.error(row_number, "title", "longer than 300 characters")
        text_kind = self.text_kind(row_number, row)
        plain_summary = row.get("plain_summary", "")
        problem = plain_summary_problem(plain_summary)
        if problem:
            self.error(row_number, "plain_summary", problem)
        watch_terms = self.watch_list(row_number, row, "watch_terms")
        watch_exclude = self.watch_list(row_number, row, "watch_exclude")
        lead, supporting = self.owners(row_number, row)
        response, response_date, response_url = self.response(row_number, row, lead)
        response_source = self.source_details(row_number, row, response_url)
        if len(self.errors) > errors_before or number is None:
            return None
        return PlannedRecommendation(
            row=row_number,
            number=number,
            title=title,
            text=row["text"],
            text_kind=text_kind,
            lead=lead,
            supporting=supporting,
            response=response,
            response_date=response_date,
            response_source_url=response_url,
            plain_summary=plain_summary,
            watch_terms=watch_terms,
            watch_exclude=watch_exclude,
            response_source=response_source,
        )

    def watch_list(self, row_number: int, row: dict[str, str], column: str) -> str:
        terms = [t.strip() for t in re.split(r"[;\n]", row.get(column, "")) if t.strip()]
        if any(len(term) > 200 for term in terms):
            self.error(row_number, column, "a term is longer than 200 characters")
        return "\n".join(terms)

    def number(
        self, row_number: int, row: dict[str, str], report: PlannedReport | None
    ) -> int | None:
        raw = row["number"]
        if not raw:
            self.error(row_number, "number", "empty; give the recommendation's number")
            return None
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_NUMBER:
            self.error(
                row_number, "number", f'"{raw}" is not a whole number from 1 to {MAX_NUMBER}'
            )
            return None
        number = int(raw)
        slug = row["report_slug"]
        key = (slug, number)
        if key in self.numbers:
            self.error(
                row_number,
                "number",
                f"duplicate number {number} (already used on row {self.numbers[key]} "
                f'for report "{slug}")',
            )
            return None
        self.numbers[key] = row_number
        if report is not None and number in self.existing_numbers.get(slug, set()):
            self.error(
                row_number,
                "number",
                f'recommendation {number} already exists in report "{slug}"; the import only '
                "adds new recommendations (change existing ones in the admin)",
            )
            return None
        return number

    def text_kind(self, row_number: int, row: dict[str, str]) -> str:
        verbatim = row["text_is_verbatim"].lower()
        if verbatim not in {"", "yes", "no"}:
            self.error(
                row_number,
                "text_is_verbatim",
                f'unknown value "{row["text_is_verbatim"]}" (expected yes or no)',
            )
            return Recommendation.TextKind.UNKNOWN
        if not row["text"]:
            if verbatim == "yes":
                self.error(
                    row_number,
                    "text_is_verbatim",
                    '"yes" but the text is empty; leave it empty or say "no" when the wording is '
                    "not known",
                )
            return Recommendation.TextKind.UNKNOWN
        if not verbatim:
            self.error(
                row_number,
                "text_is_verbatim",
                'empty; say "yes" when the text is the official wording, "no" when it is a summary',
            )
            return Recommendation.TextKind.UNKNOWN
        return (
            Recommendation.TextKind.VERBATIM
            if verbatim == "yes"
            else Recommendation.TextKind.SUMMARY
        )

    # Owners and responses

    def owners(
        self, row_number: int, row: dict[str, str]
    ) -> tuple[PlannedOrganisation | None, list[PlannedOrganisation]]:
        lead_name = row["lead_owner"]
        supporting_names = [name.strip() for name in row["supporting_owners"].split(";")]
        supporting_names = [name for name in supporting_names if name]
        if not lead_name and supporting_names:
            self.error(row_number, "lead_owner", "empty, but supporting owners are given")
        lead = self.organisation(row_number, "lead_owner", lead_name) if lead_name else None
        supporting: list[PlannedOrganisation] = []
        for name in supporting_names:
            org = self.organisation(row_number, "supporting_owners", name)
            if org is None:
                continue
            if org is lead:
                self.error(row_number, "supporting_owners", f'"{name}" is already the lead owner')
            elif org in supporting:
                self.error(row_number, "supporting_owners", f'"{name}" is listed twice')
            else:
                supporting.append(org)
        return lead, supporting

    def organisation(self, row_number: int, column: str, name: str) -> PlannedOrganisation | None:
        if looks_like_formula(name):
            self.error(row_number, column, formula_message(name))
            return None
        if len(name) > 200:
            self.error(row_number, column, f'"{name[:40]}…" is longer than 200 characters')
            return None
        key = name.casefold()
        if key in self.organisations:
            return self.organisations[key]
        existing = (
            Organisation.objects.filter(name__iexact=name).first()
            or Organisation.objects.filter(slug=name).first()
        )
        if existing is not None:
            planned = PlannedOrganisation(existing.name, existing.slug, existing=existing)
        else:
            planned = PlannedOrganisation(name, self.unique_slug(name))
        self.organisations[key] = planned
        self.plan.organisations.append(planned)
        return planned

    def unique_slug(self, name: str) -> str:
        base = slugify(name)[:72].strip("-") or "organisation"
        slug, suffix = base, 2
        while slug in self.taken_slugs or Organisation.objects.filter(slug=slug).exists():
            slug, suffix = f"{base}-{suffix}", suffix + 1
        self.taken_slugs.add(slug)
        return slug

    def response(
        self, row_number: int, row: dict[str, str], lead: PlannedOrganisation | None
    ) -> tuple[str, datetime.date | None, str]:
        raw = row["response"]
        kind = raw.lower().replace(" ", "_").replace("-", "_")
        response_date = self.date(row_number, row, "response_date", required=False)
        url = row["response_source_url"]
        if url:
            try:
                HTTP_URL(url)
            except ValidationError:
                self.error(
                    row_number,
                    "response_source_url",
                    f'"{url}" is not a web address starting with http:// or https://',
                )
            if len(url) > 500:
                self.error(row_number, "response_source_url", "longer than 500 characters")
        if not raw:
            if response_date or url:
                self.error(
                    row_number,
                    "response",
                    "empty, but a response date or source is given; name the response "
                    "(or use awaiting)",
                )
            return "", None, ""
        if kind not in RESPONSE_VALUES:
            self.error(
                row_number,
                "response",
                f'unknown value "{raw}" (expected one of: {", ".join(RESPONSE_VALUES)})',
            )
            return "", None, ""
        if lead is None:
            self.error(
                row_number,
                "lead_owner",
                "empty, but a response is given; a response is the lead owner's",
            )
        if Response.needs_date_and_source(kind):
            if not row["response_date"]:
                self.error(
                    row_number, "response_date", f"empty; a response of {kind} needs its date"
                )
            if not url:
                self.error(
                    row_number,
                    "response_source_url",
                    f"empty; a response of {kind} needs the web address of its source",
                )
        return kind, response_date, url

    def source_details(self, row_number: int, row: dict[str, str], url: str) -> dict:
        """Title, publisher, date and kind of the response's source, for a new source."""
        given = {column: row.get(column, "") for column in SOURCE_COLUMNS}
        if any(given.values()) and not url:
            column = next(column for column, value in given.items() if value)
            self.error(row_number, column, "given, but response_source_url is empty")
            return {}
        for column, limit in (("response_source_title", 300), ("response_source_publisher", 200)):
            if len(given[column]) > limit:
                self.error(row_number, column, f"longer than {limit} characters")
        kind = given["response_source_kind"].lower()
        if kind and kind not in SOURCE_KINDS:
            self.error(
                row_number,
                "response_source_kind",
                f'unknown value "{given["response_source_kind"]}" (expected one of: '
                f"{', '.join(SOURCE_KINDS)})",
            )
        return {
            "title": given["response_source_title"],
            "publisher": given["response_source_publisher"],
            "published_on": self.date(row_number, row, "response_source_date", required=False),
            "kind": kind,
        }

    def date(
        self, row_number: int, row: dict[str, str], column: str, *, required: bool
    ) -> datetime.date | None:
        raw = row.get(column, "")
        if not raw:
            if required:
                self.error(row_number, column, "empty; give the date as YYYY-MM-DD")
            return None
        if not ISO_DATE.fullmatch(raw):
            self.error(row_number, column, f'"{raw}" is not a date in the form YYYY-MM-DD')
            return None
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError:
            self.error(row_number, column, f'"{raw}" is not a real date')
            return None


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: str) -> bool:
    """A name a spreadsheet would run as a formula when the data is opened again."""
    return value.startswith(FORMULA_STARTS)


def formula_message(value: str) -> str:
    return (
        f'"{value[:40]}" starts with "{value[:1]}", which spreadsheets run as a formula; '
        "write the name as it is published"
    )


def plan_import(content: bytes | str) -> ImportPlan:
    """Check the whole file against the tracker as it is now. Reads only; never writes."""
    try:
        rows = read_rows(content)
    except ImportRefused as refused:
        return ImportPlan(errors=refused.errors)
    plan = _Planner().run(rows)
    plan.errors.sort(key=lambda error: error.row)
    return plan


# --- Writing -------------------------------------------------------------------------------------


def import_inquiry(content: bytes | str, *, dry_run: bool = False, user=None) -> ImportPlan:
    """Check the file and, unless it is a dry run, write everything it describes in one transaction.

    Raises ImportRefused with every problem when any row is bad; then nothing is written.
    """
    plan = plan_import(content)
    if not plan.is_valid:
        raise ImportRefused(plan.errors)
    if dry_run:
        return plan
    try:
        with transaction.atomic():
            _write(plan, user)
    except IntegrityError as error:
        raise ImportRefused(
            [RowError(1, None, f"the tracker changed while checking the file; try again ({error})")]
        ) from None
    plan.written = True
    return plan


def _save(instance, user):
    instance._history_user = user
    instance.save()
    return instance


def _write(plan: ImportPlan, user) -> None:
    for planned in plan.organisations:
        planned.instance = planned.existing or _save(
            Organisation(name=planned.name, slug=planned.slug), user
        )
    for planned_report in plan.reports:
        report = planned_report.existing
        if report is None:
            report = _save(
                Report(
                    slug=planned_report.slug,
                    title=planned_report.title,
                    short_name=planned_report.short_name,
                    published_on=planned_report.published_on,
                    # Kept off the public pages until an editor has checked and published it.
                    is_published=False,
                ),
                user,
            )
        planned_report.instance = report
        for planned in planned_report.recommendations:
            _write_recommendation(report, planned, user)


def _write_recommendation(report: Report, planned: PlannedRecommendation, user) -> None:
    recommendation = _save(
        Recommendation(
            report=report,
            number=planned.number,
            title=planned.title,
            text=planned.text,
            text_kind=planned.text_kind,
            plain_summary=planned.plain_summary,
            watch_terms=planned.watch_terms,
            watch_exclude=planned.watch_exclude,
        ),
        user,
    )
    if planned.lead is not None:
        _save(
            Ownership(
                recommendation=recommendation,
                organisation=planned.lead.instance,
                role=Ownership.Role.LEAD,
            ),
            user,
        )
    for org in planned.supporting:
        _save(
            Ownership(
                recommendation=recommendation,
                organisation=org.instance,
                role=Ownership.Role.SUPPORTING,
            ),
            user,
        )
    if planned.response:
        _save(
            Response(
                recommendation=recommendation,
                organisation=planned.lead.instance,
                kind=planned.response,
                responded_on=planned.response_date,
                source=source_for(planned.response_source_url, **planned.response_source)
                if planned.response_source_url
                else None,
            ),
            user,
        )
