"""The editors' product: data entry for every report, and draft updates for owners' contacts.

Editors (group "Editors") enter and publish everything. Owners' contacts (group "Owner contacts",
linked to a Contact) see only the recommendations their organisation owns and may draft status
updates for them; an editor reviews and publishes. Published updates are read-only everywhere.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from simple_history.admin import SimpleHistoryAdmin

from tracker.admin.checks import can_check, checked_nothing_new, checked_nothing_new_view
from tracker.admin.imports import (
    SpreadsheetImportExportMixin,
    inquiry_import,
    inquiry_import_template,
)
from tracker.admin.invitations import invite_contacts
from tracker.admin.leads import WATCH_TERMS_FIELDSET, default_terms_display
from tracker.admin.roles import contact_organisation_id, is_editor
from tracker.citations import source_for
from tracker.intake.resources import DeadlineResource, RecommendationResource
from tracker.models import (
    Check,
    Contact,
    Deadline,
    Organisation,
    Ownership,
    Recommendation,
    RecommendationLink,
    Report,
    Response,
    ResponseKind,
    StatusUpdate,
)
from tracker.public.headlines import with_headlines
from tracker.reports import set_reports_published

PUBLISH_PERMISSION = "tracker.publish_statusupdate"
PUBLISH_REPORT_PERMISSION = "tracker.publish_report"


def can_publish(request) -> bool:
    return request.user.has_perm(PUBLISH_PERMISSION)


def restricted_organisation(request) -> int | None:
    """The organisation a non-editor contact is limited to; None for editors and superusers."""
    if is_editor(request.user):
        return None
    return contact_organisation_id(request.user)


def is_limited_to_nothing(request) -> bool:
    """Staff who are neither editors nor linked to an organisation see no ledger rows."""
    return not is_editor(request.user) and (contact_organisation_id(request.user) is None)


class ScopedHistoryAdmin(SimpleHistoryAdmin):
    """History pages only for rows in the user's own list (`get_queryset`).

    django-simple-history looks a row up by its id alone on the history pages, so without this a
    contact could read another organisation's draft by guessing its id.
    """

    def has_view_history_or_change_history_permission(self, request, obj=None):
        limited = restricted_organisation(request) is not None or is_limited_to_nothing(request)
        if (
            obj is not None
            and limited
            and not self.get_queryset(request).filter(pk=obj.pk).exists()
        ):
            return False
        return super().has_view_history_or_change_history_permission(request, obj)

    def revert_disabled(self, request, obj=None):
        """No revert where the user may not change the row as it stands now."""
        current = self.model._default_manager.filter(pk=obj.pk).first() if obj else None
        if current is not None and not self.has_change_permission(request, current):
            return True
        return super().revert_disabled(request, obj)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """Django-simple-history saves a posted revert without asking `has_change_permission`:
        refuse it here, so a view-only role or a published row is never written through it."""
        if request.method == "POST":
            current = self.model._default_manager.filter(pk=object_id).first()
            if current is None or not self.has_change_permission(request, current):
                raise PermissionDenied("You may not revert this record.")
        return super().history_form_view(request, object_id, version_id, extra_context)


# --- Reports, organisations, contacts ------------------------------------------------------------


def _names(reports) -> str:
    return ", ".join(f"{report.short_name} ({report.slug})" for report in reports)


@admin.register(Report)
class ReportAdmin(SimpleHistoryAdmin):
    list_display = [
        "short_name",
        "title",
        "published_on",
        "recommendation_count",
        "on_public_pages",
    ]
    list_filter = ["is_published"]
    search_fields = ["slug", "title", "short_name"]
    autocomplete_fields = ["source", "response_due_source"]
    prepopulated_fields = {"slug": ["short_name"]}
    # Published and withdrawn with the actions below, never with a form's tick box: each action
    # is kept in the history and rebuilds the public view at once (`tracker.reports`).
    readonly_fields = ["is_published"]
    actions = ["publish_selected_reports", "withdraw_selected_reports"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(recommendation_count=Count("recommendations"))

    @admin.display(description="Recommendations", ordering="recommendation_count")
    def recommendation_count(self, obj):
        return obj.recommendation_count

    @admin.display(description="On the public pages", ordering="is_published")
    def on_public_pages(self, obj):
        if obj.is_published:
            return "Published"
        return format_html("<strong>{}</strong>", "Not published")

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm(PUBLISH_REPORT_PERMISSION)

    @admin.action(description="Publish selected reports", permissions=["publish"])
    def publish_selected_reports(self, request, queryset):
        reports = list(queryset)
        changed = set_reports_published(reports, True, by=request.user)
        if changed:
            self.message_user(
                request,
                f"Published {len(changed)} report(s): {_names(changed)}. They and everything in "
                "them are on the public pages, feeds, calendars, API and downloads now; the "
                "published site is being rebuilt. Subscribers are not e-mailed about it.",
                messages.SUCCESS,
            )
        if unchanged := [r for r in reports if r not in changed]:
            self.message_user(
                request,
                f"Already published, left as they were: {_names(unchanged)}.",
                messages.INFO,
            )

    @admin.action(
        description="Withdraw selected reports from the public pages", permissions=["publish"]
    )
    def withdraw_selected_reports(self, request, queryset):
        reports = list(queryset)
        changed = set_reports_published(reports, False, by=request.user)
        if changed:
            self.message_user(
                request,
                f"Withdrew {len(changed)} report(s) from the public pages: {_names(changed)}. "
                "Nothing of them is on a public page, feed, calendar, badge, API answer, "
                "download or e-mail now; the published site is being rebuilt. Publish them "
                "again when they are ready.",
                messages.SUCCESS,
            )
        if unchanged := [r for r in reports if r not in changed]:
            self.message_user(
                request,
                f"Not published already, left as they were: {_names(unchanged)}.",
                messages.INFO,
            )

    def get_urls(self):
        return [
            path(
                "import-inquiry/",
                self.admin_site.admin_view(inquiry_import),
                name="tracker_report_import_inquiry",
            ),
            path(
                "import-inquiry/template.csv",
                self.admin_site.admin_view(inquiry_import_template),
                name="tracker_report_import_inquiry_template",
            ),
            *super().get_urls(),
        ]


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "slug"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Contact)
class ContactAdmin(SimpleHistoryAdmin):
    list_display = ["name", "organisation", "email", "receives_digest", "is_oversight", "is_demo"]
    list_filter = ["receives_digest", "is_oversight", "is_demo", "organisation"]
    search_fields = ["name", "email", "organisation__name"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]
    readonly_fields = ["user"]
    actions = ["invite_to_log_in"]

    @admin.action(description="Invite selected contacts to log in and propose updates")
    def invite_to_log_in(self, request, queryset):
        result = invite_contacts(queryset)
        self.message_user(
            request,
            f"Sent {len(result.invited)} invitation(s) to set a password. Each contact sees only "
            "what their organisation owns and can draft updates for an editor to publish.",
            messages.SUCCESS if result.invited else messages.INFO,
        )
        for contacts, why, level in (
            (result.already_has_login, "already have a login: nothing was sent", messages.INFO),
            (
                result.address_taken,
                "were not invited: an account with the same address already exists. An "
                "invitation never takes over an existing account.",
                messages.WARNING,
            ),
            (
                result.not_sent,
                "have a new login but the e-mail could not be sent now; see the e-mail log",
                messages.ERROR,
            ),
        ):
            if contacts:
                names = ", ".join(f"{c.name} <{c.email}>" for c in contacts)
                self.message_user(request, f"{len(contacts)} contact(s) {why}: {names}.", level)


# --- Recommendations and their inlines -----------------------------------------------------------


class OwnershipFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        leads = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("role") == Ownership.Role.LEAD
        ]
        if len(leads) != 1:
            raise ValidationError(
                f"A recommendation has exactly one lead owner; this form gives {len(leads)}."
            )


class OwnershipInline(admin.TabularInline):
    model = Ownership
    formset = OwnershipFormSet
    extra = 1
    min_num = 1
    autocomplete_fields = ["organisation", "source"]
    fields = ["organisation", "role", "basis", "scope", "note", "source"]


class ResponseInline(admin.StackedInline):
    model = Response
    extra = 0
    autocomplete_fields = ["organisation", "source"]
    fields = [
        ("organisation", "kind", "kind_is_official"),
        ("responded_on", "decision_due_on"),
        "summary",
        "quote",
        "source",
        "editors_note",
    ]


def https_url_fields(db_field, **kwargs):
    """A form's fields as the model makes them, its URL fields assuming https:// when an editor
    leaves the scheme out (as the admin's own forms do: `tracker.admin.site`)."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class SourceByAddressForm(forms.ModelForm):
    """Choose a listed source, or give a new one's address (and title): it is added to the
    sources list, with its kind and publisher guessed from the address for an editor to check."""

    source_url = forms.URLField(
        required=False,
        max_length=500,
        assume_scheme="https",
        label="or a new source's address",
        help_text="Used only when no source is chosen above. Existing addresses are reused.",
    )
    source_title = forms.CharField(required=False, max_length=300, label="new source's title")

    def clean(self):
        cleaned = super().clean()
        url = cleaned.get("source_url")
        if url and not cleaned.get("source") and "source" in self.fields:
            cleaned["source"] = source_for(url, cleaned.get("source_title", ""))
            self.instance.source = cleaned["source"]
        return cleaned


class DeadlineForm(SourceByAddressForm):
    """An existing deadline's promise is never rewritten: a moved date is a new, superseding row."""

    FIXED_ONCE_SAVED = ("commitment", "stated_as", "precision", "due_date")

    class Meta:
        model = Deadline
        formfield_callback = https_url_fields
        fields = [
            "recommendation",
            "commitment",
            "stated_as",
            "precision",
            "due_date",
            "organisation",
            "promised_on",
            "source",
            "source_url",
            "source_title",
            "supersedes",
            "met_on",
            "withdrawn_on",
            "change_reason",
            "missed_on",
            "missed_source",
            "editors_note",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in self.FIXED_ONCE_SAVED:
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = (
                        "Fixed once saved. To move the date, add a new deadline that supersedes "
                        "this one."
                    )


class DeadlineInline(admin.StackedInline):
    model = Deadline
    form = DeadlineForm
    fk_name = "recommendation"
    extra = 0
    autocomplete_fields = ["organisation", "source", "missed_source"]
    raw_id_fields = ["supersedes"]
    fields = [
        "commitment",
        ("stated_as", "precision", "due_date"),
        ("organisation", "promised_on"),
        "source",
        "supersedes",
        ("met_on", "withdrawn_on"),
        "change_reason",
        ("missed_on", "missed_source"),
        "editors_note",
    ]


class PublishedUpdateInline(admin.TabularInline):
    """The published ledger, read-only. Corrections are new updates."""

    model = StatusUpdate
    fk_name = "recommendation"
    verbose_name = "published update"
    verbose_name_plural = "published updates (read-only: publish a correction to change one)"
    extra = 0
    can_delete = False
    fields = ["describes_on", "organisation", "status", "account", "summary", "source"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).published().select_related("organisation", "source")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DraftUpdateInline(admin.StackedInline):
    model = StatusUpdate
    fk_name = "recommendation"
    verbose_name = "draft update"
    verbose_name_plural = "draft updates (publish them from the status updates list)"
    extra = 0
    autocomplete_fields = ["organisation", "source"]
    fields = [
        ("describes_on", "organisation"),
        ("status", "account", "account_by"),
        "summary",
        ("reason", "reason_detail"),
        "source",
        "editors_note",
    ]

    def get_queryset(self, request):
        drafts = super().get_queryset(request).drafts()
        organisation = restricted_organisation(request)
        if organisation is not None:
            return drafts.filter(organisation_id=organisation)
        return drafts


class RecommendationLinkInline(admin.TabularInline):
    """Links to recommendations that overlap with this one: only where a source states the link
    (the source is required). The other recommendation's page shows the link too."""

    model = RecommendationLink
    fk_name = "from_recommendation"
    extra = 0
    fields = ["kind", "to_recommendation", "source", "note"]
    autocomplete_fields = ["to_recommendation"]
    verbose_name = "link to another recommendation"
    verbose_name_plural = "links to other recommendations (each needs the source that states it)"


class OwnerFilter(admin.SimpleListFilter):
    title = "owner"
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        return [
            (o.slug, o.name)
            for o in Organisation.objects.filter(ownerships__isnull=False).distinct()
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(ownerships__organisation__slug=self.value()).distinct()
        return queryset


class ResponseFilter(admin.SimpleListFilter):
    title = "response (lead owner)"
    parameter_name = "response"

    def lookups(self, request, model_admin):
        return [*ResponseKind.choices, ("none", "Not known")]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(headline_response__isnull=True)
        if self.value():
            return queryset.filter(headline_response=self.value())
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(is_overdue=True)
        if self.value() == "no":
            return queryset.filter(is_overdue=False)
        return queryset


@admin.register(Recommendation)
class RecommendationAdmin(SpreadsheetImportExportMixin, ScopedHistoryAdmin):
    resource_classes = [RecommendationResource]
    list_display = [
        "__str__",
        "lead_owner",
        "status_display",
        "response_display",
        "overdue_display",
        "last_checked_display",
    ]
    list_filter = ["report", OwnerFilter, "status", ResponseFilter, OverdueFilter, "text_kind"]
    actions = [checked_nothing_new]
    change_form_template = "admin/tracker/recommendation/change_form.html"
    list_select_related = ["report"]
    search_fields = ["title", "text", "report__short_name", "ownerships__organisation__name"]
    autocomplete_fields = ["text_source"]
    readonly_fields = [
        "status",
        "status_on",
        "status_account",
        "overdue_since",
        "default_watch_terms",
    ]
    fieldsets = [
        (None, {"fields": ["report", "number", ("title", "title_is_official")]}),
        ("Wording", {"fields": ["text_kind", "text", "text_source", "text_note"]}),
        ("Plain summary, read first on the public page", {"fields": ["plain_summary"]}),
        ("For editors only (never shown publicly)", {"fields": ["editors_note"]}),
        (
            "Headline (derived from published updates and deadlines)",
            {"fields": ["status", "status_on", "overdue_since"]},
        ),
        WATCH_TERMS_FIELDSET,
    ]
    inlines = [
        OwnershipInline,
        ResponseInline,
        DeadlineInline,
        DraftUpdateInline,
        PublishedUpdateInline,
        RecommendationLinkInline,
    ]
    ordering = ["report__published_on", "number"]

    def get_queryset(self, request):
        queryset = (
            with_headlines(super().get_queryset(request))
            .with_timeliness(on=timezone.localdate())
            .with_last_checked()
        )
        organisation = restricted_organisation(request)
        if organisation is not None:
            return queryset.filter(ownerships__organisation_id=organisation)
        if is_limited_to_nothing(request):
            return queryset.none()
        return queryset

    @admin.display(description="Terms used when none are given")
    def default_watch_terms(self, obj):
        return default_terms_display(obj)

    @admin.display(description="Lead owner", ordering="lead_owner_name")
    def lead_owner(self, obj):
        return obj.lead_owner_name or "Not known"

    @admin.display(description="Status", ordering="status")
    def status_display(self, obj):
        return obj.get_status_display()

    @admin.display(description="Response", ordering="headline_response")
    def response_display(self, obj):
        if not obj.headline_response:
            return "Not known"
        return ResponseKind(obj.headline_response).label

    @admin.display(description="Overdue", boolean=True, ordering="is_overdue")
    def overdue_display(self, obj):
        return obj.is_overdue

    @admin.display(description="Last checked", ordering="last_checked_on")
    def last_checked_display(self, obj):
        return f"{obj.last_checked_on:%-d %b %Y}" if obj.last_checked_on else "Never"

    def has_check_permission(self, request):
        return can_check(request)

    def get_urls(self):
        return [
            path(
                "<int:pk>/checked-nothing-new/",
                self.admin_site.admin_view(checked_nothing_new_view),
                name="tracker_recommendation_checked_nothing_new",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_check"] = bool(obj) and can_check(request)
        if obj is not None:
            context["latest_check"] = Check.objects.latest_for(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)


# --- Deadlines -----------------------------------------------------------------------------------


@admin.register(Deadline)
class DeadlineAdmin(SpreadsheetImportExportMixin, ScopedHistoryAdmin):
    resource_classes = [DeadlineResource]
    form = DeadlineForm
    list_display = ["recommendation", "stated_as", "due_date", "organisation", "state"]
    list_filter = ["precision", "recommendation__report", "organisation"]
    list_select_related = ["recommendation__report", "organisation", "superseded_by"]
    search_fields = ["commitment", "stated_as", "recommendation__title"]
    autocomplete_fields = ["recommendation", "organisation", "source", "missed_source"]
    raw_id_fields = ["supersedes"]
    readonly_fields = ["overdue_since", "move_link"]

    @admin.display(description="State")
    def state(self, obj):
        if obj.is_superseded:
            return "Replaced by a later deadline"
        if obj.met_on:
            return f"Met on {obj.met_on:%d %B %Y}"
        if obj.withdrawn_on:
            return f"Dropped on {obj.withdrawn_on:%d %B %Y}"
        if obj.due_date < timezone.localdate():
            return "Overdue"
        return "Open"

    @admin.display(description="Move this deadline")
    def move_link(self, obj):
        if not obj.pk or obj.is_superseded:
            return "—"
        url = reverse("admin:tracker_deadline_add") + "?" + urlencode({"supersedes": obj.pk})
        return format_html('<a href="{}">Add a new deadline that replaces this one</a>', url)

    def get_changeform_initial_data(self, request):
        """ "Add a new deadline that replaces this one" passes only the old deadline's id: the
        promise, the recommendation and who made it are copied here, never through the URL."""
        initial = super().get_changeform_initial_data(request)
        replaced = request.GET.get("supersedes", "")
        initial.pop("commitment", None)
        if not replaced.isdigit():
            initial.pop("supersedes", None)
            return initial
        old = self.get_queryset(request).filter(pk=int(replaced)).first()
        if old is None:
            initial.pop("supersedes", None)
            return initial
        initial.update(
            supersedes=old.pk,
            recommendation=old.recommendation_id,
            organisation=old.organisation_id,
            commitment=old.commitment,
        )
        return initial
