"""Import a whole new inquiry (report, recommendations, owners, responses) from one CSV file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker.intake.csv_rows import ImportRefused
from tracker.intake.importing import import_inquiry


class Command(BaseCommand):
    help = (
        "Import a new inquiry from a CSV file (format in docs/data-formats.md). The file is "
        "checked whole: if any row is bad, every problem is listed and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file, UTF-8 (with or without a byte-order mark)")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check the file and say what would be created, without writing anything",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}") from None

        try:
            plan = import_inquiry(content, dry_run=options["dry_run"])
        except ImportRefused as refused:
            for error in refused.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{path} was refused with {len(refused.errors)} problem(s); nothing was written."
            ) from None

        for line in plan.summary_lines():
            self.stdout.write(line)
        if options["dry_run"]:
            self.stdout.write("Dry run: the file is valid; nothing was written.")
            return
        self.stdout.write(self.style.SUCCESS(f"Imported {path}."))
        if plan.new_reports:
            self.stdout.write(
                "The new report(s) are not published: nothing of them is on the public pages "
                "until an editor publishes them (admin: Reports, action “Publish selected "
                "reports”)."
            )
