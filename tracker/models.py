"""The ledger: reports, recommendations, who owns them, what was promised and what happened.

Three axes are kept apart and never mixed: the *response* (did they accept it?), the
*implementation* (what has been done?) and the *timeliness*, computed from deadlines.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce, ExtractYear, Lower, Mod
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from tracker.periods import Precision, end_of_period

# Site search (tracker/public/search.py): PostgreSQL full-text search with English stemming.
SEARCH_CONFIG = "english"


def search_vector(*weighted_fields: tuple[str, str]) -> SearchVector:
    """One weighted tsvector over the fields given as (field, weight A to D). The same expression
    backs a GIN index and the search query, so PostgreSQL reads the index.

    Recommendations and updates keep their vectors in a stored column on PostgreSQL instead
    (migration 0013, outside the models' state); these expressions serve the small tables."""
    parts = [
        SearchVector(field, weight=weight, config=SEARCH_CONFIG)
        for field, weight in weighted_fields
    ]
    vector = parts[0]
    for part in parts[1:]:
        vector = vector + part
    return vector


# A recommendation's plain summary is read first on its page: about 40 words at most.
PLAIN_SUMMARY_MAX_WORDS = 45
PLAIN_SUMMARY_MAX_CHARS = 300


def plain_summary_problem(summary: str) -> str:
    """What is wrong with a plain summary, or "" when it is fine (admin, YAML and CSV imports)."""
    words = len(summary.split())
    if len(summary) > PLAIN_SUMMARY_MAX_CHARS:
        return f"longer than {PLAIN_SUMMARY_MAX_CHARS} characters"
    if words > PLAIN_SUMMARY_MAX_WORDS:
        return (
            f"{words} words long; keep a plain summary to about 40 words "
            f"(at most {PLAIN_SUMMARY_MAX_WORDS})"
        )
    return ""


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def http_url_or_blank(field: str) -> Q:
    return (
        Q(**{field: ""})
        | Q(**{f"{field}__startswith": "http://"})
        | Q(**{f"{field}__startswith": "https://"})
    )


# --- Publicly visible ----------------------------------------------------------------------------


def in_published_report(report: str = "") -> Q:
    """**Publicly visible**: a record is shown to the public (pages, feeds, calendars, badges, the
    API, downloads, the static site, search and e-mails to subscribers and owners' contacts) only
    when its report is published (`Report.is_published`). An imported report stays unpublished
    until an editor publishes it, so a wrong import can be withdrawn.

    `report` is the path from the model to its report ("" for a report itself), so that counts
    and subqueries over related rows say the same thing. The one definition: every `public()`
    queryset method below is made from it."""
    return Q(**{f"{report}__is_published" if report else "is_published": True})


class InPublishedReportQuerySet(models.QuerySet):
    """Rows of a recommendation's ledger (owners, responses, deadlines, checks): public when the
    recommendation's report is published."""

    report_path = "recommendation__report"

    def public(self):
        """The rows the public may see (`in_published_report`)."""
        return self.filter(in_published_report(self.report_path))


# --- Sources -------------------------------------------------------------------------------------


class SourceQuerySet(models.QuerySet["Source"]):
    def public(self) -> SourceQuerySet:
        """Sources cited by something the public sees: a published report itself, or the
        wording, a response, a deadline or a published update of one (drafts and unpublished
        reports do not count)."""
        cited = models.OuterRef("pk")
        return self.filter(
            models.Exists(Report.objects.public().filter(source=cited))
            | models.Exists(Recommendation.objects.public().filter(text_source=cited))
            | models.Exists(Response.objects.public().filter(source=cited))
            | models.Exists(Deadline.objects.public().filter(source=cited))
            | models.Exists(StatusUpdate.objects.public().filter(source=cited))
        )


class SourceManager(models.Manager.from_queryset(SourceQuerySet)):
    def get_by_natural_key(self, url: str) -> Source:
        return self.get(url=url)


class Source(TimeStampedModel):
    """A cited document: the page that carries the words or facts a record relies on.

    *Primary* sources are the report itself, a government response or statement, Hansard,
    legislation, a regulator or a court; *secondary* ones report on them (press, law firms,
    charities, other trackers).
    """

    class Kind(models.TextChoices):
        PRIMARY = "primary", "Primary"
        SECONDARY = "secondary", "Secondary"

    url = models.URLField(max_length=500, unique=True, verbose_name="URL")
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200)
    published_on = models.DateField(
        null=True, blank=True, help_text="When the document was published; empty where not known."
    )
    kind = models.CharField(max_length=10, choices=Kind)
    archive_url = models.URLField(
        max_length=500, blank=True, verbose_name="archived copy", help_text="Optional."
    )
    last_seen_on = models.DateField(
        null=True, blank=True, help_text="The last day an editor saw the page at its address."
    )
    editors_note = models.TextField(
        blank=True, help_text="For editors only; never shown on a public page, feed or export."
    )

    history = HistoricalRecords()
    objects = SourceManager()

    class Meta:
        ordering = ["-published_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(url__startswith="http://") | Q(url__startswith="https://"),
                name="source_url_is_http",
            ),
            models.CheckConstraint(
                condition=http_url_or_blank("archive_url"), name="source_archive_url_is_http"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["primary", "secondary"]), name="source_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="source_has_title"),
            models.CheckConstraint(condition=~Q(publisher=""), name="source_has_publisher"),
        ]

    def __str__(self) -> str:
        return f"{self.publisher}: {self.title}"

    def natural_key(self) -> tuple[str]:
        return (self.url,)

    @property
    def is_primary(self) -> bool:
        return self.kind == self.Kind.PRIMARY

    def credit(self, reported: bool = False) -> str:
        """How a page names the source. `reported`: the record gives what a body said, so a
        secondary source is credited as reporting it ("As reported by …")."""
        if reported and not self.is_primary:
            return f"As reported by {self.publisher}: {self.title}"
        return f"Source: {self.title} ({self.publisher})"


def source_field(related_name: str, verbose_name: str = "source") -> models.ForeignKey:
    return models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=verbose_name,
    )


def editors_note_field() -> models.TextField:
    return models.TextField(
        blank=True,
        verbose_name="editors' note",
        help_text="Research notes and doubts, for editors only; never shown on a public page, "
        "feed, calendar, badge, API or export.",
    )


# --- Reports and organisations -------------------------------------------------------------------


class ReportQuerySet(models.QuerySet["Report"]):
    def public(self) -> ReportQuerySet:
        """Reports an editor has published (`in_published_report`)."""
        return self.filter(in_published_report())

    def unpublished(self) -> ReportQuerySet:
        """Reports kept off the public pages: imported and not yet published, or withdrawn."""
        return self.exclude(in_published_report())


class ReportManager(models.Manager.from_queryset(ReportQuerySet)):
    def get_by_natural_key(self, slug: str) -> Report:
        return self.get(slug=slug)


