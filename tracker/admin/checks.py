"""Checks in the admin: who looked for new developments on which recommendation, when, and what
they found; and the one-click "Checked, nothing new" on the recommendations."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from tracker.models import Check, Recommendation


@admin.register(Check)
class CheckAdmin(SimpleHistoryAdmin):
    list_display = ["recommendation", "checked_on", "checked_by_display", "outcome", "note"]
    list_filter = ["outcome", "recommendation__report", "checked_on"]
    list_select_related = ["recommendation__report", "checked_by"]
    search_fields = ["recommendation__title", "note", "checked_by_name", "checked_by__username"]
    autocomplete_fields = ["recommendation"]
    readonly_fields = ["checked_by"]
    date_hierarchy = "checked_on"
    fields = ["recommendation", "checked_on", "outcome", "note", "checked_by", "checked_by_name"]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("checked_on", timezone.localdate())
        return initial

    def save_model(self, request, obj, form, change):
        if not change:
            obj.checked_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="Checked by", ordering="checked_by_name")
    def checked_by_display(self, obj):
        if obj.checked_by_id:
            return obj.checked_by.get_full_name() or obj.checked_by.get_username()
        return obj.checked_by_name or "Not known"


def can_check(request) -> bool:
    return request.user.has_perm("tracker.add_check")


def record_nothing_new(request, recommendations) -> None:
    created = Check.objects.record_nothing_new(
        recommendations, by=request.user, on=timezone.localdate()
    )
    count = len(recommendations)
    message = f"Recorded “checked, nothing new” today for {count} recommendation(s)."
    if created < count:
        message += f" {count - created} had already been recorded by you today."
    messages.success(request, message)


@admin.action(description="Checked, nothing new (record today's check)", permissions=["check"])
def checked_nothing_new(modeladmin, request, queryset):
    record_nothing_new(request, list(queryset.select_related("report")))


@require_POST
def checked_nothing_new_view(request, pk: int):
    """The button on a recommendation's change page."""
    if not can_check(request):
        raise PermissionDenied("Only editors record checks.")
    recommendation = get_object_or_404(Recommendation, pk=pk)
    record_nothing_new(request, [recommendation])
    return redirect("admin:tracker_recommendation_change", recommendation.pk)
