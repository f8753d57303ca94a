"""Django's admin app, using the tracker's admin site (see tracker/admin_site.py)."""

from django.contrib.admin.apps import AdminConfig


class TrackerAdminConfig(AdminConfig):
    default_site = "tracker.admin_site.TrackerAdminSite"