class Report(TimeStampedModel):
    """A published inquiry report."""

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=300)
    short_name = models.CharField(max_length=80, help_text="For example “IICSA” or “Casey audit”.")
    chair = models.CharField(max_length=200, blank=True)
    published_on = models.DateField()
    government_response_on = models.DateField(null=True, blank=True)
    government_response_url = models.URLField(max_length=500, blank=True)
    summary = models.TextField(blank=True, help_text="A short, factual description of the report.")
    alternative_names = models.TextField(
        blank=True,
        help_text="Other names the report is known by, one per line (for example “Jay report” or "
        "“grooming gangs audit”), so that the site search finds it by them.",
    )
    source = source_field("reports", "the report's own publication")
    response_due_on = models.DateField(
        null=True,
        blank=True,
        verbose_name="response due by",
        help_text="The date by which a response was promised or is expected.",
    )
    response_due_source = source_field("+", "source of the response date")
    is_published = models.BooleanField(
        default=True,
        verbose_name="published",
        help_text="Whether the report and everything in it is on the public pages, feeds, API, "
        "downloads and e-mails. A report imported from CSV starts unpublished. Set it with the "
        "report list's actions “Publish selected reports” and “Withdraw selected reports from "
        "the public pages”.",
    )
    editors_note = editors_note_field()

    history = HistoricalRecords()
    objects = ReportManager()

    class Meta:
        ordering = ["published_on", "slug"]
        permissions = [("publish_report", "Can publish and withdraw reports")]
        constraints = [
            models.CheckConstraint(
                condition=http_url_or_blank("government_response_url"),
                name="report_response_url_is_http",
                violation_error_message=(
                    "The response's address must start with http:// or https://."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.short_name

    def get_absolute_url(self) -> str:
        return reverse("report_detail", args=[self.slug])

    @property
    def alternative_name_list(self) -> list[str]:
        return [name.strip() for name in self.alternative_names.splitlines() if name.strip()]

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    @property
    def url(self) -> str:
        """Where the report is published: its own source's address."""
        return self.source.url if self.source_id else ""


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def public(self) -> OrganisationQuerySet:
        """Organisations the public may see: all but those named only in unpublished reports
        (as an owner, a respondent or the maker of a promise). One entered on its own, named by
        no report yet, stays visible as before."""
        named = models.OuterRef("pk")
        rows = (
            Ownership.objects.filter(organisation=named),
            Response.objects.filter(organisation=named),
            Deadline.objects.filter(organisation=named),
        )
        in_a_published_report = Q()
        in_any_report = Q()
        for queryset in rows:
            in_a_published_report |= models.Exists(queryset.public())
            in_any_report |= models.Exists(queryset)
        return self.filter(in_a_published_report | ~in_any_report)


class OrganisationManager(models.Manager.from_queryset(OrganisationQuerySet)):
    def get_by_natural_key(self, slug: str) -> Organisation:
        return self.get(slug=slug)


class Organisation(TimeStampedModel):
    """An owner of recommendations: a government, department, agency, force or council."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", "Government"
        DEPARTMENT = "department", "Government department"
        AGENCY = "agency", "Agency or public body"
        REGULATOR = "regulator", "Regulator"
        POLICE = "police", "Police"
        LOCAL_AUTHORITY = "local_authority", "Local authority"
        INQUIRY = "inquiry", "Inquiry or commission"
        OTHER = "other", "Other"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.OTHER)
    url = models.URLField(max_length=500, blank=True)

    history = HistoricalRecords()
    objects = OrganisationManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("owner_detail", args=[self.slug])

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class Contact(TimeStampedModel):
    """A person at an organisation who receives the weekly digest and may propose updates."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact",
        help_text="The login this person uses to propose status updates, if any.",
    )
    receives_digest = models.BooleanField(
        default=True, help_text="Untick when the person opts out of the weekly e-mail."
    )
    is_demo = models.BooleanField(
        default=False, help_text="Fictional contact for local demonstrations; never real data."
    )
    is_oversight = models.BooleanField(
        default=False,
        help_text="Receives the oversight digest: everything overdue, grouped by owner, instead "
        "of their own organisation's.",
    )
    wants_empty_digest = models.BooleanField(
        default=False,
        help_text="Also send a short note in weeks when nothing is overdue or coming due.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            # One login per person: an address in another case is the same address.
            models.UniqueConstraint(
                Lower("email"),
                name="contact_email_unique_ignoring_case",
                violation_error_message="Another contact already has this e-mail address.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


# --- Recommendations -----------------------------------------------------------------------------


class ImplementationStatus(models.TextChoices):
    NOT_YET_ASSESSED = "not_yet_assessed", "Not yet assessed"
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    PARTIALLY_IMPLEMENTED = "partially_implemented", "Partially implemented"
    IMPLEMENTED = "implemented", "Implemented"
    NOT_BEING_IMPLEMENTED = "not_being_implemented", "Not being implemented"


class Account(models.TextChoices):
    """Whose account a status update is."""

    OWNER = "owner", "The owner's own statement"
    INDEPENDENT = "independent", "Independent assessment"
    AFFECTED = "affected", "The view of survivors and people affected"


class ResponseKind(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    ACCEPTED_IN_PRINCIPLE = "accepted_in_principle", "Accepted in principle"
    PARTIALLY_ACCEPTED = "partially_accepted", "Partially accepted"
    NOT_ACCEPTED = "not_accepted", "Not accepted"
    UNDER_CONSIDERATION = "under_consideration", "Under consideration"
    AWAITING = "awaiting", "No response yet"


def last_check_subquery(on: datetime.date | None = None) -> models.Subquery:
    """The day of the outer recommendation's latest `Check` (made on or before `on`, when given)."""
    checks = Check.objects.filter(recommendation=models.OuterRef("pk"))
    if on is not None:
        checks = checks.filter(checked_on__lte=on)
    return models.Subquery(
        checks.order_by("-checked_on").values("checked_on")[:1], output_field=models.DateField()
    )


class RecommendationQuerySet(models.QuerySet["Recommendation"]):
    def public(self) -> RecommendationQuerySet:
        """Recommendations of published reports (`in_published_report`)."""
        return self.filter(in_published_report("report"))

    def with_timeliness(self, on: datetime.date) -> RecommendationQuerySet:
        """Annotate timeliness on a day, computed in SQL from the deadlines (no per-row queries).

        `is_overdue`: an open deadline fell due before `on`; `oldest_overdue_due`: the earliest such
        due date; `has_deadline`: any deadline was ever set; `next_due`: the earliest open deadline
        due on or after `on`; `overdue_missed`: a source says one of the overdue deadlines was
        missed (otherwise they are only past due, with no report of delivery).
        """
        open_deadlines = Deadline.objects.open().filter(recommendation=models.OuterRef("pk"))
        overdue = Deadline.objects.overdue(on).filter(recommendation=models.OuterRef("pk"))
        return self.annotate(
            is_overdue=models.Exists(overdue),
            overdue_missed=models.Exists(overdue.filter(missed_on__lte=on)),
            oldest_overdue_due=models.Subquery(overdue.order_by("due_date").values("due_date")[:1]),
            next_due=models.Subquery(
                open_deadlines.filter(due_date__gte=on).order_by("due_date").values("due_date")[:1]
            ),
            has_deadline=models.Exists(
                Deadline.objects.filter(recommendation=models.OuterRef("pk"))
            ),
        )

    def with_missed(
        self, on: datetime.date, as_known_on: datetime.date | None = None
    ) -> RecommendationQuerySet:
        """Annotate the deadlines missed on `on` (`DeadlineQuerySet.missed`, as known on
        `as_known_on` when given): `deadlines_missed`, how many; `replaced_late_due`, the due
        date of the latest one replaced after it fell due (None when none was)."""
        deadlines = Deadline.objects.filter(recommendation=models.OuterRef("pk"))
        if as_known_on is not None:
            deadlines = deadlines.known_on(as_known_on)
        missed = deadlines.missed(on, as_known_on).order_by().values("recommendation")
        replaced_late = deadlines.filter(replaced_after_due_exists(as_known_on))
        return self.annotate(
            deadlines_missed=Coalesce(
                models.Subquery(
                    missed.annotate(n=models.Count("pk")).values("n"),
                    output_field=models.IntegerField(),
                ),
                0,
            ),
            replaced_late_due=models.Subquery(
                replaced_late.order_by("-due_date").values("due_date")[:1]
            ),
        )

    def overdue_on(self, on: datetime.date) -> RecommendationQuerySet:
        """Recommendations with an open deadline that fell due before `on`."""
        return self.filter(has_overdue_deadline(on))

    def with_latest_update(self) -> RecommendationQuerySet:
        """Annotate `latest_update_on`, `latest_update_status`, `latest_update_summary` and whose
        account it is (`latest_update_account`, `latest_update_account_by`): the latest published
        update of any scope (whole recommendation or one owner's part)."""
        latest = StatusUpdate.objects.published().filter(recommendation=models.OuterRef("pk"))
        latest = latest.newest_first()
        return self.annotate(
            latest_update_on=models.Subquery(latest.values("describes_on")[:1]),
            latest_update_status=models.Subquery(latest.values("status")[:1]),
            latest_update_summary=models.Subquery(latest.values("summary")[:1]),
            latest_update_account=models.Subquery(latest.values("account")[:1]),
            latest_update_account_by=models.Subquery(latest.values("account_by")[:1]),
        )

    def with_last_checked(self, on: datetime.date | None = None) -> RecommendationQuerySet:
        """Annotate **last checked**, `last_checked_on`: the day of the latest `Check` for new
        developments (made on or before `on`, when given); None when never checked. The one
        definition of "last checked" (`last_check_subquery`); today's (`on` None) is read from
        `Recommendation.latest_check_on`, which `tracker.fact_dates` keeps by that definition."""
        if on is None:
            return self.annotate(last_checked_on=models.F("latest_check_on"))
        return self.annotate(last_checked_on=last_check_subquery(on))

    def silent(self, on: datetime.date, days: int) -> RecommendationQuerySet:
        """**Silent**: overdue on `on` with no published update describing the last `days` days (or
        none ever), of reports published by then; longest overdue first."""
        return (
            self.overdue_on(on)
            .with_timeliness(on)
            .with_latest_update()
            .filter(report__published_on__lte=on)
            .filter(
                Q(latest_update_on__isnull=True)
                | Q(latest_update_on__lte=on - datetime.timedelta(days=days))
            )
            .order_by("oldest_overdue_due", "report__published_on", "number")
        )


def has_overdue_deadline(on: datetime.date, recommendation: str = "pk") -> models.Exists:
    """Whether the recommendation that the outer query's `recommendation` field names has an open
    deadline that fell due before `on`: the test of `overdue_on`, usable from other tables."""
    return models.Exists(
        Deadline.objects.overdue(on).filter(recommendation=models.OuterRef(recommendation))
    )


def headline_updates(on: datetime.date | None = None) -> StatusUpdateQuerySet:
    """The outer recommendation's published updates about the whole of it (describing a day up
    to `on`, when given), in the order of the headline rule: the first one is its headline."""
    updates = StatusUpdate.objects.published().filter(
        recommendation=models.OuterRef("pk"), organisation__isnull=True
    )
    if on is not None:
        updates = updates.filter(describes_on__lte=on)
    return updates.in_headline_order()


def status_on(on: datetime.date | None = None) -> Coalesce:
    """**Status on a day**, for annotating recommendations: the status of the published update
    about the whole recommendation that the headline rule picks among those describing a day up
    to `on` (the headline status when `on` is None); not yet assessed when there is none."""
    return Coalesce(
        models.Subquery(headline_updates(on).values("status")[:1]),
        models.Value(ImplementationStatus.NOT_YET_ASSESSED.value),
        output_field=models.CharField(),
    )


def status_on_date(on: datetime.date | None = None) -> models.Subquery:
    """The day the update that gives `status_on(on)` describes (None when there is none)."""
    return models.Subquery(
        headline_updates(on).values("describes_on")[:1], output_field=models.DateField()
    )


def status_account_on(on: datetime.date | None = None) -> models.Subquery:
    """Whose account gives `status_on(on)` (an `Account`; None when there is no update)."""
    return models.Subquery(
        headline_updates(on).values("account")[:1], output_field=models.CharField()
    )


class RecommendationManager(models.Manager.from_queryset(RecommendationQuerySet)):
    def get_by_natural_key(self, report_slug: str, number: int) -> Recommendation:
        return self.get(report__slug=report_slug, number=number)


class Recommendation(TimeStampedModel):
    class TextKind(models.TextChoices):
        VERBATIM = "verbatim", "Official wording"
        SUMMARY = "summary", "Summary (not the official wording)"
        PARTIAL = "partial", "Official wording, in part"
        UNKNOWN = "unknown", "Wording not yet known"

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="recommendations")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300, blank=True)
    title_is_official = models.BooleanField(
        default=False, help_text="Tick only when the report itself gives this short title."
    )
    text = models.TextField(blank=True, verbose_name="wording")
    text_kind = models.CharField(
        max_length=10, choices=TextKind, default=TextKind.UNKNOWN, verbose_name="kind of wording"
    )
    text_note = models.TextField(
        blank=True,
        help_text="Shown to the public: what the wording is (for example a partial quote) and "
        "where it comes from. Doubts and research notes go in the editors' note.",
    )
    text_source = source_field("recommendation_wordings", "source of wording")
    plain_summary = models.CharField(
        max_length=300,
        blank=True,
        help_text="What the recommendation asks for, in plain words (about 40 words at most).",
    )
    watch_terms = models.TextField(
        blank=True,
        help_text="Words and phrases that identify news about it, one per line.",
    )
    watch_exclude = models.TextField(
        blank=True, help_text="Words and phrases that rule a news item out, one per line."
    )
    editors_note = editors_note_field()
    # Headline status, denormalised from the published whole-recommendation updates by the
    # headline rule (`StatusUpdateQuerySet.in_headline_order`): whose account it is, and its date.
    status = models.CharField(
        max_length=30,
        choices=ImplementationStatus,
        default=ImplementationStatus.NOT_YET_ASSESSED,
        editable=False,
    )
    status_on = models.DateField(null=True, blank=True, editable=False)
    # Empty (NULL) while no update has been published.
    status_account = models.CharField(  # noqa: DJ001 (NULL: added without rebuilding the table)
        max_length=12, choices=Account, null=True, blank=True, editable=False
    )
    # Whether the latest accounts disagree (`tracker.accounts`), refreshed with the headline status.
    disputed = models.BooleanField(default=False, editable=False)
    # Set and cleared by the daily overdue job.
    overdue_since = models.DateField(null=True, blank=True, editable=False)
    # The first day it counts as response late (`tracker.response_clocks`): the day after its
    # response, or a promised decision, was due; empty while no response clock runs. Kept in
    # step with the responses, the ownerships and the report by `refresh_response_clocks`.
    response_late_from = models.DateField(null=True, blank=True, editable=False)
    # The day of its latest check, and the latest day any of its facts describes (published
    # updates, responses, deadlines promised and met): today's freshness line reads these.
    # Kept in step by `tracker.fact_dates`.
    latest_check_on = models.DateField(null=True, blank=True, editable=False)
    newest_fact_on = models.DateField(null=True, blank=True, editable=False)

    history = HistoricalRecords()
    objects = RecommendationManager()

    class Meta:
        ordering = ["report__published_on", "report__slug", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "number"],
                name="recommendation_number_unique_in_report",
                violation_error_message=(
                    "This report already has a recommendation with this number."
                ),
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1),
                name="recommendation_number_positive",
                violation_error_message="A recommendation's number is 1 or more.",
            ),
            models.CheckConstraint(
                condition=Q(text_kind__in=["verbatim", "partial", "summary", "unknown"]),
                name="recommendation_text_kind_valid",
                violation_error_message="Choose what kind of wording this is from the list.",
            ),
            models.CheckConstraint(
                condition=(Q(text_kind="unknown") & Q(text=""))
                | (~Q(text_kind="unknown") & ~Q(text="")),
                name="recommendation_wording_matches_kind",
                violation_error_message=(
                    "Give the wording, or say that it is "
                    "not known (and then leave the wording empty)."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ImplementationStatus.values),
                name="recommendation_status_valid",
                violation_error_message="Choose a status from the list.",
            ),
            models.CheckConstraint(
                condition=Q(status_account__isnull=True) | Q(status_account__in=Account.values),
                name="recommendation_status_account_valid",
                violation_error_message="Choose whose account the status is from the list.",
            ),
        ]

    def __str__(self) -> str:
        label = f"{self.report.short_name} {self.number}"
        return f"{label}: {self.title}" if self.title else label

    def get_absolute_url(self) -> str:
        return reverse("recommendation_detail", args=[self.report.slug, self.number])

    def natural_key(self) -> tuple[str, int]:
        return (self.report.slug, self.number)

    natural_key.dependencies = ["tracker.report"]

    @staticmethod
    def wording_matches_kind(text_kind: str, text: str) -> bool:
        """A ledger rule (a database constraint too): wording is given exactly when its kind is
        known. Checked by `clean()`, the report-file loader and the CSV import."""
        return (text_kind == Recommendation.TextKind.UNKNOWN) == (not text)

    def clean(self) -> None:
        if not self.wording_matches_kind(self.text_kind, self.text):
            if self.text_kind == self.TextKind.UNKNOWN:
                raise ValidationError(
                    {"text_kind": "Wording is given, so say whether it is official."}
                )
            raise ValidationError({"text": "Give the wording, or mark it as not yet known."})
        if problem := plain_summary_problem(self.plain_summary):
            raise ValidationError({"plain_summary": f"The plain summary is {problem}."})


