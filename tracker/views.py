"""Public pages. Each view builds its context from named queryset methods; no per-row queries."""

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, render

from tracker.models import (
    Deadline,
    ImplementationStatus,
    Organisation,
    Ownership,
    Recommendation,
    Report,
    Response,
    StatusUpdate,
)


def home(request):
    reports = Report.objects.annotate(
        recommendation_count=Count("recommendations"),
        implemented_count=Count(
            "recommendations", filter=Q(recommendations__status=ImplementationStatus.IMPLEMENTED)
        ),
        overdue_count=Count(
            "recommendations", filter=Q(recommendations__overdue_since__isnull=False)
        ),
    )
    return render(request, "tracker/home.html", {"reports": reports})


def report_detail(request, slug: str):
    report = get_object_or_404(Report, slug=slug)
    recommendations = report.recommendations.prefetch_related(
        Prefetch("ownerships", queryset=Ownership.objects.select_related("organisation"))
    )
    return render(
        request,
        "tracker/report_detail.html",
        {"report": report, "recommendations": recommendations},
    )


def recommendation_detail(request, slug: str, number: int):
    recommendation = get_object_or_404(
        Recommendation.objects.select_related("report"), report__slug=slug, number=number
    )
    context = {
        "recommendation": recommendation,
        "report": recommendation.report,
        "ownerships": recommendation.ownerships.select_related("organisation"),
        "responses": Response.objects.filter(recommendation=recommendation).select_related(
            "organisation"
        ),
        "deadlines": Deadline.objects.filter(recommendation=recommendation).select_related(
            "organisation", "supersedes"
        ),
        "updates": StatusUpdate.objects.published()
        .filter(recommendation=recommendation)
        .select_related("organisation", "corrects"),
    }
    return render(request, "tracker/recommendation_detail.html", context)


def owner_detail(request, slug: str):
    organisation = get_object_or_404(Organisation, slug=slug)
    ownerships = organisation.ownerships.select_related("recommendation__report")
    return render(
        request,
        "tracker/owner_detail.html",
        {"organisation": organisation, "ownerships": ownerships},
    )
