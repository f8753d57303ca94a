"""Load a file written by export_all into a fresh database: python manage.py import_all FILE."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker.intake.portability import PortabilityError, import_all


class Command(BaseCommand):
    help = (
        "Load every record from FILE (written by export_all) into this database, in one "
        "transaction: if anything in the file is wrong, nothing is written. Run `migrate` first. "
        "Files of format version 1 and files written at older migrations are converted as they "
        "are read; a file from a newer tracker is refused. A database that already holds "
        "records is refused unless --force is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="A file written by export_all.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Delete every record already in the database (except the groups) and replace "
            "them with the file's, in the same transaction.",
        )

    def handle(self, *args, file: Path, force: bool, **options):
        try:
            imported = import_all(file, force=force)
        except PortabilityError as error:
            raise CommandError(f"Nothing was imported. {error}") from None
        total = sum(imported.counts.values())
        self.stdout.write(f"Imported {total} records from {file}.")
        for note in imported.notes:
            self.stdout.write(note)
        for label, count in sorted(imported.counts.items()):
            self.stdout.write(f"  {label}: {count}")
