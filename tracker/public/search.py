"""The site search: reports (with the names they go by), recommendations, owners and updates.

On PostgreSQL it is full-text search with English stemming ("grooming" finds "groomed"):
weighted vectors, each backed by a GIN index over the same expression (tracker/models.py), a
`websearch` query (quotes, `or`, `-word`) and `ts_rank` for the order. On SQLite (local runs,
the default tests) every word must appear in one of the fields, and title matches rank first.

One query per group, whatever the number of rows or matches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL

from tracker.models import (
    SEARCH_CONFIG,
    Organisation,
    Ownership,
    Recommendation,
    Report,
    StatusUpdate,
    search_vector,
)

MAX_QUERY_LENGTH = 200
# Each group lists at most this many; a group with more says so and links to a fuller list.
GROUP_LENGTH = 20

REPORT_VECTOR = search_vector(
    ("short_name", "A"),
    ("title", "A"),
    ("alternative_names", "A"),
    ("chair", "B"),
    ("summary", "C"),
)
OWNER_VECTOR = search_vector(("name", "A"))
# Recommendations and updates are many: their vectors are stored on PostgreSQL (migration 0013).
STORED = "stored"


class InvalidSearch(ValueError):
    """The words searched for cannot be searched; the message says why."""


@dataclass
class Group:
    key: str
    heading: str
    hits: list = field(default_factory=list)
    has_more: bool = False
    singular: str = ""

    @property
    def count_label(self) -> str:
        """“1 report”, “20+ recommendations”."""
        count = len(self.hits)
        noun = self.singular if count == 1 and not self.has_more else self.heading.lower()
        return f"{count}{'+' if self.has_more else ''} {noun}"

    def __post_init__(self) -> None:
        self.has_more = len(self.hits) > GROUP_LENGTH
        self.hits = self.hits[:GROUP_LENGTH]


@dataclass
class SearchResults:
    query: str
    groups: list[Group]

    @property
    def total(self) -> int:
        return sum(len(group.hits) for group in self.groups)

    @property
    def found(self) -> list[Group]:
        return [group for group in self.groups if group.hits]


def clean_query(raw: str | None) -> str:
    query = " ".join((raw or "").split())
    if len(query) > MAX_QUERY_LENGTH:
        raise InvalidSearch(
            f"The search is {len(query)} characters long: use at most {MAX_QUERY_LENGTH}."
        )
    return query


def site_search(query: str) -> SearchResults:
    """Everything that matches `query` (cleaned by `clean_query`), grouped and ranked."""
    if not query:
        return SearchResults(query, [])
    match = _full_text if connection.vendor == "postgresql" else _substring
    reports = match(
        Report.objects.public(),
        REPORT_VECTOR,
        ["short_name", "title", "alternative_names", "chair", "summary"],
        query,
    ).order_by("-rank", "-published_on", "slug")
    recommendations = (
        match(
            Recommendation.objects.public(),
            STORED,
            ["title", "plain_summary", "text"],
            query,
        )
        .select_related("report")
        .order_by("-rank", "report__published_on", "report__slug", "number")
    )
    owners = match(
        Organisation.objects.filter(
            Exists(Ownership.objects.public().filter(organisation=OuterRef("pk")))
        ),
        OWNER_VECTOR,
        ["name"],
        query,
    ).order_by("-rank", "name")
    updates = (
        match(
            StatusUpdate.objects.public(),
            STORED,
            ["summary"],
            query,
        )
        .select_related("recommendation__report", "organisation")
        .order_by("-rank", "-describes_on", "-pk")
    )
    limit = GROUP_LENGTH + 1
    return SearchResults(
        query,
        [
            Group("reports", "Reports", list(reports[:limit]), singular="report"),
            Group(
                "recommendations",
                "Recommendations",
                list(recommendations[:limit]),
                singular="recommendation",
            ),
            Group("owners", "Owners", list(owners[:limit]), singular="owner"),
            Group("updates", "Updates", list(updates[:limit]), singular="update"),
        ],
    )


def _full_text(queryset: QuerySet, vector, fields: list[str], query: str) -> QuerySet:
    if vector == STORED:
        return _stored_vector(queryset, query)
    search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    return (
        queryset.annotate(search=vector)
        .filter(search=search_query)
        .annotate(rank=SearchRank(vector, search_query))
    )


def _stored_vector(queryset: QuerySet, query: str) -> QuerySet:
    """Match and rank on the table's stored `search_vector` column (GIN-indexed, migration 0013),
    so that ranking many matches reads their vectors instead of re-parsing their text."""
    # The table name and the configuration are the code's own; the words searched for are a
    # parameter.
    table = queryset.model._meta.db_table
    tsquery = f"websearch_to_tsquery('{SEARCH_CONFIG}', %s)"
    matches = RawSQL(f"{table}.search_vector @@ {tsquery}", (query,), BooleanField())  # noqa: S611
    rank = RawSQL(f"ts_rank({table}.search_vector, {tsquery})", (query,), FloatField())  # noqa: S611
    return queryset.filter(matches).annotate(rank=rank)


def _substring(queryset: QuerySet, vector, fields: list[str], query: str) -> QuerySet:
    """SQLite: each word in some field; a match in the first field (the name) ranks higher."""
    for word in query.replace('"', " ").split():
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        queryset = queryset.filter(any_field)
    return queryset.annotate(
        rank=Case(
            When(**{f"{fields[0]}__icontains": query}, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )
