from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tracker.admin.password_reset import QueuedPasswordResetView

admin.site.site_header = "Recommendation tracker: data entry"
admin.site.site_title = "Recommendation tracker"
admin.site.index_title = "Data entry"

urlpatterns = [
    # Password reset, used by contacts' invitations and by "Forgotten your password?" on the login.
    path(
        "admin/password_reset/",
        QueuedPasswordResetView.as_view(),
        name="admin_password_reset",
    ),
    path(
        "admin/password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    path("", include("tracker.urls")),
]

# Error pages in the site's layout (tracker/ops/errors.py); a database outage answers 503.
handler400 = "tracker.ops.errors.bad_request"
handler404 = "tracker.ops.errors.page_not_found"
handler500 = "tracker.ops.errors.server_error"
