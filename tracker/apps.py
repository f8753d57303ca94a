from importlib import import_module

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class TrackerConfig(AppConfig):
    default = True
    name = "tracker"
    verbose_name = "Recommendation tracker"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the Celery tasks in every process, so the jobs can enqueue them by name
        # (`tracker.enqueue`) without importing the task module.
        import tracker.tasks  # noqa: F401
        from tracker.admin.roles import ensure_role_groups
        from tracker.data_version import connect_signals
        from tracker.fact_dates import connect_signals as connect_fact_dates
        from tracker.response_clocks import connect_signals as connect_response_clocks
        from tracker.static_site.requests import connect_build_requests

        post_migrate.connect(ensure_role_groups, sender=self)
        connect_signals()
        connect_response_clocks()
        connect_fact_dates()
        connect_build_requests()


class TrackerAdminConfig(admin_apps.AdminConfig):
    """Django's admin app, using the tracker's admin site (tracker/admin/site.py)."""

    default = False  # the tracker app itself is the default config of this module
    default_site = "tracker.admin.site.TrackerAdminSite"

    def ready(self) -> None:
        super().ready()
        for module in (
            "records",
            "status_updates",
            "sources",
            "checks",
            "imports",
            "jobs",
            "leads",
        ):
            import_module(f"tracker.admin.{module}")
