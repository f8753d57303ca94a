"""Mark deadlines and recommendations that became overdue, or stopped being, as of a day."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tracker.jobs.overdue import flag_overdue


def parse_day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Give the day as YYYY-MM-DD, not {value!r}.") from None


class Command(BaseCommand):
    help = "Record which deadlines and recommendations are overdue today (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="YYYY-MM-DD instead of today (Europe/London).")

    def handle(self, *args, day=None, **options):
        on = parse_day(day) if day else timezone.localdate()
        result = flag_overdue(on)
        self.stdout.write(f"{on:%d %B %Y}: {result}")
