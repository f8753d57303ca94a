"""The watch job: real feed documents served by a local HTTP server, matched against watch terms
and recorded as leads once; every way a feed can fail is handled, reported and backed off."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from tests.factories import RecommendationFactory
from tests.factories_leads import WatchedFeedFactory
from tests.feed_server import start_feed_server
from tracker.jobs.watch import backoff, watch_sources
from tracker.leads.matching import TermMatcher, WatchList
from tracker.leads.terms import default_watch_terms, split_terms
from tracker.models import Lead, LeadMatch, WatchedFeed

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 21, 6, 20, tzinfo=datetime.UTC)


@pytest.fixture
def feed_server():
    server, thread = start_feed_server()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def watched(feed_server):
    """Recommendations with terms, and the two good feeds."""
    reporting = RecommendationFactory(
        title="Mandatory reporting", watch_terms="mandatory reporting\nmandated reporters"
    )
    authority = RecommendationFactory(
        title="Child Protection Authorities",
        watch_terms="Child Protection Authority",
    )
    limitation = RecommendationFactory(
        title="Civil claims", watch_terms="limitation period", watch_exclude="Scotland"
    )
    compensation = RecommendationFactory(
        title="Compensation", watch_terms="criminal injuries compensation"
    )
    grooming = RecommendationFactory(title="Group-based exploitation", watch_terms="grooming gangs")
    atom = WatchedFeedFactory(
        url=feed_server.url("/feeds/atom_department.xml"),
        name="Example Department",
        publisher="Example Department",
    )
    rss = WatchedFeedFactory(
        url=feed_server.url("/feeds/rss_regulator_latin1.xml"),
        name="Example Regulator",
        publisher="",
        default_kind=WatchedFeed.SourceKind.SECONDARY,
    )
    return {
        "reporting": reporting,
        "authority": authority,
        "limitation": limitation,
        "compensation": compensation,
        "grooming": grooming,
        "atom": atom,
        "rss": rss,
    }


def matched(lead: Lead) -> dict[int, list[str]]:
    return {m.recommendation_id: m.terms for m in lead.matches.all()}


# --- Watch terms and matching --------------------------------------------------------------------


def test_default_terms_come_from_the_title_and_the_names_in_the_wording():
    terms = default_watch_terms(
        "Mandatory reporting",
        "The inquiry recommends that the UK government and the Welsh Government introduce a duty, "
        "overseen by the Disclosure and Barring Service, amending the Children Act 1989. "
        "A Child Protection Authority should follow.",
    )
    assert terms == [
        "mandatory reporting",
        "Disclosure and Barring Service",
        "Children Act 1989",
        "Child Protection Authority",
    ]
    # A long title is not a term; owners' names and the subject itself are too general.
    assert default_watch_terms("A single set of core data relating to child abuse", "") == []


def test_terms_are_one_per_line_without_blanks_or_repeats():
    assert split_terms(" mandatory  reporting \n\nMandatory reporting\nlimitation period\n") == [
        "mandatory reporting",
        "limitation period",
    ]


def test_the_matcher_finds_whole_words_in_any_case_and_applies_exclusions():
    matcher = TermMatcher(
        [
            WatchList(1, ["limitation period", "grooming"], ["Scotland"]),
            WatchList(2, ["Child Protection Authority"], []),
            WatchList(3, ["child protection authority", "LIMITATION PERIOD"], []),
        ]
    )
    text = "Consultation on the Limitation-period; a CHILD PROTECTION AUTHORITY for England"
    assert matcher.match(text) == {
        1: ["limitation period"],
        2: ["Child Protection Authority"],
        3: ["child protection authority", "LIMITATION PERIOD"],
    }
    assert matcher.match("Limitation period in Scotland") == {3: ["LIMITATION PERIOD"]}
    assert matcher.match("groomingly limitations periods") == {}
    assert TermMatcher([]).match("anything") == {}


# --- The job over HTTP ---------------------------------------------------------------------------


def test_the_job_records_leads_from_atom_and_rss_with_what_matched(watched, feed_server):
    result = watch_sources(NOW)

    assert result.new_leads == 5
    assert not result.failed
    atom_leads = {lead.title: lead for lead in Lead.objects.filter(feed=watched["atom"])}
    assert set(atom_leads) == {
        "Fictional consultation: draft guidance on Mandatory Reporting for example settings",
        "Fictional news: next steps for the Child Protection Authority",
    }
    news = atom_leads["Fictional news: next steps for the Child Protection Authority"]
    assert matched(news) == {
        watched["authority"].pk: ["Child Protection Authority"],
        watched["limitation"].pk: ["limitation period"],
    }
    assert (
        news.link == "https://www.example.org/government/news/example-protection-authority-update"
    )
    assert news.published_at == datetime.datetime(2026, 11, 18, 14, 0, tzinfo=datetime.UTC)
    assert news.publisher == "Example Department"
    assert news.state == Lead.State.NEW
    # "limitation period … in Scotland" is excluded by that recommendation's exclusions.
    assert not Lead.objects.filter(title__contains="Scotland").exists()

    rss_leads = {lead.entry_key: lead for lead in Lead.objects.filter(feed=watched["rss"])}
    code = rss_leads["regulator-news-4711"]  # a guid that is not a link
    assert code.title == (
        "Fictional code of practice on criminal injuries compensation & limitation"
    )
    assert code.summary == (
        "The regulator\u2019s invented code covers Criminal Injuries Compensation "
        "for naïve applicants."
    )
    assert code.publisher == "Example Regulator \u2013 news"  # the feed's own title, entity decoded
    assert code.published_at == datetime.datetime(2026, 11, 3, 9, 5, tzinfo=datetime.UTC)
    assert matched(code) == {watched["compensation"].pk: ["criminal injuries compensation"]}
    review = rss_leads["https://regulator.example.org/news/2026/review-terms"]
    assert (
        review.title == "Fictional café inspection: grooming gangs review \u2013 terms of reference"
    )
    assert review.published_at == datetime.datetime(2026, 11, 4, 16, 0, tzinfo=datetime.UTC)
    assert "£" in review.summary
    undated = Lead.objects.get(title__contains="no date")
    assert undated.published_at is None
    assert undated.link == feed_server.url("/news/2026/relative-link-staffing")  # made absolute

    feed = WatchedFeed.objects.get(pk=watched["atom"].pk)
    assert feed.etag
    assert feed.last_modified
    assert feed.last_success_at == NOW
    assert feed.failure_count == 0


def test_a_second_run_records_no_duplicate_leads(watched, feed_server):
    watch_sources(NOW)
    leads, matches = Lead.objects.count(), LeadMatch.objects.count()

    second = watch_sources(NOW + datetime.timedelta(hours=6))
    assert [o.state for o in second.outcomes] == ["not modified", "not modified"]
    path, headers = feed_server.requests[-1]
    assert headers["If-None-Match"] == WatchedFeed.objects.get(url__endswith=path).etag

    # A server that ignores conditional GET and sends everything again: still nothing twice.
    WatchedFeed.objects.update(etag="", last_modified="")
    third = watch_sources(NOW + datetime.timedelta(hours=12))
    assert [o.state for o in third.outcomes] == ["read", "read"]
    assert third.new_leads == 0
    assert (Lead.objects.count(), LeadMatch.objects.count()) == (leads, matches)


def test_new_entries_in_a_changed_feed_become_leads(watched, feed_server):
    feed = WatchedFeedFactory(url=feed_server.url("/changing.xml"), name="Changing feed")
    feed_server.bodies["/changing.xml"] = rss_with(["Fictional first mandatory reporting item"])
    watch_sources(NOW, feed_id=feed.pk)
    feed_server.bodies["/changing.xml"] = rss_with(
        ["Fictional first mandatory reporting item", "Fictional second mandatory reporting item"]
    )
    result = watch_sources(NOW, feed_id=feed.pk)
    assert [f.entry.title for f in result.outcomes[0].leads] == [
        "Fictional second mandatory reporting item"
    ]
    assert Lead.objects.filter(feed=feed).count() == 2


def rss_with(titles: list[str]) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>https://www.example.org/{n}</link>"
        f"<guid>https://www.example.org/{n}</guid></item>"
        for n, title in enumerate(titles)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Changing</title>{items}'
        "</channel></rss>"
    ).encode()


FAILURES = {
    "/status/500": "The server answered HTTP 500.",
    "/status/404": "The server answered HTTP 404.",
    "/slow": "No answer within 1 seconds.",
    "/feeds/broken.xml": "Not a readable Atom or RSS feed",
    "/feeds/not_a_feed.html": "Not a readable Atom or RSS feed",
    "/huge": "larger than the limit of 5 MB",
    "/huge-declared": "larger than the limit of 5 MB",
    "/loop": "More than 5 redirects (a redirect loop?)",
}


def test_bad_feeds_are_reported_backed_off_and_never_stop_the_job(watched, feed_server, settings):
    settings.WATCH_FETCH_TIMEOUT_SECONDS = 1
    feed_server.slow_seconds = 3
    bad = {
        path: WatchedFeedFactory(url=feed_server.url(path), name=f"Bad {path}") for path in FAILURES
    }

    result = watch_sources(NOW)

    assert result.new_leads == 5  # the good feeds were read all the same
    assert {o.feed.pk for o in result.failed} == {feed.pk for feed in bad.values()}
    for path, feed in bad.items():
        feed.refresh_from_db()
        assert FAILURES[path] in feed.last_error, path
        assert feed.failure_count == 1
        assert feed.is_failing
        assert feed.next_attempt_at == NOW + datetime.timedelta(hours=1)
        assert feed.last_success_at is None

    # An hour later the bad feeds are skipped (backoff); the good ones are fetched again.
    later = watch_sources(NOW + datetime.timedelta(minutes=30))
    assert {o.feed.pk for o in later.outcomes} == {watched["atom"].pk, watched["rss"].pk}

    # After the backoff a failing feed is tried again, and waits twice as long after failing.
    again = watch_sources(NOW + datetime.timedelta(hours=1, minutes=1))
    assert len(again.failed) == len(FAILURES)
    bad["/status/500"].refresh_from_db()
    assert bad["/status/500"].failure_count == 2
    assert bad["/status/500"].next_attempt_at == NOW + datetime.timedelta(hours=3, minutes=1)

    # A feed that works again is cleared of its failures.
    feed = bad["/status/500"]
    watched["atom"].delete()
    WatchedFeed.objects.filter(pk=feed.pk).update(url=feed_server.url("/feeds/atom_department.xml"))
    watch_sources(NOW + datetime.timedelta(days=1), feed_id=feed.pk)
    feed.refresh_from_db()
    assert (feed.failure_count, feed.last_error, feed.next_attempt_at) == (0, "", None)


def test_backoff_doubles_up_to_the_maximum(settings):
    settings.WATCH_BACKOFF_BASE_MINUTES = 60
    settings.WATCH_BACKOFF_MAX_HOURS = 48
    hours = [backoff(n) / datetime.timedelta(hours=1) for n in range(1, 9)]
    assert hours == [1, 2, 4, 8, 16, 32, 48, 48]


def test_inactive_feeds_are_not_fetched(watched, feed_server):
    WatchedFeed.objects.filter(pk=watched["rss"].pk).update(active=False)
    result = watch_sources(NOW)
    assert [o.feed.pk for o in result.outcomes] == [watched["atom"].pk]


# --- The command ---------------------------------------------------------------------------------


def run_command(*args) -> str:
    out = io.StringIO()
    call_command("watch_sources", *args, stdout=out)
    return out.getvalue()


def test_the_command_runs_one_feed_and_says_what_it_found(watched, feed_server):
    output = run_command("--feed", str(watched["rss"].pk))
    assert "Example Regulator: 4 entries, 3 new lead(s)" in output
    assert "1 feed(s) fetched, 0 failed; recorded 3 new lead(s)." in output
    assert not Lead.objects.filter(feed=watched["atom"]).exists()


def test_a_dry_run_says_what_it_would_record_and_changes_nothing(watched, feed_server):
    output = run_command("--dry-run")
    assert "would record 5 new lead(s)" in output
    assert "would record “Fictional news: next steps for the Child Protection Authority”" in output
    assert not Lead.objects.exists()
    assert not WatchedFeed.objects.exclude(etag="").exists()
    assert not WatchedFeed.objects.filter(last_fetched_at__isnull=False).exists()


@pytest.mark.parametrize("value", ["999", "abc", "-1"])
def test_an_unknown_feed_is_a_clear_error_and_changes_nothing(watched, value):
    with pytest.raises(CommandError, match=f"No watched feed has the id '{value}'"):
        run_command("--feed", value)
    assert not Lead.objects.exists()


def test_beat_runs_the_job_every_six_hours_by_default(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["watch-sources"]
    assert entry["task"] == "tracker.watch_sources"
    assert entry["schedule"].hour == {0, 6, 12, 18}
