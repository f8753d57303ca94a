"""Filters for the API. Recommendations reuse the public table's `RecommendationFilter`."""

import django_filters
from django.db.models import Q, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from tracker.models import (
    ImplementationStatus,
    Organisation,
    Report,
    StatusUpdate,
)

# The table's filter says yes/no; the API also takes true/false, as API users expect.
BOOLEAN_ALIASES = {"true": "yes", "false": "no", "1": "yes", "0": "no"}
BOOLEAN_FILTERS = ("overdue",)


class ApiFilterBackend(DjangoFilterBackend):
    """django-filter's backend, taking `true`/`false` for the yes/no filters."""

    def get_filterset_kwargs(self, request, queryset, view) -> dict:
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        data = kwargs["data"].copy()
        for name in BOOLEAN_FILTERS:
            value = data.get(name)
            if value is not None and value.lower() in BOOLEAN_ALIASES:
                data[name] = BOOLEAN_ALIASES[value.lower()]
        kwargs["data"] = data
        return kwargs


class StrictOrderingFilter(OrderingFilter):
    """DRF's ordering, but an unknown field is a 400 rather than silently ignored."""

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if raw:
            allowed = {name for name, _label in self.get_valid_fields(queryset, view, {})}
            unknown = [f for f in raw.split(",") if f.strip().lstrip("-") not in allowed]
            if unknown:
                raise ValidationError(
                    {
                        self.ordering_param: [
                            f"Cannot order by {', '.join(unknown)}. "
                            f"Choose from: {', '.join(sorted(allowed))} (prefix - to reverse)."
                        ]
                    }
                )
        return super().get_ordering(request, queryset, view)


class DeadlineState:
    OPEN = "open"
    OVERDUE = "overdue"
    MET = "met"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"
    CHOICES = [
        (OPEN, "Open: neither met, withdrawn nor superseded"),
        (OVERDUE, "Overdue: open and past its due date"),
        (MET, "Met"),
        (WITHDRAWN, "Withdrawn without a new date"),
        (SUPERSEDED, "Superseded by a later deadline"),
    ]


class DeadlineFilter(django_filters.FilterSet):
    report = django_filters.ModelChoiceFilter(
        field_name="recommendation__report",
        to_field_name="slug",
        queryset=Report.objects.public(),
    )
    owner = django_filters.ModelChoiceFilter(
        field_name="organisation",
        to_field_name="slug",
        queryset=Organisation.objects.public(),
        label="Who made the promise",
    )
    state = django_filters.ChoiceFilter(method="filter_state", choices=DeadlineState.CHOICES)
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")

    def filter_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == DeadlineState.OPEN:
            return queryset.open()
        if value == DeadlineState.OVERDUE:
            return queryset.filter(is_overdue=True)
        if value == DeadlineState.MET:
            return queryset.filter(met_on__isnull=False)
        if value == DeadlineState.WITHDRAWN:
            return queryset.filter(withdrawn_on__isnull=False)
        return queryset.filter(superseded_by__isnull=False)


class StatusUpdateFilter(django_filters.FilterSet):
    report = django_filters.ModelChoiceFilter(
        field_name="recommendation__report",
        to_field_name="slug",
        queryset=Report.objects.public(),
    )
    owner = django_filters.ModelChoiceFilter(
        method="filter_owner",
        to_field_name="slug",
        queryset=Organisation.objects.public(),
        label="Updates about recommendations this organisation owns",
    )
    status = django_filters.ChoiceFilter(choices=ImplementationStatus.choices)
    account = django_filters.ChoiceFilter(choices=StatusUpdate.Account.choices)
    published_since = django_filters.DateFilter(field_name="published_at__date", lookup_expr="gte")
    published_until = django_filters.DateFilter(field_name="published_at__date", lookup_expr="lte")

    def filter_owner(self, queryset: QuerySet, name: str, value: Organisation) -> QuerySet:
        return queryset.filter(
            Q(recommendation__in=value.ownerships.values("recommendation")) | Q(organisation=value)
        )
