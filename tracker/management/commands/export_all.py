"""Write every record, with its history, to one file: python manage.py export_all FILE."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker.intake.portability import export_all


class Command(BaseCommand):
    help = (
        "Write every record to FILE (JSON lines; gzipped when the name ends in .gz): reports, "
        "organisations, contacts, recommendations, owners, responses, deadlines, status updates "
        "(drafts too), their full change history, overdue periods, snapshots, the e-mail log, "
        "subscriptions, users, groups and the admin's change log. The file holds personal data "
        "(contacts' and subscribers' e-mail addresses) and password hashes: keep it as safe as "
        "the database. Read it back with import_all."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="Where to write (replaced when complete).")

    def handle(self, *args, file: Path, **options):
        if not file.parent.is_dir():
            raise CommandError(f"{file.parent} is not a folder.")
        try:
            counts = export_all(file)
        except OSError as error:
            raise CommandError(f"Cannot write {file}: {error}") from None
        total = sum(counts.values())
        self.stdout.write(f"Wrote {total} records to {file}.")
        for label, count in sorted(counts.items()):
            self.stdout.write(f"  {label}: {count}")
