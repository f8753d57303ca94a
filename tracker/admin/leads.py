"""The editors' review queue: watched feeds, and the leads the watch job found in them.

Leads are newest first, filtered by recommendation, feed and state. A lead's page lists the
recommendations it may concern with the terms that matched; "Turn into an update" opens a draft
status update with the source filled in, and "Dismiss" records why. Both record a check.
Leads are for editors only: owners' contacts and the public never see them.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Prefetch, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from tracker.enqueue import task_named
from tracker.leads.review import LeadReviewError, dismiss, turn_into_update
from tracker.leads.terms import default_watch_terms
from tracker.models import Lead, LeadMatch, Recommendation, WatchedFeed


class FailingFilter(admin.SimpleListFilter):
    title = "health"
    parameter_name = "health"

    def lookups(self, request, model_admin):
        return [("failing", "Failing"), ("ok", "Working")]

    def queryset(self, request, queryset):
        if self.value() == "failing":
            return queryset.filter(failure_count__gt=0)
        if self.value() == "ok":
            return queryset.filter(failure_count=0)
        return queryset


@admin.register(WatchedFeed)
class WatchedFeedAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "publisher",
        "default_kind",
        "active",
        "health",
        "last_success_at",
        "waiting_leads",
    ]
    list_filter = ["active", FailingFilter, "default_kind"]
    search_fields = ["name", "publisher", "url"]
    actions = ["fetch_now"]
    readonly_fields = [
        "health",
        "last_fetched_at",
        "last_success_at",
        "failure_count",
        "last_error",
        "next_attempt_at",
        "etag",
        "last_modified",
    ]
    fieldsets = [
        (None, {"fields": ["name", "url", "publisher", "default_kind", "active"]}),
        ("What the watch job found on its last visits", {"fields": readonly_fields}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(waiting=Count("leads", filter=Q(leads__state=Lead.State.NEW)))
        )

    @admin.display(description="Health", ordering="failure_count")
    def health(self, feed):
        if not feed.pk or feed.last_fetched_at is None:
            return "Not fetched yet"
        if not feed.is_failing:
            return "Working"
        retry = (
            f"; next try after {timezone.localtime(feed.next_attempt_at):%d %b %Y %H:%M}"
            if feed.next_attempt_at
            else ""
        )
        return f"Failing ({feed.failure_count} in a row): {feed.last_error}{retry}"

    @admin.action(description="Fetch the selected feeds now (even if paused or waiting to retry)")
    def fetch_now(self, request, queryset):
        task = task_named("tracker.watch_sources")
        queued = 0
        try:
            for feed in queryset:
                task.delay(feed.pk)
                queued += 1
        except Exception as error:  # the broker is down: say so, the schedule will run anyway
            self.message_user(
                request,
                f"Could not queue the fetch ({type(error).__name__}); {queued} feed(s) queued. "
                "Run `manage.py watch_sources --feed ID` or wait for the next scheduled run.",
                messages.ERROR,
            )
            return
        self.message_user(
            request,
            f"Queued {queued} feed(s). The worker fetches them in a moment: reload this page to "
            "see their health and the leads waiting.",
            messages.SUCCESS,
        )

    @admin.display(description="Leads waiting", ordering="waiting")
    def waiting_leads(self, feed):
        url = reverse("admin:tracker_lead_changelist") + f"?feed__id__exact={feed.pk}&state=new"
        return format_html('<a href="{}">{}</a>', url, feed.waiting)


class RecommendationLeadFilter(admin.SimpleListFilter):
    title = "recommendation"
    parameter_name = "recommendation"

    def lookups(self, request, model_admin):
        matched = Recommendation.objects.filter(lead_matches__isnull=False).distinct()
        return [(r.pk, str(r)) for r in matched.select_related("report")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(matches__recommendation_id=self.value())
        return queryset


class DismissForm(forms.Form):
    reason = forms.ChoiceField(
        choices=[c for c in Lead.DismissalReason.choices if c[0]], label="Why dismiss it?"
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Needed for “Other”. For editors only.",
    )


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    change_form_template = "admin/tracker/lead/change_form.html"
    list_display = ["title", "published_at", "feed", "concerns", "state"]
    list_display_links = ["title"]
    list_filter = ["state", RecommendationLeadFilter, "feed"]
    list_select_related = ["feed"]
    search_fields = ["title", "summary", "link"]
    ordering = [F("published_at").desc(nulls_last=True), "-found_at", "-pk"]
    actions = ["dismiss_not_relevant"]
    fields = [
        "title",
        "link_display",
        "published_at",
        "publisher",
        "feed",
        "summary",
        "found_at",
        "state",
        "dismissal_reason",
        "dismissal_note",
        "reviewed_at",
        "reviewed_by",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        matches = LeadMatch.objects.select_related("recommendation__report").order_by(
            "recommendation__report__published_on", "recommendation__number"
        )
        return super().get_queryset(request).prefetch_related(Prefetch("matches", queryset=matches))

    def has_add_permission(self, request):
        return False  # leads come from the watch job only

    @admin.display(description="May concern")
    def concerns(self, lead):
        return format_html_join(
            "; ",
            "{} ({})",
            (
                (str(m.recommendation), ", ".join(m.terms))
                for m in lead.matches.all()  # prefetched
            ),
        )

    @admin.display(description="Link")
    def link_display(self, lead):
        if not lead.link:
            return "—"
        return format_html('<a href="{0}" rel="noopener noreferrer">{0}</a>', lead.link)

    def get_urls(self):
        return [
            path(
                "<int:lead_id>/turn-into-update/<int:recommendation_id>/",
                self.admin_site.admin_view(self.turn_into_update_view),
                name="tracker_lead_turn_into_update",
            ),
            path(
                "<int:lead_id>/dismiss/",
                self.admin_site.admin_view(self.dismiss_view),
                name="tracker_lead_dismiss",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context.update(
            show_save=False,
            show_save_and_continue=False,
            show_save_and_add_another=False,
            show_delete=False,
            lead_matches=list(obj.matches.all()) if obj else [],
            dismiss_form=DismissForm(),
            can_review=obj is not None and self.has_change_permission(request, obj),
            can_draft=request.user.has_perm("tracker.add_statusupdate"),
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _lead_for_review(self, request, lead_id: int) -> Lead:
        lead = get_object_or_404(Lead, pk=lead_id)
        if not self.has_change_permission(request, lead):
            raise PermissionDenied("Only editors review leads.")
        return lead

    def _back(self, lead: Lead):
        return HttpResponseRedirect(reverse("admin:tracker_lead_change", args=[lead.pk]))

    @method_decorator(require_POST)
    def turn_into_update_view(self, request, lead_id: int, recommendation_id: int):
        lead = self._lead_for_review(request, lead_id)
        if not request.user.has_perm("tracker.add_statusupdate"):
            raise PermissionDenied("Only editors draft updates from leads.")
        recommendation = get_object_or_404(Recommendation, pk=recommendation_id)
        try:
            update = turn_into_update(lead, recommendation, request.user, timezone.localdate())
        except LeadReviewError as error:
            self.message_user(request, str(error), messages.ERROR)
            return self._back(lead)
        self.message_user(
            request,
            "A draft update with the lead's source. Write the summary, set the status, then "
            "“Save and publish”.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:tracker_statusupdate_change", args=[update.pk]))

    @method_decorator(require_POST)
    def dismiss_view(self, request, lead_id: int):
        lead = self._lead_for_review(request, lead_id)
        form = DismissForm(request.POST)
        if not form.is_valid():
            self.message_user(request, "Choose why the lead is dismissed.", messages.ERROR)
            return self._back(lead)
        try:
            dismiss(
                lead,
                form.cleaned_data["reason"],
                form.cleaned_data["note"],
                request.user,
                timezone.localdate(),
            )
        except LeadReviewError as error:
            self.message_user(request, str(error), messages.ERROR)
            return self._back(lead)
        self.message_user(request, f"Dismissed: {lead}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:tracker_lead_changelist") + "?state=new")

    @admin.action(description="Dismiss selected: not about these recommendations")
    def dismiss_not_relevant(self, request, queryset):
        dismissed = 0
        for lead in queryset.filter(state=Lead.State.NEW):
            dismiss(
                lead,
                Lead.DismissalReason.NOT_RELEVANT,
                "",
                request.user,
                timezone.localdate(),
            )
            dismissed += 1
        self.message_user(request, f"Dismissed {dismissed} lead(s).", messages.SUCCESS)


WATCH_TERMS_FIELDSET = (
    "Watch terms (what the watch job looks for in official feeds)",
    {"fields": ["watch_terms", "watch_exclude", "default_watch_terms"]},
)


def default_terms_display(recommendation: Recommendation) -> str:
    terms = default_watch_terms(recommendation.title, recommendation.text)
    return "; ".join(terms) or "None can be derived: add terms above."
