"""Deprecated name of `build_site`, kept for one release so that scripts and cron lines go on
working; it warns and then does exactly what `build_site` does."""

import warnings

from tracker.management.commands import build_site


class Command(build_site.Command):
    help = "Deprecated: use `manage.py build_site`. " + build_site.Command.help

    def handle(self, *args, **options):
        message = "`manage.py publish_site` is deprecated; use `manage.py build_site`."
        warnings.warn(message, DeprecationWarning, stacklevel=2)
        self.stderr.write(message)
        return super().handle(*args, **options)
