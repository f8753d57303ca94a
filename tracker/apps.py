from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Recommendation tracker"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tracker.page_cache import connect_signals
        from tracker.roles import ensure_role_groups

        post_migrate.connect(ensure_role_groups, sender=self)
        connect_signals()
