"""Rewriting links so that every internal link in a built page names a file in the build (or is
dropped when it cannot work in a static copy), and the project's static files."""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders

from tracker.static_site.plan import file_for, normalise, public_path

STATIC_NOTE = (
    '<p class="note">This is a published copy of the tracker: it cannot filter or search. '
    'Every recommendation is listed on <a href="/recommendations/">All recommendations</a>, '
    'and the <a href="/data/">open data</a> downloads hold them all.</p>'
)


ANCHOR = re.compile(r"<a\b([^>]*?)\bhref=\"([^\"]*)\"([^>]*)>(.*?)</a>", re.DOTALL)


OTHER_LINK = re.compile(r"<(?:link|img|script|source)\b[^>]*?\b(?:href|src)=\"([^\"]*)\"[^>]*>")


GET_FORM = re.compile(r"<form\b[^>]*method=\"get\"[^>]*>.*?</form>", re.DOTALL)
# Pages only the live site can answer, linked to there from a static copy: e-mail subscriptions
# and the site search (the header's search box posts to the live site's search).
LIVE_ONLY_PATH = re.compile(r"^/(?:search/$|(?:reports|owners)/.*subscribe/$)")
SITE_SEARCH_FORM = 'class="site-search"'
AS_OF_FORM = 'class="as-of-form"'


class LinkRewriter:
    """Points every internal link at a file in the build, or drops it."""

    def __init__(self, urls: Iterable[str], static_paths: Iterable[str]):
        self.targets = {normalise(url): public_path(file_for(url)) for url in urls}
        self.targets.update({path: path for path in static_paths})

    def target(self, page_url: str, href: str) -> str | None:
        """The address to keep, or None when the link cannot work in a static copy."""
        raw = html.unescape(href)
        parts = urlsplit(raw)
        if parts.scheme or parts.netloc or raw.startswith("#") or raw == "":
            return href  # another site, an e-mail address, or a place on this page
        resolved = urlsplit(urljoin(page_url, raw))
        found = self.targets.get(normalise(resolved._replace(fragment="").geturl()))
        if found is None and LIVE_ONLY_PATH.match(resolved.path):
            return html.escape(settings.SITE_URL + resolved._replace(fragment="").geturl())
        if found is None:
            return None
        return html.escape(found + (f"#{resolved.fragment}" if resolved.fragment else ""))

    def rewrite(self, page_url: str, text: str) -> str:
        def form(match: re.Match) -> str:
            found = match.group(0)
            if AS_OF_FORM in found:
                return ""  # a static copy shows one day only
            if SITE_SEARCH_FORM not in found:
                return STATIC_NOTE
            return found.replace(
                'action="/search/"', f'action="{html.escape(settings.SITE_URL)}/search/"', 1
            )

        text = GET_FORM.sub(form, text)

        def anchor(match: re.Match) -> str:
            before, href, after, inner = match.groups()
            target = self.target(page_url, href)
            if target is None:
                return inner
            return f'<a{before}href="{target}"{after}>{inner}</a>'

        def other(match: re.Match) -> str:
            target = self.target(page_url, match.group(1))
            if target is None:
                return ""
            return match.group(0).replace(f'"{match.group(1)}"', f'"{target}"', 1)

        return OTHER_LINK.sub(other, ANCHOR.sub(anchor, text))


def static_files() -> dict[str, str]:
    """The project's own static files (`STATICFILES_DIRS`): public path -> file on disk."""
    return {
        settings.STATIC_URL + relative.replace(os.sep, "/"): storage.path(relative)
        for relative, storage in finders.FileSystemFinder().list([])
    }
