"""What each API object says. Only public facts: no contacts, no drafts, no editors' names."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tracker.models import (
    Deadline,
    ImplementationStatus,
    Organisation,
    Ownership,
    Recommendation,
    Report,
    ResponseKind,
    Source,
    StatusUpdate,
)
from tracker.public.tables import deadline_words, timeliness


def absolute(serializer: serializers.Serializer, path: str) -> str:
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request else path


def recommendation_api_path(recommendation: Recommendation) -> str:
    return reverse(
        "api:recommendation-detail", args=[recommendation.report.slug, recommendation.number]
    )


class SourceSerializer(serializers.ModelSerializer):
    """A cited document. `kind` is primary (the report, government, Parliament, legislation, a
    regulator or a court) or secondary (press, law firms, charities, other trackers)."""

    class Meta:
        model = Source
        fields = ["url", "title", "publisher", "published_on", "kind", "archive_url"]


class SourcedMixin(serializers.Serializer):
    """The record's source, in full and (as in format 1) as its address and title."""

    source = SourceSerializer(allow_null=True, read_only=True)
    source_url = serializers.CharField(
        source="source.url", default="", read_only=True, help_text="The source's address."
    )
    source_title = serializers.CharField(source="source.title", default="", read_only=True)


class ReportSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="The report's public page.")
    api_url = serializers.SerializerMethodField()
    recommendations_api_url = serializers.SerializerMethodField()
    report_url = serializers.CharField(
        source="source.url", default="", help_text="Where the report is published."
    )
    source = SourceSerializer(allow_null=True, help_text="The report's own publication.")
    recommendation_count = serializers.IntegerField()
    overdue_count = serializers.IntegerField(
        help_text="Recommendations with an open deadline that has passed."
    )
    status_counts = serializers.SerializerMethodField(
        help_text="Number of recommendations at each implementation status."
    )
    alternative_names = serializers.ListField(
        source="alternative_name_list",
        child=serializers.CharField(),
        help_text="Other names the report goes by (added in version 1.1).",
    )

    class Meta:
        model = Report
        fields = [
            "slug",
            "short_name",
            "title",
            "chair",
            "published_on",
            "report_url",
            "source",
            "government_response_on",
            "government_response_url",
            "summary",
            "alternative_names",
            "recommendation_count",
            "overdue_count",
            "status_counts",
            "url",
            "api_url",
            "recommendations_api_url",
        ]

    def get_url(self, report: Report) -> str:
        return absolute(self, report.get_absolute_url())

    def get_api_url(self, report: Report) -> str:
        return absolute(self, reverse("api:report-detail", args=[report.slug]))

    def get_recommendations_api_url(self, report: Report) -> str:
        return absolute(self, f"{reverse('api:recommendation-list')}?report={report.slug}")

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "integer"}})
    def get_status_counts(self, report: Report) -> dict[str, int]:
        return {status: getattr(report, f"count_{status}") for status in ImplementationStatus}


class OwnerSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="The owner's public page.")
    api_url = serializers.SerializerMethodField()
    kind_label = serializers.CharField(source="get_kind_display")
    website = serializers.CharField(
        source="url", help_text="The owner's own website, or empty when none is recorded."
    )
    lead_count = serializers.IntegerField(help_text="Recommendations this owner leads.")
    supporting_count = serializers.IntegerField(help_text="Recommendations this owner supports.")

    class Meta:
        model = Organisation
        fields = [
            "slug",
            "name",
            "kind",
            "kind_label",
            "website",
            "lead_count",
            "supporting_count",
            "url",
            "api_url",
        ]

    def get_url(self, organisation: Organisation) -> str:
        return absolute(self, organisation.get_absolute_url())

    def get_api_url(self, organisation: Organisation) -> str:
        return absolute(self, reverse("api:owner-detail", args=[organisation.slug]))


class OwnershipSerializer(serializers.ModelSerializer):
    slug = serializers.CharField(source="organisation.slug")
    name = serializers.CharField(source="organisation.name")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Ownership
        fields = ["slug", "name", "role", "scope", "basis", "url"]

    def get_url(self, ownership: Ownership) -> str:
        return absolute(self, ownership.organisation.get_absolute_url())


