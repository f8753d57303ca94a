"""Add one fictional demo contact per owner, so a newcomer can run the digest and read it."""

from django.conf import settings
from django.core.management.base import BaseCommand

from tracker.models import Contact, Organisation

DEMO_NAME = "Demo contact (fictional)"


def demo_email(organisation: Organisation) -> str:
    return f"demo.{organisation.slug}@example.org"


class Command(BaseCommand):
    help = (
        "Create a fictional demo contact (@example.org, marked as demo) for each owner, for local "
        "use only. --remove deletes them. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--remove", action="store_true", help="Delete every demo contact.")

    def handle(self, *args, remove=False, **options):
        if remove:
            count, _ = Contact.objects.filter(is_demo=True).delete()
            self.stdout.write(f"Removed {count} demo contact(s) and their records.")
            return
        if settings.EMAIL_HOST:
            self.stdout.write(
                "EMAIL_HOST is set, so this may be a real installation: no demo contacts were "
                "added. They are for local use, where e-mails are written to files under var/mail/."
            )
            return
        created = 0
        for organisation in Organisation.objects.order_by("name"):
            _, was_created = Contact.objects.get_or_create(
                email=demo_email(organisation),
                defaults={"organisation": organisation, "name": DEMO_NAME, "is_demo": True},
            )
            created += was_created
        self.stdout.write(
            f"{created} demo contact(s) created ({Contact.objects.filter(is_demo=True).count()} in "
            "all). They are fictional, at example.org, and marked as demo in the admin."
        )
