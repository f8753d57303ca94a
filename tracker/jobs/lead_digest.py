"""What the editors' weekly oversight digest says about leads: the leads waiting for review,
per recommendation (of published reports only, like the rest of the digest), and the watched
feeds that are failing."""

from collections import defaultdict
from dataclasses import dataclass

from django.urls import reverse

from tracker.jobs.emails import absolute_url
from tracker.models import LeadMatch, Recommendation, WatchedFeed

TITLES_PER_RECOMMENDATION = 5


@dataclass(frozen=True)
class LeadGroup:
    recommendation: Recommendation
    count: int
    titles: list[str]
    review_url: str

    @property
    def more(self) -> int:
        return self.count - len(self.titles)


def leads_for_oversight() -> dict:
    """The digest's context about leads, in two queries."""
    queue = reverse("admin:tracker_lead_changelist")
    grouped: dict[int, list[LeadMatch]] = defaultdict(list)
    recommendations = {}
    waiting = (
        LeadMatch.objects.filter(lead__state="new")
        .filter(recommendation__in=Recommendation.objects.public())
        .select_related("lead", "recommendation__report")
        .order_by("lead__published_at", "lead__pk")
    )
    for match in waiting:
        grouped[match.recommendation_id].append(match)
        recommendations[match.recommendation_id] = match.recommendation
    groups = [
        LeadGroup(
            recommendation=recommendations[pk],
            count=len(matches),
            titles=[m.lead.title for m in reversed(matches)][:TITLES_PER_RECOMMENDATION],
            review_url=absolute_url(f"{queue}?recommendation={pk}&state=new"),
        )
        for pk, matches in grouped.items()
    ]
    groups.sort(key=lambda g: (g.recommendation.report.published_on, g.recommendation.number))
    return {
        "lead_groups": groups,
        "failing_feeds": list(WatchedFeed.objects.filter(active=True, failure_count__gt=0)),
        "feeds_url": absolute_url(
            reverse("admin:tracker_watchedfeed_changelist") + "?health=failing"
        ),
    }
