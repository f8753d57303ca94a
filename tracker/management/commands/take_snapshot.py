"""Store the day's figures per report and per owner; running it again replaces that day's rows."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from tracker.jobs.snapshots import take_snapshot
from tracker.management.commands.flag_overdue import parse_day


class Command(BaseCommand):
    help = "Write today's accountability figures (run flag_overdue first). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="YYYY-MM-DD instead of today (Europe/London).")

    def handle(self, *args, day=None, **options):
        on = parse_day(day) if day else timezone.localdate()
        rows = take_snapshot(on)
        self.stdout.write(f"{on:%d %B %Y}: {rows} snapshot row(s) written.")
