"""Read-only API views: thin viewsets over named queryset methods, constant queries per page.

Every endpoint answers with what the public may see only (`public()` in `tracker.models`):
nothing of a report an editor has not published, and no draft."""

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from tracker.api.filtersets import (
    ApiFilterBackend,
    DeadlineFilter,
    StatusUpdateFilter,
    StrictOrderingFilter,
)
from tracker.api.serializers import (
    DeadlineSerializer,
    OwnerSerializer,
    RecommendationSerializer,
    ReportSerializer,
    StatusUpdateSerializer,
)
from tracker.as_of import AsOf, InvalidAsOfDate, parse_as_of, recommendations_as_of
from tracker.models import (
    Deadline,
    ImplementationStatus,
    Organisation,
    Ownership,
    Recommendation,
    Report,
    StatusUpdate,
    in_published_report,
)
from tracker.public.filters import RecommendationFilter

ALWAYS_ALLOWED = frozenset({"format"})
LIST_ALLOWED = frozenset({"page", "page_size", "ordering"})

AS_OF_PARAMETER = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    description="Show how things stood at the end of this day (YYYY-MM-DD, not in the future).",
)


class PublicReadOnlyMixin:
    """Strict query parameters, the "as of" day on every response, open to any origin.

    `accepts_as_of` views read `?as_of=YYYY-MM-DD`; the others describe today.
    """

    accepts_as_of = False

    def allowed_query_params(self) -> set[str]:
        allowed = set(ALWAYS_ALLOWED)
        if self.accepts_as_of:
            allowed.add("as_of")
        if getattr(self, "action", None) == "list":
            allowed |= LIST_ALLOWED
            filterset_class = getattr(self, "filterset_class", None)
            if filterset_class is not None:
                allowed |= set(filterset_class.base_filters)
        return allowed

    def initial(self, request, *args, **kwargs) -> None:
        allowed = self.allowed_query_params()
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise ValidationError(
                {
                    "detail": f"Unknown query parameter: {', '.join(unknown)}. "
                    f"This endpoint takes: {', '.join(sorted(allowed))}."
                }
            )
        fmt = request.query_params.get("format")
        if fmt is not None and fmt != "json":
            raise ValidationError({"format": ["Only format=json is available."]})
        today = timezone.localdate()
        if self.accepts_as_of:
            try:
                request.as_of = parse_as_of(request.query_params.get("as_of"), today)
            except InvalidAsOfDate as error:
                raise ValidationError({"as_of": [str(error)]}) from None
        else:
            request.as_of = AsOf(day=today, today=today)
        super().initial(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs) -> Response:
        data = self.get_serializer(self.get_object()).data
        return Response({"as_of": request.as_of.day.isoformat(), **data})

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        as_of = getattr(request, "as_of", None)
        if as_of is not None:
            response["X-Data-As-Of"] = as_of.day.isoformat()
        return response


class ApiRoot(PublicReadOnlyMixin, APIView):
    """The API's endpoints."""

    @extend_schema(exclude=True)
    def get(self, request, format=None) -> Response:
        def link(name: str) -> str:
            return reverse(f"api:{name}", request=request)

        return Response(
            {
                "as_of": request.as_of.day.isoformat(),
                "reports": link("report-list"),
                "recommendations": link("recommendation-list"),
                "owners": link("owner-list"),
                "deadlines": link("deadline-list"),
                "updates": link("update-list"),
                "schema": link("schema"),
            }
        )


