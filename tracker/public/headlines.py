"""SQL expressions for a recommendation's headline facts, so lists never query per row."""

from django.db.models import OuterRef, QuerySet, Subquery

from tracker.as_of import with_headline_response
from tracker.models import Ownership, Recommendation


def with_lead_owner(queryset: QuerySet[Recommendation]) -> QuerySet[Recommendation]:
    """Annotate `lead_owner_name` and `lead_owner_slug`."""
    lead = Ownership.objects.leads().filter(recommendation=OuterRef("pk")).order_by()
    return queryset.annotate(
        lead_owner_name=Subquery(lead.values("organisation__name")[:1]),
        lead_owner_slug=Subquery(lead.values("organisation__slug")[:1]),
    )


def with_headlines(queryset: QuerySet[Recommendation]) -> QuerySet[Recommendation]:
    """The lead owner and `headline_response`, the lead owner's latest response (a ResponseKind)."""
    return with_headline_response(with_lead_owner(queryset))