class OwnershipQuerySet(InPublishedReportQuerySet):
    def leads(self) -> OwnershipQuerySet:
        """**Lead owners**: the one ownership per recommendation whose role is lead."""
        return self.filter(role=Ownership.Role.LEAD)


def lead_of(ownerships: Iterable[Ownership]) -> Ownership | None:
    """The lead among ownerships already read (`OwnershipQuerySet.leads` in SQL)."""
    return next((o for o in ownerships if o.role == Ownership.Role.LEAD), None)


class Ownership(TimeStampedModel):
    """Who owns a recommendation: exactly one lead, any number of supporting owners."""

    class Role(models.TextChoices):
        LEAD = "lead", "Lead"
        SUPPORTING = "supporting", "Supporting"

    class Basis(models.TextChoices):
        STATED = "stated", "Named in the recommendation or the response"
        INFERRED = "inferred", "Inferred from who answered or acted"

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="ownerships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="ownerships"
    )
    role = models.CharField(max_length=10, choices=Role, default=Role.SUPPORTING)
    basis = models.CharField(max_length=10, choices=Basis, default=Basis.STATED)
    scope = models.CharField(
        max_length=200, blank=True, help_text="The owner's part, for example “England” or “Wales”."
    )
    note = models.TextField(blank=True)
    source = source_field("ownerships")

    history = HistoricalRecords()
    objects = OwnershipQuerySet.as_manager()

    class Meta:
        ordering = ["recommendation", "role", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "organisation"],
                name="ownership_once_per_organisation",
                violation_error_message="This organisation already owns this recommendation.",
            ),
            models.UniqueConstraint(
                fields=["recommendation"],
                condition=Q(role="lead"),
                name="ownership_one_lead_per_recommendation",
                violation_error_message="A recommendation has one lead owner only.",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["lead", "supporting"]),
                name="ownership_role_valid",
                violation_error_message="Choose lead or supporting.",
            ),
            models.CheckConstraint(
                condition=Q(basis__in=["stated", "inferred"]),
                name="ownership_basis_valid",
                violation_error_message="Choose whether ownership is stated or inferred.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_role_display().lower()})"


class ResponseQuerySet(InPublishedReportQuerySet):
    pass


class Response(TimeStampedModel):
    """How a government or body answered a recommendation, with its date and source."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="responses"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="responses"
    )
    kind = models.CharField(max_length=30, choices=ResponseKind, default=ResponseKind.AWAITING)
    kind_is_official = models.BooleanField(
        default=False,
        help_text="Tick when the response itself uses this label; leave unticked when the label "
        "characterises the response from secondary sources.",
    )
    responded_on = models.DateField(null=True, blank=True)
    summary = models.TextField(blank=True)
    source = source_field("responses")
    quote = models.TextField(
        blank=True, help_text="The response's own words, exactly as the source's page gives them."
    )
    decision_due_on = models.DateField(
        null=True,
        blank=True,
        verbose_name="decision due by",
        help_text="For a response under consideration: the date a decision was promised.",
    )
    editors_note = editors_note_field()

    history = HistoricalRecords()
    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["recommendation", "responded_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ResponseKind.values),
                name="response_kind_valid",
                violation_error_message="Choose the kind of response from the list.",
            ),
            models.CheckConstraint(
                condition=Q(kind="awaiting") | Q(responded_on__isnull=False, source__isnull=False),
                name="response_given_has_date_and_source",
                violation_error_message="A response that was given needs its date and its source.",
            ),
            models.CheckConstraint(
                condition=Q(quote="") | Q(source__isnull=False),
                name="response_quote_has_source",
                violation_error_message="A quotation needs the source whose page carries it.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.get_kind_display()}"

    @staticmethod
    def needs_date_and_source(kind: str) -> bool:
        """A ledger rule (a database constraint too): a response given, unlike one still awaited,
        has its date and source. Checked by the report-file loader and the CSV import."""
        return kind != ResponseKind.AWAITING


# --- Deadlines -----------------------------------------------------------------------------------


def last_day_of_period_condition() -> Q:
    """The due date is the last day of the period its precision names (a database rule)."""
    year = ExtractYear("due_date")
    leap_year = (Q(Exact(Mod(year, 4), 0)) & ~Q(Exact(Mod(year, 100), 0))) | Q(
        Exact(Mod(year, 400), 0)
    )
    last_day_of_month = (
        Q(due_date__month__in=[1, 3, 5, 7, 8, 10, 12], due_date__day=31)
        | Q(due_date__month__in=[4, 6, 9, 11], due_date__day=30)
        | Q(due_date__month=2, due_date__day=29)
        | (Q(due_date__month=2, due_date__day=28) & ~leap_year)
    )
    last_day_of_quarter = (
        Q(due_date__month=3, due_date__day=31)
        | Q(due_date__month=6, due_date__day=30)
        | Q(due_date__month=9, due_date__day=30)
        | Q(due_date__month=12, due_date__day=31)
    )
    return (
        Q(precision=Precision.DAY)
        | (Q(precision=Precision.MONTH) & last_day_of_month)
        | (Q(precision=Precision.QUARTER) & last_day_of_quarter)
        | Q(precision=Precision.YEAR, due_date__month=12, due_date__day=31)
    )


class DeadlineQuerySet(InPublishedReportQuerySet):
    def known_on(self, day: datetime.date) -> DeadlineQuerySet:
        """Promised on or before `day` (an unknown `promised_on` counts as known from the start)."""
        return self.filter(Q(promised_on__isnull=True) | Q(promised_on__lte=day))

    def open(self, as_known_on: datetime.date | None = None) -> DeadlineQuerySet:
        """**Open deadlines**: neither met, withdrawn nor superseded by a later deadline.

        With `as_known_on`, as the records stood at the end of that past day: promised by then,
        and not met, withdrawn or superseded (by a deadline itself known by then) by then.
        """
        # NOT EXISTS rather than `superseded_by__isnull=True`: PostgreSQL plans the LEFT JOIN ...
        # IS NULL form as returning one row, and the daily job's plans then go quadratic.
        if as_known_on is None:
            return self.filter(~superseded_exists(), met_on__isnull=True, withdrawn_on__isnull=True)
        day = as_known_on
        return (
            self.known_on(day)
            .filter(Q(met_on__isnull=True) | Q(met_on__gt=day))
            .filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=day))
            .filter(~superseded_exists(as_known_on=day))
        )

    def overdue(self, on: datetime.date, as_known_on: datetime.date | None = None):
        """**Overdue on a day**: open deadlines (as known on `as_known_on`, when given) that fell
        due before `on`. Every count of overdue deadlines and recommendations starts here."""
        return self.open(as_known_on).filter(due_date__lt=on)

    def missed(self, on: datetime.date, as_known_on: datetime.date | None = None):
        """**Missed on a day**: a source had said so (`missed_on` on or before `on`), or it was
        replaced after it fell due (`replaced_after_due_exists`, the replacement known by
        `as_known_on` when given). A missed deadline that is still open is overdue too; one
        that was replaced leaves the recommendation's timeliness to its replacement."""
        return self.filter(Q(missed_on__lte=on) | Q(replaced_after_due_exists(as_known_on)))


def superseded_exists(as_known_on: datetime.date | None = None) -> models.Exists:
    """Whether the outer deadline is replaced by a later one (known by `as_known_on`, if given)."""
    replacements = Deadline.objects.filter(supersedes=models.OuterRef("pk"))
    if as_known_on is not None:
        replacements = replacements.known_on(as_known_on)
    return models.Exists(replacements)


def replaced_after_due_exists(as_known_on: datetime.date | None = None) -> models.Exists:
    """Whether the outer deadline was **replaced after it fell due**: the deadline replacing it
    was promised after its due date (known by `as_known_on`, if given). It then counts as
    missed. A replacement whose promise date is not known says nothing either way."""
    replacements = Deadline.objects.filter(
        supersedes=models.OuterRef("pk"), promised_on__gt=models.OuterRef("due_date")
    )
    if as_known_on is not None:
        replacements = replacements.known_on(as_known_on)
    return models.Exists(replacements)


class Deadline(TimeStampedModel):
    """A dated commitment. Never overwritten: a slipped deadline is a new row that supersedes it."""

    Precision = Precision

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="deadlines"
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="deadlines",
        null=True,
        blank=True,
        help_text="Who made the promise, where a source says so.",
    )
    commitment = models.TextField(help_text="What was promised, in plain words.")
    stated_as = models.CharField(
        max_length=200, help_text="The words used for the date, for example “by the end of 2025”."
    )
    precision = models.CharField(max_length=10, choices=Precision, default=Precision.DAY)
    due_date = models.DateField(help_text="The last day of the stated period.")
    promised_on = models.DateField(
        null=True, blank=True, help_text="When the promise was made, where known."
    )
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        help_text="The earlier deadline this one replaces.",
    )
    met_on = models.DateField(null=True, blank=True)
    withdrawn_on = models.DateField(
        null=True, blank=True, help_text="When the promise was dropped without a new date."
    )
    change_reason = models.TextField(
        blank=True, help_text="Why the date moved or the promise was dropped, as a source says."
    )
    source = source_field("deadlines")
    missed_on = models.DateField(
        null=True,
        blank=True,
        help_text="When a source said the deadline was missed (the source's date).",
    )
    missed_source = source_field("+", "source saying it was missed")
    editors_note = editors_note_field()
    # Set and cleared by the daily overdue job.
    overdue_since = models.DateField(null=True, blank=True, editable=False)

    history = HistoricalRecords()
    objects = DeadlineQuerySet.as_manager()

    class Meta:
        ordering = ["recommendation", "due_date", "pk"]
        indexes = [
            models.Index(
                fields=["due_date"],
                condition=Q(met_on__isnull=True, withdrawn_on__isnull=True),
                name="deadline_open_due_flag_overdue",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(precision__in=Precision.values),
                name="deadline_precision_valid",
                violation_error_message="Choose how precisely the date was stated from the list.",
            ),
            models.CheckConstraint(
                condition=last_day_of_period_condition(),
                name="deadline_due_is_end_of_period",
                violation_error_message=(
                    "A deadline falls due on the last day of the period it was stated in."
                ),
            ),
            models.CheckConstraint(
                condition=Q(source__isnull=False),
                name="deadline_has_source",
                violation_error_message="A deadline needs its source.",
            ),
            models.CheckConstraint(
                condition=~Q(supersedes=F("pk")),
                name="deadline_does_not_supersede_itself",
                violation_error_message="A deadline cannot replace itself.",
            ),
            models.CheckConstraint(
                condition=~Q(stated_as=""),
                name="deadline_states_its_words",
                violation_error_message=(
                    "Give the words used for the date, for example “by the end of 2025”."
                ),
            ),
            models.CheckConstraint(
                condition=Q(promised_on__isnull=True)
                | Q(met_on__isnull=True)
                | Q(met_on__gte=F("promised_on")),
                name="deadline_met_after_promise",
                violation_error_message="A promise cannot be met before it was made.",
            ),
            models.CheckConstraint(
                condition=Q(promised_on__isnull=True)
                | Q(withdrawn_on__isnull=True)
                | Q(withdrawn_on__gte=F("promised_on")),
                name="deadline_withdrawn_after_promise",
                violation_error_message="A promise cannot be dropped before it was made.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recommendation}: {self.stated_as}"

    def clean(self) -> None:
        if self.due_date and self.precision:
            expected = end_of_period(self.due_date, self.precision)
            if expected != self.due_date:
                raise ValidationError(
                    {
                        "due_date": f"A deadline stated by {self.get_precision_display().lower()} "
                        f"falls due on the last day of that period: {expected:%d %B %Y}."
                    }
                )
        if self.supersedes_id and self.supersedes.recommendation_id != self.recommendation_id:
            raise ValidationError(
                {"supersedes": "A deadline can only replace one of the same recommendation."}
            )
        errors = {}
        for field, words in (("met_on", "met"), ("withdrawn_on", "dropped")):
            day = getattr(self, field)
            if day and self.promised_on and day < self.promised_on:
                errors[field] = (
                    f"A promise cannot be {words} before it was made: "
                    f"{day:%-d %B %Y} is before {self.promised_on:%-d %B %Y}."
                )
        if errors:
            raise ValidationError(errors)

    @property
    def is_superseded(self) -> bool:
        return hasattr(self, "superseded_by")


# --- Status updates: the append-only ledger ------------------------------------------------------


class PublishedUpdateError(Exception):
    """Raised on any attempt to change or delete a published status update."""


class StatusUpdateQuerySet(models.QuerySet["StatusUpdate"]):
    def published(self) -> StatusUpdateQuerySet:
        """Published updates (not drafts), whether or not their report is published."""
        return self.filter(state=StatusUpdate.State.PUBLISHED)

    def public(self) -> StatusUpdateQuerySet:
        """What the public may see: published updates of published reports
        (`in_published_report`)."""
        return self.published().filter(in_published_report("recommendation__report"))

    def drafts(self) -> StatusUpdateQuerySet:
        return self.filter(state=StatusUpdate.State.DRAFT)

    def newest_first(self) -> StatusUpdateQuerySet:
        """**Latest update first**: the model's ordering, which the `update_published_newest`
        index serves; the first row is the latest update."""
        return self.order_by(*StatusUpdate._meta.ordering)

    def in_headline_order(self) -> StatusUpdateQuerySet:
        """**The headline rule** (published on /methodology/), as an order: among the updates
        about the whole recommendation, the first one gives the headline status.

        An independent assessment outranks every other account, so an owner's later claim never
        hides an independent finding. Where no independent assessment has been published, the
        latest account of any kind gives it (the owner's statement, or the view of survivors and
        the people affected). Then the latest described, then the latest published.
        """
        return self.order_by(
            models.Case(
                models.When(account=StatusUpdate.Account.INDEPENDENT, then=models.Value(0)),
                default=models.Value(1),
            ),
            *StatusUpdate._meta.ordering,
        )

    def update(self, **kwargs):
        if self.filter(state=StatusUpdate.State.PUBLISHED).exists():
            raise PublishedUpdateError("Published status updates cannot be changed.")
        return super().update(**kwargs)

    def delete(self):
        if self.filter(state=StatusUpdate.State.PUBLISHED).exists():
            raise PublishedUpdateError("Published status updates cannot be deleted.")
        return super().delete()


class StatusUpdate(TimeStampedModel):
    """One dated, sourced fact about what has happened to a recommendation."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    Account = Account

    class Reason(models.TextChoices):
        NONE = "", "—"
        STALLED = "stalled", "Stalled"
        DROPPED = "dropped", "Dropped or not pursued"
        MOVED = "moved", "Deadline moved"
        SUPERSEDED = "superseded", "Overtaken by other measures"
        OTHER = "other", "Other"

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, related_name="updates"
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="updates",
        help_text="Leave empty when the update is about the whole recommendation; choose an owner "
        "when it is about that owner's part only.",
    )
    describes_on = models.DateField(help_text="The date the facts describe.")
    status = models.CharField(max_length=30, choices=ImplementationStatus)
    summary = models.TextField(help_text="A short, factual summary of what happened.")
    account = models.CharField(max_length=12, choices=Account, default=Account.OWNER)
    reason = models.CharField(max_length=12, choices=Reason, default=Reason.NONE, blank=True)
    reason_detail = models.TextField(blank=True)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        help_text="The published update this one corrects.",
    )
    source = source_field("updates")
    account_by = models.CharField(
        max_length=200,
        blank=True,
        verbose_name="whose account",
        help_text="Who gives this account, for example “HM Inspectorate of Constabulary” or a "
        "named survivors' organisation.",
    )
    editors_note = editors_note_field()
    state = models.CharField(max_length=10, choices=State, default=State.DRAFT)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = StatusUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-describes_on", "-published_at", "-pk"]
        permissions = [("publish_statusupdate", "Can publish status updates")]
        indexes = [
            models.Index(
                fields=["recommendation", "-describes_on"],
                condition=Q(state="published"),
                name="update_published_latest",
            ),
            # The dashboard's latest updates, newest first (its ordering, read from an index).
            models.Index(
                fields=["-describes_on", "-published_at", "-id"],
                condition=Q(state="published"),
                name="update_published_newest",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["draft", "published"]),
                name="update_state_valid",
                violation_error_message="An update is a draft or published.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ImplementationStatus.values),
                name="update_status_valid",
                violation_error_message="Choose a status from the list.",
            ),
            models.CheckConstraint(
                condition=Q(account__in=["owner", "independent", "affected"]),
                name="update_account_valid",
                violation_error_message="Choose whose account this is from the list.",
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(source__isnull=False, published_at__isnull=False),
                name="update_published_has_source",
                violation_error_message=(
                    "A published update needs a source and a publication time."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(corrects=F("pk")),
                name="update_does_not_correct_itself",
                violation_error_message="An update cannot correct itself.",
            ),
            models.CheckConstraint(
                condition=~Q(status="not_being_implemented") | ~Q(reason=""),
                name="update_not_being_implemented_has_reason",
                violation_error_message="Say why it is not being implemented.",
            ),
            models.CheckConstraint(
                condition=~Q(summary=""),
                name="update_has_summary",
                violation_error_message="Give a short summary of what happened.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recommendation} — {self.describes_on:%d %b %Y}: {self.get_status_display()}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and (
            type(self).objects.filter(pk=self.pk, state=self.State.PUBLISHED).exists()
        ):
            raise PublishedUpdateError(
                "A published status update cannot be changed; publish a correction instead."
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.pk is not None and (
            type(self).objects.filter(pk=self.pk, state=self.State.PUBLISHED).exists()
        ):
            raise PublishedUpdateError("A published status update cannot be deleted.")
        return super().delete(*args, **kwargs)

    @staticmethod
    def needs_reason(status: str, reason: str) -> bool:
        """A ledger rule (a database constraint too): an update saying a recommendation is not
        being implemented says why. Checked by `clean()` and the report-file loader."""
        return status == ImplementationStatus.NOT_BEING_IMPLEMENTED and not reason

    def clean(self) -> None:
        errors = {}
        today = timezone.localdate()
        if self.describes_on and self.describes_on > today:
            errors["describes_on"] = (
                f"An update describes what has happened: give a date on or before today "
                f"({today:%-d %B %Y}), not {self.describes_on:%-d %B %Y}."
            )
        if (
            self.organisation_id
            and self.recommendation_id
            and not Ownership.objects.filter(
                recommendation_id=self.recommendation_id, organisation_id=self.organisation_id
            ).exists()
        ):
            errors["organisation"] = (
                "This organisation does not own the recommendation: choose one of its owners, "
                "or leave it empty for the whole recommendation."
            )
        if self.needs_reason(self.status, self.reason):
            errors["reason"] = "Say why it is not being implemented."
        if self.corrects_id and self.corrects.recommendation_id != self.recommendation_id:
            errors["corrects"] = "A correction must be about the same recommendation."
        if self.corrects_id and not self.corrects.is_published:
            errors["corrects"] = "Only a published update can be corrected."
        if errors:
            raise ValidationError(errors)

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED

    @property
    def source_is_a_report(self) -> bool:
        """Whether the update gives the owner's own account: a secondary source for it is then
        credited as reporting what the owner said (`Source.credit(reported=True)`)."""
        return self.account == self.Account.OWNER


# --- Checks and links ----------------------------------------------------------------------------


class CheckQuerySet(InPublishedReportQuerySet):
    def latest_for(self, recommendation: Recommendation) -> Check | None:
        return self.filter(recommendation=recommendation).order_by("-checked_on", "-pk").first()

    def record_nothing_new(self, recommendations, by, on: datetime.date) -> int:
        """ "Checked, nothing new" for each recommendation, by `by` on `on`; once per
        recommendation, person and day however often it is asked. Returns how many were new."""
        created = 0
        for recommendation in recommendations:
            _, new = self.get_or_create(
                recommendation=recommendation,
                checked_on=on,
                checked_by=by,
                outcome=Check.Outcome.NOTHING_NEW,
                defaults={"checked_by_name": by.get_full_name() if by else ""},
            )
            created += new
        return created


class Check(TimeStampedModel):
    """An editor's dated look for new developments on a recommendation, and what was found.

    Pages say when each recommendation was last checked; nothing claims to be current beyond it.
    """

    class Outcome(models.TextChoices):
        NOTHING_NEW = "nothing_new", "Nothing new"
        RECORDED = "recorded", "New developments recorded"
        LEAD_DISMISSED = "lead_dismissed", "A lead was reviewed and dismissed"

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="checks"
    )
    checked_on = models.DateField()
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    checked_by_name = models.CharField(
        max_length=200,
        blank=True,
        help_text="Who checked, where the check was not made through a login (shipped data).",
    )
    outcome = models.CharField(max_length=20, choices=Outcome, default=Outcome.NOTHING_NEW)
    note = models.TextField(
        blank=True, help_text="What was searched and found. For editors; not shown publicly."
    )

    history = HistoricalRecords()
    objects = CheckQuerySet.as_manager()

    class Meta:
        ordering = ["-checked_on", "-pk"]
        indexes = [
            models.Index(fields=["recommendation", "-checked_on"], name="check_latest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["nothing_new", "recorded", "lead_dismissed"]),
                name="check_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recommendation}: checked {self.checked_on:%d %B %Y}"


class RecommendationLinkQuerySet(models.QuerySet["RecommendationLink"]):
    def public(self) -> RecommendationLinkQuerySet:
        """Links whose two recommendations are both in published reports."""
        return self.filter(in_published_report("from_recommendation__report")).filter(
            in_published_report("to_recommendation__report")
        )


class RecommendationLink(TimeStampedModel):
    """Two recommendations that overlap, linked only where a source states the link."""

    class Kind(models.TextChoices):
        REPEATS = "repeats", "Repeats"
        BUILDS_ON = "builds_on", "Builds on"
        RELATED = "related", "Is related to"

    from_recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="links_out"
    )
    to_recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="links_in"
    )
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.RELATED)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="links")
    note = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = RecommendationLinkQuerySet.as_manager()

    class Meta:
        ordering = ["from_recommendation", "to_recommendation"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_recommendation", "to_recommendation"], name="link_once_per_pair"
            ),
            models.CheckConstraint(
                condition=~Q(from_recommendation=F("to_recommendation")),
                name="link_not_to_itself",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["repeats", "builds_on", "related"]), name="link_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.from_recommendation} {self.get_kind_display().lower()} {self.to_recommendation}"
        )


# --- What the report files last said ------------------------------------------------------------


class ShippedValues(models.Model):
    """The values a report file last gave one record, as `load_reports` wrote them.

    Loading a newer file compares three things per field: the file's new value, this record of
    the old one, and the database. A field still holding the old file's value takes the new one; a
    field an editor changed keeps the editor's value.
    """

    model = models.CharField(max_length=60, help_text="The record's model label.")
    object_id = models.PositiveBigIntegerField()
    values = models.JSONField(default=dict)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["model", "object_id"]
        verbose_name_plural = "shipped values"
        constraints = [
            models.UniqueConstraint(fields=["model", "object_id"], name="shipped_values_once"),
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.object_id}"


# --- Jobs: overdue periods, snapshots, e-mail log, subscriptions ---------------------------------


class OverduePeriod(models.Model):
    """When a deadline, or a recommendation as a whole, was overdue. Written by the daily job.

    A row with `deadline` set is about that deadline; a row without is about the recommendation.
    `started_on` is the first day it was overdue (the day after the due date); `ended_on` is the day
    the job found it no longer overdue (met, withdrawn or superseded), empty while it still is.
    """

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="overdue_periods"
    )
    deadline = models.ForeignKey(
        Deadline, on_delete=models.CASCADE, null=True, blank=True, related_name="overdue_periods"
    )
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recommendation", "started_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["deadline"],
                condition=Q(deadline__isnull=False, ended_on__isnull=True),
                name="overdue_one_open_period_per_deadline",
            ),
            models.UniqueConstraint(
                fields=["recommendation"],
                condition=Q(deadline__isnull=True, ended_on__isnull=True),
                name="overdue_one_open_period_per_recommendation",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="overdue_period_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        subject = self.deadline if self.deadline_id else self.recommendation
        until = f"{self.ended_on:%d %B %Y}" if self.ended_on else "now"
        return f"{subject}: overdue {self.started_on:%d %B %Y} to {until}"


class Snapshot(models.Model):
    """One day's accountability figures for one report or one owner (never both)."""

    day = models.DateField()
    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, null=True, blank=True, related_name="snapshots"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="snapshots"
    )
    total = models.PositiveIntegerField(help_text="Recommendations counted.")
    not_yet_assessed = models.PositiveIntegerField()
    not_started = models.PositiveIntegerField()
    in_progress = models.PositiveIntegerField()
    partially_implemented = models.PositiveIntegerField()
    implemented = models.PositiveIntegerField()
    not_being_implemented = models.PositiveIntegerField()
    overdue = models.PositiveIntegerField()
    no_deadline = models.PositiveIntegerField(help_text="Recommendations with no deadline set.")
    taken_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(report__isnull=True) ^ Q(organisation__isnull=True),
                name="snapshot_is_of_a_report_or_an_owner",
            ),
            models.UniqueConstraint(
                fields=["day", "report"],
                condition=Q(report__isnull=False),
                name="snapshot_once_per_day_per_report",
            ),
            models.UniqueConstraint(
                fields=["day", "organisation"],
                condition=Q(organisation__isnull=False),
                name="snapshot_once_per_day_per_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report or self.organisation} on {self.day:%d %B %Y}"


class DataVersion(models.Model):
    """One row: a token that changes whenever published data changes (tracker/data_version.py).
    Kept in the database so that a change made while the shared cache was down is never lost."""

    ONLY = 1

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="dataversion_single_row"),
        ]

    def __str__(self) -> str:
        return f"Data version {self.token}"


