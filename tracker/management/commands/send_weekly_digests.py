"""Send the weekly overdue digests: each e-mail once per contact per ISO week."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tracker.jobs.digests import parse_week, plan_digests, send_weekly_digests, week_of
from tracker.jobs.emails import TransientEmailError, iso_week_key
from tracker.models import EmailLog


class Command(BaseCommand):
    help = (
        "Send this week's digests (or --week YYYY-Www). Running it again sends only what is "
        "missing; --dry-run shows who would get what and sends nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--week", help="ISO week, for example 2026-W02 (default this week).")
        parser.add_argument("--dry-run", action="store_true", help="Show, do not send.")

    def handle(self, *args, week=None, dry_run=False, **options):
        try:
            week_start = parse_week(week) if week else week_of(timezone.localdate())
        except ValueError as error:
            raise CommandError(str(error)) from None
        key = iso_week_key(week_start)
        this_week = week_of(timezone.localdate())
        if week_start > this_week:
            raise CommandError(
                f"{key} has not started yet: give this week ({iso_week_key(this_week)}) or an "
                "earlier one."
            )
        if dry_run:
            self._dry_run(week_start, key)
            return
        try:
            result = send_weekly_digests(week_start)
        except TransientEmailError as error:
            raise CommandError(f"{key}: {error} Run the command again to send the rest.") from None
        self.stdout.write(f"{key}: {result}")

    def _dry_run(self, week_start, key):
        planned = plan_digests(week_start)
        done = dict(
            EmailLog.objects.filter(period_key=key).values_list("address", "status").order_by()
        )
        for item in planned:
            message = item.build()
            state = done.get(item.address, "not sent yet")
            self.stdout.write(f"{item.address} [{state}]: {message.subject}")
        self.stdout.write(f"{key}: {len(planned)} digest(s) planned; nothing was sent (dry run).")
