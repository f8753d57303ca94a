"""The watch job in a real Celery worker over Redis, as beat runs it (PostgreSQL and Redis
needed; skipped locally without them, required in CI)."""

import pytest

from tests.factories import RecommendationFactory
from tests.factories_leads import WatchedFeedFactory
from tests.test_leads import feed_server  # noqa: F401 - a fixture
from tests.test_worker import postgres, wait_until, worker  # noqa: F401 - fixtures
from tracker import tasks
from tracker.models import Lead, LeadMatch, WatchedFeed

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_the_worker_records_leads_once_and_reports_a_failing_feed(worker, feed_server):  # noqa: F811
    recommendation = RecommendationFactory(watch_terms="Child Protection Authority")
    good = WatchedFeedFactory(url=feed_server.url("/feeds/atom_department.xml"))
    bad = WatchedFeedFactory(url=feed_server.url("/status/500"))

    tasks.watch_sources_task.delay()
    wait_until(
        lambda: WatchedFeed.objects.filter(last_fetched_at__isnull=False).count() == 2,
        what="both feeds fetched",
    )
    lead = Lead.objects.get()
    assert lead.feed == good
    assert LeadMatch.objects.get().recommendation == recommendation
    assert WatchedFeed.objects.get(pk=bad.pk).failure_count == 1

    # Run again for the good feed only (the bad one waits out its backoff): nothing twice.
    first_success = WatchedFeed.objects.get(pk=good.pk).last_success_at
    tasks.watch_sources_task.delay(good.pk)
    wait_until(
        lambda: WatchedFeed.objects.get(pk=good.pk).last_success_at != first_success,
        what="the second run",
    )
    assert (Lead.objects.count(), LeadMatch.objects.count()) == (1, 1)
