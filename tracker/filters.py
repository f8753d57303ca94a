"""The recommendation filters, shared by the public table and the JSON API.

Field names are part of public URLs (people link to filtered views) and of the API, so they stay
stable: `report` (report slug), `owner` (organisation slug), `status`, `response`,
`overdue` (yes/no), `q`.

Give the filter `tracker.as_of.recommendations_as_of(as_of)` so that status, response and overdue
are read as they stood on the page's day. Any other recommendation queryset works too: the filter
then annotates what it needs for today.
"""

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from tracker.as_of import with_headline_response
from tracker.models import ImplementationStatus, Organisation, Report, ResponseKind

YES_NO = [("yes", "Yes"), ("no", "No")]


def _annotated(queryset: QuerySet, name: str) -> bool:
    return name in queryset.query.annotations


class RecommendationFilter(django_filters.FilterSet):
    report = django_filters.ModelChoiceFilter(
        field_name="report",
        to_field_name="slug",
        queryset=Report.objects.order_by("published_on", "slug"),
        empty_label="All reports",
        label="Report",
    )
    owner = django_filters.ModelChoiceFilter(
        method="filter_owner",
        to_field_name="slug",
        queryset=Organisation.objects.filter(ownerships__isnull=False).distinct().order_by("name"),
        empty_label="All owners",
        label="Owner",
    )
    status = django_filters.ChoiceFilter(
        method="filter_status",
        choices=ImplementationStatus.choices,
        empty_label="Any status",
        label="Implementation status",
    )
    response = django_filters.ChoiceFilter(
        method="filter_response",
        choices=ResponseKind.choices,
        empty_label="Any response",
        label="Response (lead owner)",
    )
    overdue = django_filters.ChoiceFilter(
        method="filter_overdue", choices=YES_NO, empty_label="Either", label="Overdue"
    )
    q = django_filters.CharFilter(method="filter_text", label="Search title and wording")

    @extend_schema_field(OpenApiTypes.STR)  # the API documents the owner's slug
    def filter_owner(self, queryset: QuerySet, name: str, value: Organisation) -> QuerySet:
        return queryset.filter(pk__in=value.ownerships.values("recommendation"))

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        field = "status_then" if _annotated(queryset, "status_then") else "status"
        return queryset.filter(**{field: value})

    def filter_response(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not _annotated(queryset, "headline_response"):
            queryset = with_headline_response(queryset)
        if value == ResponseKind.AWAITING:
            return queryset.filter(
                Q(headline_response=ResponseKind.AWAITING) | Q(headline_response__isnull=True)
            )
        return queryset.filter(headline_response=value)

    def filter_overdue(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not _annotated(queryset, "is_overdue"):
            queryset = queryset.with_timeliness(timezone.localdate())
        return queryset.filter(is_overdue=(value == "yes"))

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        for word in value.split():
            queryset = queryset.filter(Q(title__icontains=word) | Q(text__icontains=word))
        return queryset