class RecommendationSerializer(serializers.ModelSerializer):
    """How a recommendation stood on the `as_of` day (today unless asked otherwise)."""

    report = serializers.CharField(source="report.slug", help_text="The report's slug.")
    label = serializers.SerializerMethodField(help_text="For example “IICSA 13”.")
    status = serializers.ChoiceField(
        source="status_then",
        choices=ImplementationStatus.choices,
        help_text="Headline implementation status, by the headline rule on /methodology/: the "
        "latest independent assessment where there is one, otherwise the latest account.",
    )
    status_account = serializers.CharField(
        source="status_then_account",
        allow_null=True,
        help_text="Whose account the headline status is: owner, independent or affected; null "
        "when no update has been published.",
    )
    owner_account_status = serializers.CharField(
        allow_null=True, help_text="The status in the owner's latest statement."
    )
    independent_account_status = serializers.CharField(
        allow_null=True, help_text="The status the latest independent assessment found."
    )
    affected_account_status = serializers.CharField(
        allow_null=True,
        help_text="The status in the latest view of survivors and the people affected.",
    )
    is_disputed = serializers.BooleanField(
        help_text="The latest accounts of two of the three give different statuses."
    )
    status_label = serializers.SerializerMethodField()
    status_on = serializers.DateField(
        source="status_then_on", allow_null=True, help_text="The date that update describes."
    )
    response = serializers.ChoiceField(
        source="headline_response",
        choices=ResponseKind.choices,
        allow_null=True,
        help_text="The lead owner's latest response; null when none is recorded.",
    )
    response_label = serializers.SerializerMethodField()
    response_on = serializers.DateField(source="headline_response_on", allow_null=True)
    is_response_late = serializers.BooleanField(
        help_text="The lead owner has not answered although a response was due (the report's "
        "date, or the default rule on /methodology/), or left it under consideration past the "
        "date a decision was promised."
    )
    decision_due_on = serializers.DateField(
        source="headline_decision_due",
        allow_null=True,
        help_text="For a response under consideration: the date a decision was promised.",
    )
    is_overdue = serializers.BooleanField(
        help_text="Overdue: an open deadline (neither met, withdrawn nor superseded) has passed "
        "with no report of delivery (past due, or missed where a source says so)."
    )
    oldest_overdue_due_date = serializers.DateField(source="oldest_overdue_due", allow_null=True)
    next_due_date = serializers.DateField(
        source="next_due", allow_null=True, help_text="The next open deadline not yet passed."
    )
    has_deadline = serializers.BooleanField(help_text="Any deadline was ever set.")
    last_update_on = serializers.DateField(
        allow_null=True, help_text="The date the latest published update describes."
    )
    # Added in version 1.1: the deadline as the table's downloads split it (one definition,
    # tracker.public.tables.timeliness), and the plain summary.
    due_date = serializers.SerializerMethodField(
        help_text="The oldest overdue deadline's due date, or else the next open one's."
    )
    deadline_state = serializers.SerializerMethodField(
        help_text="“Missed”, “Past due with no report of delivery”, “Due soon”, “Not yet due”, "
        "“No deadline set” or “No open deadline (met, withdrawn or replaced)”: the words "
        "defined on /methodology/."
    )
    days_late = serializers.SerializerMethodField(
        help_text="Days since an overdue deadline's due date; null when none is overdue."
    )
    # Added in version 1.2: lateness as one figure, the response clock's day, deadlines missed.
    is_late = serializers.BooleanField(
        help_text="Late: overdue (is_overdue) or response late (is_response_late), or both."
    )
    response_late_since = serializers.SerializerMethodField(
        help_text="When the response is late on the day: the first day it counted as late (the "
        "day after the response, or a promised decision, was due); otherwise null."
    )
    deadlines_missed = serializers.IntegerField(
        help_text="How many of its deadlines were missed: a source says so, or the deadline was "
        "replaced after it fell due (defined on /methodology/)."
    )
    owners = OwnershipSerializer(source="ownerships", many=True)
    text_source = SourceSerializer(allow_null=True, help_text="The source of the wording.")
    text_source_url = serializers.CharField(source="text_source.url", default="")
    url = serializers.SerializerMethodField(help_text="The recommendation's public page.")
    api_url = serializers.SerializerMethodField()

    class Meta:
        model = Recommendation
        fields = [
            "report",
            "number",
            "label",
            "title",
            "title_is_official",
            "plain_summary",
            "text",
            "text_kind",
            "text_source_url",
            "text_source",
            "text_note",
            "status",
            "status_label",
            "status_on",
            "status_account",
            "owner_account_status",
            "independent_account_status",
            "affected_account_status",
            "is_disputed",
            "response",
            "response_label",
            "response_on",
            "is_response_late",
            "response_late_since",
            "decision_due_on",
            "is_late",
            "is_overdue",
            "oldest_overdue_due_date",
            "next_due_date",
            "has_deadline",
            "due_date",
            "deadline_state",
            "days_late",
            "deadlines_missed",
            "last_update_on",
            "owners",
            "url",
            "api_url",
        ]

    def _timeliness(self, recommendation: Recommendation):
        return timeliness(recommendation, self.context["request"].as_of.day)

    @extend_schema_field(OpenApiTypes.DATE)
    def get_due_date(self, recommendation: Recommendation):
        return self._timeliness(recommendation)[1]

    def get_deadline_state(self, recommendation: Recommendation) -> str:
        return self._timeliness(recommendation)[0]

    @extend_schema_field(OpenApiTypes.INT)
    def get_days_late(self, recommendation: Recommendation):
        return self._timeliness(recommendation)[2]

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_response_late_since(self, recommendation: Recommendation):
        return recommendation.response_late_since if recommendation.is_response_late else None

    def get_label(self, recommendation: Recommendation) -> str:
        return f"{recommendation.report.short_name} {recommendation.number}"

    def get_status_label(self, recommendation: Recommendation) -> str:
        return ImplementationStatus(recommendation.status_then).label

    def get_response_label(self, recommendation: Recommendation) -> str:
        kind = recommendation.headline_response or ResponseKind.AWAITING
        return ResponseKind(kind).label

    def get_url(self, recommendation: Recommendation) -> str:
        return absolute(self, recommendation.get_absolute_url())

    def get_api_url(self, recommendation: Recommendation) -> str:
        return absolute(self, recommendation_api_path(recommendation))


