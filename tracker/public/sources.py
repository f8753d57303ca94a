"""The public list of sources: every document the tracker cites, with what cites it."""

from django.conf import settings
from django.shortcuts import render

from tracker.citations import (
    CITATIONS_SHOWN,
    citation_counts,
    citations_of,
    primary_claim_counts,
    with_public_citations,
)
from tracker.models import Source
from tracker.public.query_params import takes_query


@takes_query()
def sources_page(request):
    sources = list(
        with_public_citations(Source.objects.public()).order_by("kind", "publisher", "title")
    )
    counts = citation_counts()
    for source in sources:
        source.citation_count = counts[source.pk]
    rows = [(source, citations_of(source)) for source in sources]
    return render(
        request,
        "tracker/sources.html",
        {
            "primary_rows": [row for row in rows if row[0].is_primary],
            "secondary_rows": [row for row in rows if not row[0].is_primary],
            "claims": claims(),
            "citations_shown": CITATIONS_SHOWN,
        },
    )


def claims() -> dict[str, int]:
    """How many public claims cite a source, and how many of them a primary one."""
    total, primary = primary_claim_counts()
    return {"total": total, "primary": primary, "secondary": total - primary}


@takes_query()
def methodology(request):
    return render(
        request,
        "tracker/methodology.html",
        {
            "claims": claims(),
            # The rules of tracker.as_of and tracker.public.tables, stated with their settings.
            "response_due_days": settings.RESPONSE_DUE_DAYS,
            "due_soon_days": settings.DUE_SOON_DAYS,
            "check_every_days": settings.CHECK_EVERY_DAYS,
        },
    )
