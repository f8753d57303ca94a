"""The "Code to copy" beside a badge: HTML that another site pastes into its own pages.

The snippet is built with every value escaped for the attribute it lands in, then returned as
plain text, so the page escapes it once more for the textarea: what a reader copies is markup
whose titles can never close the `alt` attribute or open a tag.
"""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def badge_embed_code(
    context, page_path: str, badge_path: str, what: str, status_text: str = ""
) -> str:
    site_url = context.get("SITE_URL", "")
    snippet = format_html(
        '<a href="{}"><img src="{}" alt="Status of {}: {}, from {}"></a>',
        f"{site_url}{page_path}",
        f"{site_url}{badge_path}",
        what,
        status_text,
        context.get("SITE_NAME", ""),
    )
    return str.__str__(snippet)
