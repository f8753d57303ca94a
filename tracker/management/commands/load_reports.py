"""Load inquiry reports from YAML files: python manage.py load_reports [FILE ...]."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tracker.intake.loading import ReportFileError, load_report_files


def shipped_report_files() -> list[Path]:
    return sorted((settings.BASE_DIR / "fixtures").glob("*.yaml"))


class Command(BaseCommand):
    help = (
        "Load inquiry reports from YAML report files (default: every fixtures/*.yaml). Each file "
        "is checked whole first; if any file has a problem, every problem is listed and nothing "
        "is written. Loading only creates what is missing: it never changes or deletes a report, "
        "organisation, recommendation, owner, response, deadline or status update already in the "
        "database, so corrections made by editors are kept. Safe to run again. Status updates are "
        "loaded as published, and each recommendation's headline status is computed from them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "files", nargs="*", type=Path, help="Report files to load (YAML, one report each)."
        )

    def handle(self, *args, files: list[Path], **options):
        paths = files or shipped_report_files()
        if not paths:
            raise CommandError(f"No report files found in {settings.BASE_DIR / 'fixtures'}.")
        try:
            summaries = load_report_files(paths)
        except ReportFileError as error:
            raise CommandError(
                "Nothing was loaded. Fix these problems and run the command again:\n"
                + "\n".join(f"  {problem}" for problem in error.problems)
            ) from None
        for summary in summaries:
            self.stdout.write(str(summary))
            for note in summary.notes:
                self.stdout.write(f"  note: {note}")