class EmailLog(models.Model):
    """Every e-mail the jobs send, recorded before it is sent and updated after.

    The unique (address, kind, period key) is what makes each e-mail go out once: a second run of
    a job finds the row already sent and skips it.
    """

    class Kind(models.TextChoices):
        DIGEST = "digest", "Weekly overdue digest"
        OVERSIGHT_DIGEST = "oversight_digest", "Weekly oversight digest"
        SUBSCRIPTION_CONFIRMATION = "subscription_confirmation", "Subscription confirmation"
        UPDATE_NOTICE = "update_notice", "Update notice to subscribers"
        CONTACT_INVITATION = "contact_invitation", "Invitation to log in"
        PASSWORD_RESET = "password_reset", "Password reset"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed permanently"

    address = models.EmailField()
    kind = models.CharField(max_length=30, choices=Kind)
    period_key = models.CharField(
        max_length=60, help_text="The ISO week of a digest, or the update or request it is about."
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="email_logs"
    )
    subscription = models.ForeignKey(
        "Subscription", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    subject = models.CharField(max_length=300, blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "e-mail log entry"
        verbose_name_plural = "e-mail log"
        indexes = [
            models.Index(
                fields=["kind", "period_key"],
                condition=Q(status="pending"),
                name="emaillog_pending_send_emails",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["address", "kind", "period_key"], name="emaillog_once_per_address_period"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sent", "failed"]), name="emaillog_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="emaillog_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_key} to {self.address}"


def new_subscription_token() -> str:
    import secrets

    return secrets.token_urlsafe(32)


class Subscription(models.Model):
    """Someone who asked to hear about a recommendation, a report or an owner (double opt-in)."""

    email = models.EmailField()
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True, default=new_subscription_token)
    requested_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(recommendation__isnull=False, report__isnull=True, organisation__isnull=True)
                    | Q(
                        recommendation__isnull=True, report__isnull=False, organisation__isnull=True
                    )
                    | Q(
                        recommendation__isnull=True, report__isnull=True, organisation__isnull=False
                    )
                ),
                name="subscription_has_one_subject",
            ),
            models.UniqueConstraint(
                fields=["email", "recommendation"],
                condition=Q(recommendation__isnull=False),
                name="subscription_once_per_recommendation",
            ),
            models.UniqueConstraint(
                fields=["email", "report"],
                condition=Q(report__isnull=False),
                name="subscription_once_per_report",
            ),
            models.UniqueConstraint(
                fields=["email", "organisation"],
                condition=Q(organisation__isnull=False),
                name="subscription_once_per_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"Subscription to {self.subject}"

    @property
    def subject(self) -> Recommendation | Report | Organisation:
        return self.recommendation or self.report or self.organisation

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class PendingNotice(models.Model):
    """A published update whose subscribers have not all been told yet: the notices' outbox.

    Written in the publishing transaction, so publishing never depends on the broker being up;
    deleted once the notices are sent. The periodic sweep sends whatever is left (for instance
    after a Redis outage), and the e-mail log keeps it to one e-mail per address per update.
    """

    update = models.OneToOneField(StatusUpdate, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Notices due for update {self.update_id}"


# --- Leads for editors (watched feeds), in a module of their own ---------------------------------

from tracker.lead_models import Lead, LeadMatch, WatchedFeed  # noqa: E402, F401