class RecommendationLinkMixin(serializers.Serializer):
    report = serializers.CharField(source="recommendation.report.slug")
    recommendation_number = serializers.IntegerField(source="recommendation.number")
    recommendation_api_url = serializers.SerializerMethodField()

    def get_recommendation_api_url(self, obj) -> str:
        return absolute(self, recommendation_api_path(obj.recommendation))


class DeadlineSerializer(RecommendationLinkMixin, SourcedMixin, serializers.ModelSerializer):
    owner = serializers.CharField(
        source="organisation.slug",
        allow_null=True,
        default=None,
        help_text="The organisation that made the promise, where a source says so.",
    )
    state = serializers.SerializerMethodField(help_text="open, met, withdrawn or superseded.")
    is_overdue = serializers.BooleanField(help_text="Open and its due date has passed.")
    # Added in version 1.2.
    is_missed = serializers.BooleanField(
        help_text="Missed: a source says so (missed_on), or it was replaced after it fell due "
        "(the deadline replacing it was promised after its due date)."
    )
    missed_on = serializers.DateField(
        allow_null=True, help_text="When a source said it was missed (the source's date)."
    )
    timeliness = serializers.SerializerMethodField(
        help_text="Its state in the words defined on /methodology/ (not yet due, due soon, past "
        "due with no report of delivery, missed, met on time, met late, withdrawn, replaced "
        "before it fell due), with what shows it."
    )
    superseded_by = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="The recommendation's public page.")
    api_url = serializers.SerializerMethodField()

    class Meta:
        model = Deadline
        fields = [
            "id",
            "report",
            "recommendation_number",
            "owner",
            "commitment",
            "stated_as",
            "precision",
            "due_date",
            "promised_on",
            "source",
            "source_url",
            "source_title",
            "state",
            "is_overdue",
            "is_missed",
            "missed_on",
            "timeliness",
            "met_on",
            "withdrawn_on",
            "supersedes",
            "superseded_by",
            "change_reason",
            "url",
            "api_url",
            "recommendation_api_url",
        ]

    def get_state(self, deadline: Deadline) -> str:
        if deadline.met_on:
            return "met"
        if deadline.withdrawn_on:
            return "withdrawn"
        if deadline.is_superseded:
            return "superseded"
        return "open"

    def get_timeliness(self, deadline: Deadline) -> str:
        replacement = deadline.superseded_by if deadline.is_superseded else None
        return deadline_words(deadline, self.context["request"].as_of.day, replacement)

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_superseded_by(self, deadline: Deadline) -> int | None:
        return deadline.superseded_by.pk if deadline.is_superseded else None

    def get_url(self, deadline: Deadline) -> str:
        return absolute(self, deadline.recommendation.get_absolute_url())

    def get_api_url(self, deadline: Deadline) -> str:
        return absolute(self, reverse("api:deadline-detail", args=[deadline.pk]))


class StatusUpdateSerializer(RecommendationLinkMixin, SourcedMixin, serializers.ModelSerializer):
    owner = serializers.CharField(
        source="organisation.slug",
        allow_null=True,
        default=None,
        help_text="Null when the update is about the whole recommendation.",
    )
    status_label = serializers.CharField(source="get_status_display")
    account_label = serializers.CharField(source="get_account_display")
    url = serializers.SerializerMethodField(help_text="The update on its recommendation's page.")
    api_url = serializers.SerializerMethodField()

    class Meta:
        model = StatusUpdate
        fields = [
            "id",
            "report",
            "recommendation_number",
            "owner",
            "describes_on",
            "status",
            "status_label",
            "summary",
            "account",
            "account_label",
            "reason",
            "reason_detail",
            "account_by",
            "source",
            "source_url",
            "source_title",
            "corrects",
            "published_at",
            "url",
            "api_url",
            "recommendation_api_url",
        ]

    def get_url(self, update: StatusUpdate) -> str:
        return absolute(self, f"{update.recommendation.get_absolute_url()}#update-{update.pk}")

    def get_api_url(self, update: StatusUpdate) -> str:
        return absolute(self, reverse("api:update-detail", args=[update.pk]))
