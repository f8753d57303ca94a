"""Mark deadlines and recommendations that became overdue, or stopped being, as of a day."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tracker.jobs.overdue import flag_overdue


def parse_day(value: str) -> datetime.date:
    """A past or present day; the jobs record facts, and a future day has none yet."""
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Give the day as YYYY-MM-DD, not {value!r}.") from None
    today = timezone.localdate()
    if day > today:
        raise CommandError(
            f"{day.isoformat()} is in the future: give today ({today.isoformat()}) "
            "or an earlier day."
        )
    return day


class Command(BaseCommand):
    help = "Record which deadlines and recommendations are overdue today (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="YYYY-MM-DD instead of today (Europe/London).")

    def handle(self, *args, day=None, **options):
        on = parse_day(day) if day else timezone.localdate()
        result = flag_overdue(on)
        self.stdout.write(f"{on:%d %B %Y}: {result}")
