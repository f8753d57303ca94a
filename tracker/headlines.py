"""SQL expressions for a recommendation's headline facts, so lists never query per row."""

from django.db.models import OuterRef, QuerySet, Subquery

from tracker.models import Ownership, Recommendation, Response


def lead_ownerships():
    return Ownership.objects.filter(recommendation=OuterRef("pk"), role=Ownership.Role.LEAD)


def lead_responses():
    """The lead owner's responses, latest first: the first is the headline response."""
    lead = lead_ownerships().values("organisation")[:1]
    return Response.objects.filter(
        recommendation=OuterRef("pk"), organisation=Subquery(lead)
    ).order_by("-responded_on", "-pk")


def with_headlines(queryset: QuerySet[Recommendation]) -> QuerySet[Recommendation]:
    """Annotate `lead_owner_name`, `lead_owner_slug` and `headline_response` (a ResponseKind)."""
    return queryset.annotate(
        lead_owner_name=Subquery(lead_ownerships().values("organisation__name")[:1]),
        lead_owner_slug=Subquery(lead_ownerships().values("organisation__slug")[:1]),
        headline_response=Subquery(lead_responses().values("kind")[:1]),
    )
