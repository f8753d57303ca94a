"""Sources by address: what kind of source a web address is, who publishes it, and its record.

A source is *primary* when the page is the body's own words: the inquiry's own site, GOV.UK and
other government sites, legislation.gov.uk, Parliament (Hansard, written questions, bills), the
Senedd and the Welsh Government, and The National Archives' copies of them. Everything else (press,
law firms, charities, other trackers) is *secondary*. An editor can change a source's kind in the
admin; the domain is only the starting point.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db.models import Count, Prefetch, Q, QuerySet

from tracker.models import (
    Deadline,
    Ownership,
    Recommendation,
    Report,
    Response,
    Source,
    StatusUpdate,
)

PRIMARY, SECONDARY = "primary", "secondary"  # Source.Kind's values; plain, for migrations
# Domain suffix -> publisher; the first that matches names the publisher.
PRIMARY_PUBLISHERS = (
    ("webarchive.nationalarchives.gov.uk", "The National Archives (UK Government Web Archive)"),
    ("legislation.gov.uk", "legislation.gov.uk"),
    ("hansard.parliament.uk", "Hansard (UK Parliament)"),
    ("questions-statements.parliament.uk", "UK Parliament (written questions and statements)"),
    ("bills.parliament.uk", "UK Parliament (bills)"),
    ("committees.parliament.uk", "UK Parliament (committees)"),
    ("parliament.uk", "UK Parliament"),
    ("senedd.wales", "Senedd Cymru"),
    ("gov.wales", "Welsh Government"),
    ("llyw.cymru", "Welsh Government"),
    ("iicsa.org.uk", "Independent Inquiry into Child Sexual Abuse"),
    ("www.gov.uk", "GOV.UK"),
    ("gov.uk", ""),  # other government bodies: the host names them
)


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host


def _matches(host: str, suffix: str) -> bool:
    return host == suffix or host.endswith("." + suffix)


def classify(url: str) -> tuple[str, str]:
    """The kind (primary or secondary) and the publisher a web address suggests."""
    host = _host(url)
    for suffix, publisher in PRIMARY_PUBLISHERS:
        if _matches(host, suffix):
            return PRIMARY, publisher or host.removeprefix("www.")
    return SECONDARY, host.removeprefix("www.") or url


def source_for(
    url: str,
    title: str = "",
    *,
    publisher: str = "",
    published_on: datetime.date | None = None,
    kind: str = "",
    archive_url: str = "",
) -> Source:
    """The source at `url`, created when missing. An existing source is never changed here (an
    editor may have corrected it); blanks on a new one are filled from the address."""
    existing = Source.objects.filter(url=url).first()
    if existing is not None:
        return existing
    guessed_kind, guessed_publisher = classify(url)
    return Source.objects.create(
        url=url,
        title=(title or url)[:300],
        publisher=(publisher or guessed_publisher)[:200],
        published_on=published_on,
        kind=kind or guessed_kind,
        archive_url=archive_url,
    )


# --- What cites a source -------------------------------------------------------------------------


@dataclass(frozen=True)
class Citation:
    """One record that rests on a source: what it is and the page it belongs to."""

    what: str
    label: str
    url: str


# The sources page lists at most this many records of each kind citing a source (a report's own
# publication may be cited by every one of its recommendations), and says how many there are.
CITATIONS_SHOWN = 10


def public_citations() -> dict[str, QuerySet]:
    """The public records citing a source, by kind: published reports' wordings, owners,
    responses and deadlines, and published updates (each a related name of `Source`)."""
    return {
        "reports": Report.objects.public(),
        "recommendation_wordings": Recommendation.objects.public().select_related("report"),
        "ownerships": Ownership.objects.public().select_related(
            "recommendation__report", "organisation"
        ),
        "responses": Response.objects.public().select_related(
            "recommendation__report", "organisation"
        ),
        "deadlines": Deadline.objects.public().select_related("recommendation__report"),
        "updates": StatusUpdate.objects.public().select_related("recommendation__report"),
    }


SOURCE_FIELDS = {
    "reports": "source",
    "recommendation_wordings": "text_source",
    "ownerships": "source",
    "responses": "source",
    "deadlines": "source",
    "updates": "source",
}


def with_public_citations(sources: QuerySet[Source]) -> QuerySet[Source]:
    """Each source with the first `CITATIONS_SHOWN` public records of each kind citing it: one
    query a kind, whatever their number (`citation_counts` says how many there are in all)."""
    return sources.prefetch_related(
        *(
            Prefetch(name, queryset.order_by("pk")[:CITATIONS_SHOWN], to_attr=f"cited_{name}")
            for name, queryset in public_citations().items()
        )
    )


def citation_counts() -> Counter[int]:
    """How many public records cite each source (by its id): one grouped count a kind."""
    counts: Counter[int] = Counter()
    for name, queryset in public_citations().items():
        field = SOURCE_FIELDS[name]
        grouped = (
            queryset.filter(**{f"{field}__isnull": False})
            .order_by()
            .values_list(field)
            .annotate(count=Count("pk"))
        )
        counts.update(dict(grouped))
    return counts


def citations_of(source: Source) -> list[Citation]:
    """The records citing `source`, read from the prefetches of `with_public_citations`."""
    found = [
        Citation("Report", report.title, report.get_absolute_url())
        for report in source.cited_reports
    ]
    found += [
        Citation("Wording", str(rec), rec.get_absolute_url())
        for rec in source.cited_recommendation_wordings
    ]
    for what, related in (
        ("Owner", source.cited_ownerships),
        ("Response", source.cited_responses),
        ("Deadline", source.cited_deadlines),
        ("Update", source.cited_updates),
    ):
        found += [
            Citation(what, str(row.recommendation), row.recommendation.get_absolute_url())
            for row in related
        ]
    return found


def primary_claim_counts() -> tuple[int, int]:
    """How many public claims cite a source, and how many of those cite a primary one.

    A claim is a recommendation's wording, a response, a deadline or a published update.
    """
    groups = (
        Recommendation.objects.public().filter(text_source__isnull=False),
        Response.objects.public().filter(source__isnull=False),
        Deadline.objects.public().filter(source__isnull=False),
        StatusUpdate.objects.public(),
    )
    kind_field = ("text_source__kind", "source__kind", "source__kind", "source__kind")
    total = primary = 0
    for queryset, field in zip(groups, kind_field, strict=True):
        counts = queryset.aggregate(
            total=Count("pk"), primary=Count("pk", filter=Q(**{field: PRIMARY}))
        )
        total += counts["total"]
        primary += counts["primary"]
    return total, primary
