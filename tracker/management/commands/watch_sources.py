"""Fetch the watched feeds and record leads for editors, as the scheduled job does."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tracker.jobs.watch import watch_sources
from tracker.models import WatchedFeed


class Command(BaseCommand):
    help = (
        "Fetch every active watched feed (not waiting out a backoff), match new entries against "
        "every recommendation's watch terms and record leads. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--feed",
            help="Only this feed (its id in the admin), even if inactive or waiting to retry.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Fetch and match, and say what would be recorded; change nothing.",
        )

    def handle(self, *args, feed=None, dry_run=False, **options):
        feed_id = None
        if feed is not None:
            if not feed.isdigit() or not WatchedFeed.objects.filter(pk=int(feed)).exists():
                known = ", ".join(
                    f"{pk} ({name})" for pk, name in WatchedFeed.objects.values_list("pk", "name")
                )
                raise CommandError(
                    f"No watched feed has the id {feed!r}. Known feeds: {known or 'none yet'}."
                )
            feed_id = int(feed)
        result = watch_sources(timezone.now(), feed_id=feed_id, dry_run=dry_run)
        for outcome in result.outcomes:
            self.stdout.write(str(outcome))
            for found in outcome.leads if dry_run else []:
                concerns = "; ".join(
                    f"recommendation {pk}: {', '.join(terms)}"
                    for pk, terms in sorted(found.matches.items())
                )
                self.stdout.write(f"  would record “{found.entry.title}” — {concerns}")
        self.stdout.write(str(result))
