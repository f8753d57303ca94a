"""Create a local superuser for `make run` once, and say how to log in."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Create the local 'admin' superuser once (password kept in var/) and print how to log in."
    )

    def handle(self, *args, **options):
        if not settings.SITE_IS_LOCAL:
            raise CommandError(
                f"ensure_local_admin is for a tracker on this machine only, and SITE_URL is "
                f"{settings.SITE_URL}. In production, create accounts with createsuperuser."
            )
        password_file = settings.VAR_DIR / "admin-password"
        User = get_user_model()
        if not password_file.exists() or not User.objects.filter(username="admin").exists():
            password = secrets.token_urlsafe(12)
            user, _ = User.objects.get_or_create(
                username="admin", defaults={"email": "admin@example.org"}
            )
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
            password_file.write_text(password)
            password_file.chmod(0o600)
        password = password_file.read_text().strip()
        self.stdout.write(
            f"Admin: {settings.SITE_URL}/admin/  user: admin  password: {password}\n"
            f"(the password is kept in {password_file})"
        )
