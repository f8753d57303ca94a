"""Build the public pages as static files and switch the site's path to the new build."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tracker.static_site.build import build_site
from tracker.static_site.folders import BuildError


class Command(BaseCommand):
    help = (
        "Render every public page, feed, calendar and download into a new folder beside DIR and "
        "point DIR (a symbolic link) at it in one atomic step. Serve DIR with any static host."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out",
            metavar="DIR",
            help="The site's path, a symbolic link to the latest build "
            f"(default: PUBLISH_DIR, {settings.PUBLISH_DIR}).",
        )
        parser.add_argument(
            "--only-changed",
            action="store_true",
            help="Re-render only what shows recommendations changed since the current build "
            "(a full build when there is none, or it was made on another day).",
        )

        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            help="Processes rendering pages at once "
            f"(default: PUBLISH_JOBS, {settings.PUBLISH_JOBS}).",
        )

    def handle(self, *args, out=None, only_changed=False, jobs=None, **options):
        jobs = settings.PUBLISH_JOBS if jobs is None else jobs
        if jobs < 1:
            raise CommandError("--jobs must be 1 or more.")
        if out is not None and not out.strip():
            raise CommandError("--out needs a folder path.")
        target = Path(out or settings.PUBLISH_DIR)
        if target.name in ("", ".", ".."):
            raise CommandError(
                f"--out {out!r} must name the link to create, such as var/site, not a folder's "
                "parent or the current folder."
            )
        if target.parent.exists() and not target.parent.is_dir():
            raise CommandError(f"{target.parent} is not a folder.")
        try:
            result = build_site(target, only_changed=only_changed, jobs=jobs)
        except BuildError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(str(result))