class ReportViewSet(PublicReadOnlyMixin, viewsets.ReadOnlyModelViewSet):
    """Published inquiry reports, with counts of their recommendations by status."""

    serializer_class = ReportSerializer
    lookup_field = "slug"
    filter_backends = [StrictOrderingFilter]
    ordering_fields = ["published_on", "slug"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the view
            return Report.objects.none()
        overdue = Recommendation.objects.overdue_on(self.request.as_of.day).values("pk")
        status_counts = {
            f"count_{status}": Count("recommendations", filter=Q(recommendations__status=status))
            for status in ImplementationStatus
        }
        return (
            Report.objects.public()
            .select_related("source")
            .annotate(
                recommendation_count=Count("recommendations"),
                overdue_count=Count("recommendations", filter=Q(recommendations__in=overdue)),
                **status_counts,
            )
            .order_by("published_on", "slug")
        )


class OwnerViewSet(PublicReadOnlyMixin, viewsets.ReadOnlyModelViewSet):
    """Organisations that own recommendations (of published reports)."""

    serializer_class = OwnerSerializer
    lookup_field = "slug"
    filter_backends = [StrictOrderingFilter]
    ordering_fields = ["name", "slug"]

    def get_queryset(self):
        public = in_published_report("ownerships__recommendation__report")
        return (
            Organisation.objects.public()
            .annotate(
                lead_count=Count(
                    "ownerships", filter=Q(ownerships__role=Ownership.Role.LEAD) & public
                ),
                supporting_count=Count(
                    "ownerships", filter=Q(ownerships__role=Ownership.Role.SUPPORTING) & public
                ),
            )
            .order_by("name")
        )


@extend_schema_view(
    list=extend_schema(parameters=[AS_OF_PARAMETER]),
    retrieve=extend_schema(parameters=[AS_OF_PARAMETER]),
)
class RecommendationViewSet(PublicReadOnlyMixin, viewsets.ReadOnlyModelViewSet):
    """Recommendations with their status, response and timeliness on the `as_of` day.

    Filters are those of the public table: `report`, `owner`, `status`, `response`,
    `overdue` (yes/no; true/false also accepted) and `q` (words in the title or wording).
    """

    serializer_class = RecommendationSerializer
    filterset_class = RecommendationFilter
    filter_backends = [ApiFilterBackend, StrictOrderingFilter]
    ordering_fields = ["number", "next_due_date", "last_update_on"]
    accepts_as_of = True

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the view
            return Recommendation.objects.none()
        queryset = Recommendation.objects.select_related("report", "text_source").prefetch_related(
            Prefetch("ownerships", queryset=Ownership.objects.select_related("organisation"))
        )
        return recommendations_as_of(self.request.as_of, queryset).annotate(
            next_due_date=F("next_due")
        )

    def get_object(self) -> Recommendation:
        queryset = self.get_queryset()
        return get_object_or_404(
            queryset, report__slug=self.kwargs["slug"], number=self.kwargs["number"]
        )


class DeadlineViewSet(PublicReadOnlyMixin, viewsets.ReadOnlyModelViewSet):
    """Every deadline, including those met, withdrawn or superseded by a later one."""

    serializer_class = DeadlineSerializer
    filterset_class = DeadlineFilter
    filter_backends = [ApiFilterBackend, StrictOrderingFilter]
    ordering_fields = ["due_date", "promised_on", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the view
            return Deadline.objects.none()
        day = self.request.as_of.day
        overdue = Deadline.objects.overdue(day).values("pk")
        missed = Deadline.objects.missed(day).values("pk")
        return (
            Deadline.objects.public()
            .select_related("recommendation__report", "organisation", "source")
            .select_related("superseded_by")
            .annotate(
                is_overdue=ExpressionWrapper(Q(pk__in=overdue), BooleanField()),
                is_missed=ExpressionWrapper(Q(pk__in=missed), BooleanField()),
            )
            .order_by("due_date", "pk")
        )


class StatusUpdateViewSet(PublicReadOnlyMixin, viewsets.ReadOnlyModelViewSet):
    """Published status updates, latest first. Drafts are never shown."""

    serializer_class = StatusUpdateSerializer
    filterset_class = StatusUpdateFilter
    filter_backends = [ApiFilterBackend, StrictOrderingFilter]
    ordering_fields = ["describes_on", "published_at", "id"]

    def get_queryset(self):
        return (
            StatusUpdate.objects.public()
            .select_related("recommendation__report", "organisation", "source")
            .order_by("-published_at", "-pk")
        )
