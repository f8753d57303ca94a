"""The watch job at scale: 50 feeds of 100 entries each against 9,000 recommendations' terms.

Everything is made in this process: a throwaway SQLite database in a temporary folder (not the
bench database), 9,000 fictional recommendations with three generated watch terms each, and 50
generated RSS documents served by a local HTTP server on 127.0.0.1. It then times the real job,
`tracker.jobs.watch.watch_sources`, end to end (fetch, feedparser, one Aho-Corasick pass per
entry, recording leads), then a second run (conditional GET: every feed answers 304), and the
matching alone.

Run: .venv/bin/python bench/leads.py
"""

from __future__ import annotations

import datetime
import os
import random
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FEEDS, ENTRIES, RECOMMENDATIONS, TERMS_EACH = 50, 100, 9_000, 3
TARGET_SECONDS = 60.0
# Ordinary words for the entries' text, and made-up names for the terms, so that an entry
# matches a recommendation when it names one of its terms, as in real feeds.
WORDS = """advisory agency annual assessment board care case charter children code commissioner
consultation council court data decision duty education evidence framework guidance health
inspection justice legislation local national office online order panel period policy practice
record register regulation research review scheme school service social standard statement
strategy support training tribunal welfare workforce youth""".split()  # noqa: SIM905
SYLLABLES = "ka lo mi ne ru ta ve zo pe si dra len tor mar gul fen hal bri cos nat".split()  # noqa: SIM905


def made_up_name(rng: random.Random) -> str:
    return "".join(rng.choices(SYLLABLES, k=rng.choice((2, 3)))).capitalize()


def generated_terms(rng: random.Random) -> list[list[str]]:
    """Three two- or three-word phrases per recommendation: an ordinary word and made-up names."""
    return [
        [
            " ".join([rng.choice(WORDS), *(made_up_name(rng) for _ in range(rng.choice((1, 2))))])
            for _ in range(TERMS_EACH)
        ]
        for _ in range(RECOMMENDATIONS)
    ]


def feed_body(rng: random.Random, number: int, terms: list[list[str]]) -> bytes:
    items = []
    for entry in range(ENTRIES):
        words = rng.choices(WORDS, k=12)
        if entry % 5 == 0:  # about one entry in five names a recommendation's term
            words[4:4] = rng.choice(rng.choice(terms)).split()
        title = " ".join(words).capitalize()
        summary = " ".join(rng.choices(WORDS, k=40))
        day = 1 + entry % 28
        items.append(
            f"<item><title>Fictional {title}</title>"
            f"<link>https://feeds.example.org/{number}/{entry}</link>"
            f"<guid>https://feeds.example.org/{number}/{entry}</guid>"
            f"<pubDate>Tue, {day:02d} Sep 2026 10:00:00 GMT</pubDate>"
            f"<description>{summary}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Fictional feed {number}</title><link>https://feeds.example.org/{number}</link>"
        f"<description>Generated for the benchmark</description>{''.join(items)}</channel></rss>"
    ).encode()


def serve(bodies: dict[str, bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = bodies[self.path]
            etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    folder = tempfile.mkdtemp(prefix="bench-leads-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/leads.sqlite3"
    os.environ["TRACKER_VAR_DIR"] = folder
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    from bench.common import verdict, write_result
    from tracker.jobs.watch import build_matcher, watch_sources
    from tracker.leads.fetching import parse_feed
    from tracker.models import Lead, LeadMatch, Recommendation, Report, WatchedFeed

    print(f"Setting up a throwaway database in {folder} …")
    call_command("migrate", verbosity=0)
    rng = random.Random(15)  # noqa: S311 - reproducible fictional data
    terms = generated_terms(rng)
    report = Report.objects.create(
        slug="bench-leads", title="Fictional benchmark inquiry", short_name="Bench",
        published_on=datetime.date(2022, 10, 20),
    )  # fmt: skip
    Recommendation.objects.bulk_create(
        [
            Recommendation(
                report=report,
                number=n + 1,
                title=f"Fictional {n + 1}",
                watch_terms="\n".join(terms[n]),
            )
            for n in range(RECOMMENDATIONS)
        ],
        batch_size=1000,
    )
    bodies = {f"/feed-{n}.xml": feed_body(rng, n, terms) for n in range(FEEDS)}
    server = serve(bodies)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    WatchedFeed.objects.bulk_create(
        [WatchedFeed(url=base + path, name=f"Fictional feed {path}") for path in bodies]
    )
    megabytes = sum(map(len, bodies.values())) / 1e6
    print(
        f"{RECOMMENDATIONS:,} recommendations, {TERMS_EACH} terms each; {FEEDS} feeds of "
        f"{ENTRIES} entries ({megabytes:.1f} MB of RSS) on {base}"
    )

    now = datetime.datetime(2026, 9, 30, 6, 20, tzinfo=datetime.UTC)
    started = time.perf_counter()
    first = watch_sources(now)
    first_seconds = time.perf_counter() - started
    if first.failed:
        raise SystemExit("Feeds failed: " + "; ".join(map(str, first.failed)))
    print(f"First run:  {first_seconds:.2f} s — {first}")

    started = time.perf_counter()
    second = watch_sources(now + datetime.timedelta(hours=6))
    second_seconds = time.perf_counter() - started
    print(f"Second run: {second_seconds:.2f} s — {second} (every feed not modified)")

    started = time.perf_counter()
    matcher = build_matcher()
    build_seconds = time.perf_counter() - started
    texts = [  # every entry of every feed, as the job reads them
        entry.text
        for body in bodies.values()
        for entry in parse_feed(body, "application/rss+xml").entries
    ]
    started = time.perf_counter()
    for text in texts:
        matcher.match(text)
    match_seconds = time.perf_counter() - started
    print(
        f"Matching alone: automaton of {matcher.term_count:,} terms built in "
        f"{build_seconds:.2f} s; {len(texts):,} entries matched in {match_seconds:.2f} s"
    )
    server.shutdown()

    result = {
        "feeds": FEEDS,
        "entries_per_feed": ENTRIES,
        "recommendations": RECOMMENDATIONS,
        "distinct_terms": matcher.term_count,
        "rss_megabytes": round(megabytes, 1),
        "first_run_seconds": round(first_seconds, 2),
        "leads_recorded": Lead.objects.count(),
        "lead_matches_recorded": LeadMatch.objects.count(),
        "second_run_seconds": round(second_seconds, 2),
        "second_run_new_leads": second.new_leads,
        "automaton_build_seconds": round(build_seconds, 2),
        "match_seconds_for_all_entries": round(match_seconds, 2),
        "target_seconds": TARGET_SECONDS,
        "verdict": verdict(first_seconds, TARGET_SECONDS),
    }
    print(f"Target: one run well under {TARGET_SECONDS:.0f} s — {result['verdict']}")
    write_result("leads", result)


if __name__ == "__main__":
    main()
