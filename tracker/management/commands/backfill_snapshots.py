"""Rebuild past days' snapshots from the ledger (status updates and recorded overdue periods)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tracker.jobs.snapshots import backfill_snapshots
from tracker.management.commands.flag_overdue import parse_day
from tracker.models import Report


class Command(BaseCommand):
    help = (
        "Rebuild the snapshots of every day in a range (default: from the first report's "
        "publication to today). Run flag_overdue first so that overdue periods are recorded."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="last", help="Last day, YYYY-MM-DD (default today).")

    def handle(self, *args, first=None, last=None, **options):
        last_day = parse_day(last) if last else timezone.localdate()
        if first:
            first_day = parse_day(first)
        else:
            earliest = Report.objects.order_by("published_on").values_list("published_on").first()
            if earliest is None:
                self.stdout.write("No reports yet: nothing to rebuild.")
                return
            first_day = earliest[0]
        if last_day < first_day:
            raise CommandError("--to comes before --from.")
        days = backfill_snapshots(first_day, last_day)
        self.stdout.write(f"Rebuilt {days} day(s), {first_day:%d %B %Y} to {last_day:%d %B %Y}.")
