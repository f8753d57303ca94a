"""Template filters for recommendation wording and source links."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()

BULLET = re.compile(r"\s*•\s*")
# Where a bulleted item ends and the text goes on: a full stop or an ellipsis, then a capital.
SENTENCE_END = re.compile(r"(?<=[.…])\s+(?=[A-Z\[])")


def wording_blocks(text: str) -> list[tuple[str, str | list[str]]]:
    """The wording as ("p", text) and ("ul", items) blocks. Reports' bullets often arrive run
    into one line ("to: • improve practice; • provide advice; and • inspect. The Authority…"):
    each "•" starts an item, and an item ends at the end of its sentence."""
    blocks: list[tuple[str, str | list[str]]] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        segments = BULLET.split(paragraph.strip())
        if segments[0].strip():
            blocks.append(("p", segments[0].strip()))
        items: list[str] = []
        for segment in segments[1:]:
            end = SENTENCE_END.search(segment)
            if end is None:
                items.append(segment.strip())
                continue
            items.append(segment[: end.start()].strip())
            blocks.append(("ul", items))
            items = []
            blocks.append(("p", segment[end.end() :].strip()))
        if items:
            blocks.append(("ul", items))
    return [(kind, body) for kind, body in blocks if body]


@register.filter
def wording(text: str) -> SafeString:
    """The wording as HTML paragraphs and bulleted lists (every piece escaped)."""
    parts = []
    for kind, body in wording_blocks(text or ""):
        if kind == "p":
            parts.append(format_html("<p>{}</p>", body))
        else:
            items = format_html_join("", "<li>{}</li>", ((item,) for item in body))
            parts.append(format_html("<ul>{}</ul>", items))
    return SafeString("".join(parts))


@register.filter
def source_label(url: str, title: str = "") -> str:
    """A source's title, or where no title is recorded, “a page on example.org”."""
    if title:
        return title
    host = urlsplit(url or "").hostname or ""
    host = host.removeprefix("www.")
    return f"a page on {host}" if host else "Source"
