"""The recommendation filters, shared by the public table and the JSON API.

Field names are part of public URLs (people link to filtered views) and of the API, so they stay
stable: `report` (report slug), `owner` (organisation slug), `status`, `response`,
`late` (yes/no: overdue, or response late, or both), `overdue` (yes/no: past a deadline or
missed, with no report of delivery), `response_late` (yes/no: not answered, or not decided, by
the date due),
`account` (whose account the headline status rests on), `disputed`
(yes/no: the latest accounts disagree), `q`.

Give the filter `tracker.as_of.recommendations_as_of(as_of)` so that status, response and overdue
are read as they stood on the page's day. Any other recommendation queryset works too: the filter
then annotates what it needs for today.
"""

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from tracker.accounts import with_accounts
from tracker.as_of import with_headline_response
from tracker.models import (
    Account,
    ImplementationStatus,
    Organisation,
    Ownership,
    Report,
    ResponseKind,
)

YES_NO = [("yes", "Yes"), ("no", "No")]
NO_ACCOUNT = "none"
# Whose account the headline status is (the headline rule on /methodology/).
HEADLINE_ACCOUNT_CHOICES = [
    (Account.OWNER.value, "The owner's word (no independent assessment)"),
    (Account.INDEPENDENT.value, "An independent assessment"),
    (Account.AFFECTED.value, "Survivors' and affected people's view only"),
    (NO_ACCOUNT, "No account yet (not yet assessed)"),
]


def _annotated(queryset: QuerySet, name: str) -> bool:
    return name in queryset.query.annotations


def _attributes(attrs: dict) -> str:
    """HTML attributes as Django's `attrs.html` writes them: True bare, False left out."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


def joined(parts) -> str:
    """Pieces of HTML made by `format_html`, one after another (each already safe)."""
    return format_html_join("", "{}", ((part,) for part in parts))


class PlainSelect(forms.Select):
    """A `<select>` written out in Python, with the markup of Django's own.

    Django renders a template for every option; with 160 owners and 150 reports that was a
    third of the table page's time.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final_attrs["multiple"] = True
        wanted = set(self.format_value(value))
        has_selected = False

        def option(option_value, label) -> str:
            nonlocal has_selected
            option_value = "" if option_value is None else str(option_value)
            selected = (not has_selected or self.allow_multiple_selected) and (
                option_value in wanted
            )
            has_selected |= selected
            return format_html(
                '\n  <option value="{}"{}>{}</option>',
                option_value,
                mark_safe(" selected") if selected else "",
                label,
            )

        parts = []
        for option_value, label in self.choices:  # Django's `optgroups`, without its dictionaries
            if isinstance(label, (list, tuple)):
                inner = joined(option(sub_value, sub_label) for sub_value, sub_label in label)
                parts.append(
                    format_html(
                        '\n  <optgroup label="{}">{}\n  </optgroup>',
                        "" if option_value is None else option_value,
                        inner,
                    )
                )
            else:
                parts.append(option(option_value, label))
        return format_html(
            '<select name="{}"{}>{}\n</select>',
            name,
            _attributes(final_attrs),
            joined(parts),
        )


class RecommendationFilter(django_filters.FilterSet):
    report = django_filters.ModelChoiceFilter(
        field_name="report",
        to_field_name="slug",
        # Only what the options show (the report's short name) and what a choice is found by.
        queryset=Report.objects.public()
        .only("slug", "short_name", "published_on")
        .order_by("published_on", "slug"),
        empty_label="All reports",
        label="Report",
        widget=PlainSelect,
    )
    owner = django_filters.ModelChoiceFilter(
        method="filter_owner",
        to_field_name="slug",
        # Organisations that own something public: a semi-join, not a DISTINCT over every
        # ownership.
        queryset=Organisation.objects.filter(
            Exists(Ownership.objects.public().filter(organisation=OuterRef("pk")))
        )
        .only("slug", "name")
        .order_by("name"),
        empty_label="All owners",
        label="Owner",
        widget=PlainSelect,
    )
    status = django_filters.ChoiceFilter(
        method="filter_status",
        choices=ImplementationStatus.choices,
        empty_label="Any status",
        label="Implementation status",
        widget=PlainSelect,
    )
    response = django_filters.ChoiceFilter(
        method="filter_response",
        choices=ResponseKind.choices,
        empty_label="Any response",
        label="Response (lead owner)",
        widget=PlainSelect,
    )
    late = django_filters.ChoiceFilter(
        method="filter_late",
        choices=YES_NO,
        empty_label="Either",
        label="Late (overdue, or response late)",
        widget=PlainSelect,
    )
    overdue = django_filters.ChoiceFilter(
        method="filter_overdue",
        choices=YES_NO,
        empty_label="Either",
        label="Overdue (past a deadline or missed)",
        widget=PlainSelect,
    )
    response_late = django_filters.ChoiceFilter(
        method="filter_response_late",
        choices=YES_NO,
        empty_label="Either",
        label="Not answered or not decided in time",
        widget=PlainSelect,
    )
    account = django_filters.ChoiceFilter(
        method="filter_account",
        choices=HEADLINE_ACCOUNT_CHOICES,
        empty_label="Any account",
        label="Status rests on",
        widget=PlainSelect,
    )
    disputed = django_filters.ChoiceFilter(
        method="filter_disputed",
        choices=YES_NO,
        empty_label="Either",
        label="Accounts disagree",
        widget=PlainSelect,
    )
    q = django_filters.CharFilter(method="filter_text", label="Search title and wording")

    def filter_account(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not _annotated(queryset, "status_then_account"):
            queryset = queryset.annotate(status_then_account=F("status_account"))
        if value == NO_ACCOUNT:
            return queryset.filter(status_then_account__isnull=True)
        return queryset.filter(status_then_account=value)

    def filter_response_late(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not _annotated(queryset, "is_response_late"):
            queryset = with_headline_response(queryset)
        return queryset.filter(is_response_late=(value == "yes"))

    def filter_disputed(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not _annotated(queryset, "is_disputed"):
            queryset = with_accounts(queryset)
        return queryset.filter(is_disputed=(value == "yes"))

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

    def filter_late(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not _annotated(queryset, "is_overdue"):
            queryset = queryset.with_timeliness(timezone.localdate())
        if not _annotated(queryset, "is_response_late"):
            queryset = with_headline_response(queryset)
        late = Q(is_overdue=True) | Q(is_response_late=True)
        return queryset.filter(late) if value == "yes" else queryset.exclude(late)

    def filter_overdue(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not _annotated(queryset, "is_overdue"):
            queryset = queryset.with_timeliness(timezone.localdate())
        return queryset.filter(is_overdue=(value == "yes"))

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        for word in value.split():
            queryset = queryset.filter(Q(title__icontains=word) | Q(text__icontains=word))
        return queryset
