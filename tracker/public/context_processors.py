import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone

from tracker.as_of import AsOf

# The pages every page links to (navigation and footer).
SITE_PAGES = (
    "home",
    "report_list",
    "recommendation_list",
    "owner_list",
    "changes",
    "compare",
    "data",
    "methodology",
    "search",
    "sources",
)


@functools.cache
def _site_urls(prefix: str, urlconf) -> dict[str, str]:
    return {name: reverse(name, urlconf=urlconf) for name in SITE_PAGES}


def site_urls() -> dict[str, str]:
    """Their addresses, worked out once (per URL prefix) rather than on every page: a static
    build renders 28,000 pages."""
    return _site_urls(get_script_prefix(), get_urlconf())


SITE_DESCRIPTION = (
    "What public inquiries into child sexual abuse recommended, who is responsible for each "
    "recommendation, the deadlines promised, and what has happened since, with sources."
)


# The pages that show status: each offers the date control (`?as_of=`).
STATUS_PAGES = {
    "home",
    "report_list",
    "report_detail",
    "recommendation_detail",
    "recommendation_list",
    "owner_list",
    "owner_detail",
}
# Query parameters the date control does not carry over (the day itself, and the page number).
NOT_CARRIED = {"as_of", "page"}


def date_control(request) -> dict:
    """The date control's hidden fields (the page's other filters) and the query string that
    goes "back to today" with those filters kept."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name not in STATUS_PAGES:
        return {"as_of_control": False, "as_of_hidden_fields": [], "today_query": ""}
    kept = request.GET.copy()
    for name in NOT_CARRIED:
        kept.pop(name, None)
    hidden = [(name, value) for name, values in kept.lists() for value in values]
    encoded = kept.urlencode()
    return {
        "as_of_control": True,
        "as_of_hidden_fields": hidden,
        "today_query": f"?{encoded}" if encoded else "",
    }


def site(request) -> dict:
    """Site-wide facts every page shows: its name, the exits, support services, the "as of" day."""
    as_of = getattr(request, "as_of", None)
    if as_of is None:
        today = timezone.localdate()
        as_of = AsOf(day=today, today=today)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "SITE_DESCRIPTION": SITE_DESCRIPTION,
        "CORRECTIONS_EMAIL": settings.CORRECTIONS_EMAIL,
        "LEAVE_SITE_URL": settings.LEAVE_SITE_URL,
        "SUPPORT_SERVICES": settings.SUPPORT_SERVICES,
        "site_urls": site_urls(),
        "as_of": as_of,
        "as_of_query": f"?as_of={as_of.query_value}" if as_of.is_past else "",
        **date_control(request),
    }
