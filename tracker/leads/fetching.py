"""Fetching a watched feed safely, and reading it with feedparser.

One request per feed: a timeout on connecting and on each read, a deadline for the whole body,
conditional GET (ETag / Last-Modified), a cap on redirects and a cap on the body's size (read in
chunks and abandoned past it). Every way a feed can fail becomes a `FeedError` whose message an
editor can act on; nothing here touches the database.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import time
from dataclasses import dataclass, field

import feedparser
import requests
from django.conf import settings
from django.utils.html import strip_tags

USER_AGENT = "recommendation-tracker feed watcher (+{site})"
MAX_KEY_LENGTH = 500
MAX_LINK_LENGTH = 500


class FeedError(Exception):
    """The feed could not be fetched or read; the message says why, for the admin."""


@dataclass(frozen=True)
class FeedEntry:
    key: str
    title: str
    link: str
    published_at: datetime.datetime | None
    summary: str
    categories: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """What the matcher reads: title, summary and categories."""
        return " \n ".join([self.title, self.summary, *self.categories])


@dataclass
class FetchedFeed:
    not_modified: bool
    entries: list[FeedEntry] = field(default_factory=list)
    title: str = ""
    etag: str = ""
    last_modified: str = ""
    warning: str = ""


@dataclass(frozen=True)
class FetchLimits:
    timeout: float
    max_bytes: int
    max_redirects: int

    @classmethod
    def from_settings(cls) -> FetchLimits:
        return cls(
            timeout=settings.WATCH_FETCH_TIMEOUT_SECONDS,
            max_bytes=settings.WATCH_MAX_FEED_BYTES,
            max_redirects=settings.WATCH_MAX_REDIRECTS,
        )


def fetch_feed(
    url: str, etag: str = "", last_modified: str = "", limits: FetchLimits | None = None
) -> FetchedFeed:
    limits = limits or FetchLimits.from_settings()
    headers = {
        "User-Agent": USER_AGENT.format(site=settings.SITE_URL),
        "Accept": "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.5",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    with requests.Session() as session:
        session.max_redirects = limits.max_redirects
        try:
            response = session.get(url, headers=headers, timeout=limits.timeout, stream=True)
        except requests.TooManyRedirects:
            raise FeedError(
                f"More than {limits.max_redirects} redirects (a redirect loop?)."
            ) from None
        except requests.Timeout:
            raise FeedError(f"No answer within {limits.timeout:g} seconds.") from None
        except requests.ConnectionError as error:
            raise FeedError(f"Could not connect: {_first_line(error)}") from None
        except requests.RequestException as error:
            raise FeedError(f"The request failed: {_first_line(error)}") from None
        with response:
            if response.status_code == 304:
                return FetchedFeed(not_modified=True, etag=etag, last_modified=last_modified)
            if response.status_code != 200:
                raise FeedError(f"The server answered HTTP {response.status_code}.")
            body = _read_capped(response, limits)
            fetched = parse_feed(body, response.headers.get("Content-Type", ""), response.url)
            fetched.etag = response.headers.get("ETag", "")[:500]
            fetched.last_modified = response.headers.get("Last-Modified", "")[:100]
            return fetched


def _read_capped(response: requests.Response, limits: FetchLimits) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise FeedError(f"The feed is larger than the limit of {_megabytes(limits.max_bytes)}.")
    deadline = time.monotonic() + limits.timeout * 3
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(chunk_size=64 * 1024):
            size += len(chunk)
            if size > limits.max_bytes:
                raise FeedError(
                    f"The feed is larger than the limit of {_megabytes(limits.max_bytes)}."
                )
            if time.monotonic() > deadline:
                raise FeedError(f"The feed took longer than {limits.timeout * 3:g} seconds.")
            chunks.append(chunk)
    except requests.RequestException as error:
        raise FeedError(f"The connection broke while reading: {_first_line(error)}") from None
    return b"".join(chunks)


def parse_feed(body: bytes, content_type: str = "", location: str = "") -> FetchedFeed:
    """Read an Atom or RSS document with feedparser (which copes with odd dates, entities and
    encodings); FeedError when it is not a feed at all."""
    parsed = feedparser.parse(
        body, response_headers={"content-type": content_type, "content-location": location}
    )
    if not parsed.entries and (parsed.bozo or not parsed.version):
        problem = parsed.get("bozo_exception")
        detail = f" ({_first_line(problem)})" if problem else ""
        raise FeedError(f"Not a readable Atom or RSS feed{detail}.")
    warning = ""
    if parsed.bozo:
        warning = f"Read despite a fault in the document: {_first_line(parsed.bozo_exception)}"
    entries = [entry for entry in map(_entry, parsed.entries) if entry is not None]
    return FetchedFeed(
        not_modified=False,
        entries=entries,
        title=_plain(parsed.feed.get("title", "")),
        warning=warning,
    )


def _entry(raw) -> FeedEntry | None:
    title = _plain(raw.get("title", ""))
    link = raw.get("link", "")
    if not link.startswith(("http://", "https://")) or len(link) > MAX_LINK_LENGTH:
        link = ""
    if not title and not link:
        return None
    # dict.get: the entry's own keys, without feedparser's deprecated published/updated aliasing
    published = dict.get(raw, "published_parsed") or dict.get(raw, "updated_parsed")
    published_at = datetime.datetime(*published[:6], tzinfo=datetime.UTC) if published else None
    key = raw.get("id") or link or f"{title}|{published_at}"
    if len(key) > MAX_KEY_LENGTH:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    categories = tuple(t.get("term", "") for t in raw.get("tags", []) if t.get("term"))
    return FeedEntry(
        key=key,
        title=(title or link)[:500],
        link=link,
        published_at=published_at,
        summary=_plain(raw.get("summary", "")),
        categories=categories,
    )


def _plain(value: str) -> str:
    return " ".join(html.unescape(strip_tags(value)).split())


def _first_line(error: object) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:300]


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB"
