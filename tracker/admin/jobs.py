"""Admin for what the jobs record: the e-mail log, subscriptions and overdue periods.

All three are written by the jobs and the public forms, so the admin only shows them. Subscribers'
addresses are shown to editors only, never to owners' contacts.
"""

from django.contrib import admin

from tracker.admin.roles import is_editor
from tracker.models import EmailLog, OverduePeriod, Subscription


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EmailLog)
class EmailLogAdmin(ReadOnlyAdmin):
    list_display = ["address", "kind", "period_key", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "kind"]
    search_fields = ["address", "period_key", "subject"]
    list_select_related = ["contact__organisation"]
    date_hierarchy = "created_at"
    fields = [
        "address",
        "kind",
        "period_key",
        "status",
        "contact",
        "subject",
        "message_id",
        "attempts",
        "last_error",
        "created_at",
        "last_attempt_at",
        "sent_at",
    ]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["subject_label", "email", "requested_at", "confirmed_at", "unsubscribed_at"]
    list_filter = [
        ("confirmed_at", admin.EmptyFieldListFilter),
        ("unsubscribed_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["recommendation__report", "report", "organisation"]
    fields = [
        "email",
        "recommendation",
        "report",
        "organisation",
        "requested_at",
        "confirmed_at",
        "unsubscribed_at",
    ]

    @admin.display(description="Subscribed to")
    def subject_label(self, obj: Subscription) -> str:
        return str(obj.subject)

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if is_editor(request.user) else [f for f in shown if f != "email"]

    def get_search_fields(self, request):
        return ["email"] if is_editor(request.user) else []

    def get_fields(self, request, obj=None):
        shown = super().get_fields(request, obj)
        return shown if is_editor(request.user) else [f for f in shown if f != "email"]

    def has_delete_permission(self, request, obj=None):
        # Editors remove a subscription when its owner asks; nobody edits one.
        return is_editor(request.user) and request.user.has_perm("tracker.delete_subscription")


@admin.register(OverduePeriod)
class OverduePeriodAdmin(ReadOnlyAdmin):
    list_display = ["recommendation", "deadline", "started_on", "ended_on"]
    list_filter = [("ended_on", admin.EmptyFieldListFilter)]
    list_select_related = ["recommendation__report", "deadline__recommendation__report"]
    search_fields = ["recommendation__title", "recommendation__report__short_name"]
