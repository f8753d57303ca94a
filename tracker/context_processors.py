from django.conf import settings
from django.utils import timezone

from tracker.as_of import AsOf


def site(request) -> dict:
    """Site-wide facts every page shows: its name, the exits, support services, the "as of" day."""
    as_of = getattr(request, "as_of", None)
    if as_of is None:
        today = timezone.localdate()
        as_of = AsOf(day=today, today=today)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "CORRECTIONS_EMAIL": settings.CORRECTIONS_EMAIL,
        "LEAVE_SITE_URL": settings.LEAVE_SITE_URL,
        "SUPPORT_SERVICES": settings.SUPPORT_SERVICES,
        "as_of": as_of,
        "as_of_query": f"?as_of={as_of.query_value}" if as_of.is_past else "",
    }
