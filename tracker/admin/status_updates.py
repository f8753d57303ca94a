"""Status updates in the admin: owners' contacts draft, editors review and publish.

Published updates are read-only everywhere; publishing goes through `tracker.updates`.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponseRedirect

from tracker.admin.imports import SpreadsheetImportExportMixin
from tracker.admin.records import (
    ScopedHistoryAdmin,
    SourceByAddressForm,
    can_publish,
    https_url_fields,
    is_limited_to_nothing,
    restricted_organisation,
)
from tracker.intake.resources import StatusUpdateResource
from tracker.models import (
    Organisation,
    Recommendation,
    StatusUpdate,
)
from tracker.updates import publish_update

# --- Status updates: drafts, review and publication ----------------------------------------------


class StatusUpdateForm(SourceByAddressForm):
    class Meta:
        model = StatusUpdate
        formfield_callback = https_url_fields
        fields = [
            "recommendation",
            "organisation",
            "describes_on",
            "status",
            "account",
            "summary",
            "reason",
            "reason_detail",
            "account_by",
            "source",
            "source_url",
            "source_title",
            "corrects",
            "editors_note",
        ]


class ReviewFilter(admin.SimpleListFilter):
    """The editors' review queue: drafts that a contact or an editor has submitted."""

    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("awaiting", "Drafts awaiting review"), ("published", "Published")]

    def queryset(self, request, queryset):
        if self.value() == "awaiting":
            return queryset.drafts()
        if self.value() == "published":
            return queryset.published()
        return queryset


def visible_updates(request, queryset):
    """What one user may see of the ledger: everything for editors; for a contact, the published
    updates on what their organisation owns and the drafts for their organisation's part only."""
    organisation = restricted_organisation(request)
    if organisation is not None:
        return queryset.filter(recommendation__ownerships__organisation_id=organisation).filter(
            Q(state=StatusUpdate.State.PUBLISHED) | Q(organisation_id=organisation)
        )
    if is_limited_to_nothing(request):
        return queryset.none()
    return queryset


CORRECTION_FIELDS = (
    "recommendation",
    "organisation",
    "describes_on",
    "status",
    "account",
    "account_by",
    "summary",
    "reason",
    "reason_detail",
    "source",
)


@admin.register(StatusUpdate)
class StatusUpdateAdmin(SpreadsheetImportExportMixin, ScopedHistoryAdmin):
    resource_classes = [StatusUpdateResource]
    form = StatusUpdateForm
    change_form_template = "admin/tracker/statusupdate/change_form.html"
    list_display = [
        "recommendation",
        "describes_on",
        "organisation_display",
        "state",
        "status",
        "account",
        "entered_by",
    ]
    list_filter = [ReviewFilter, "state", "status", "account", "recommendation__report"]
    list_select_related = ["recommendation__report", "organisation", "entered_by", "source"]
    search_fields = ["summary", "source__title", "source__url", "recommendation__title"]
    autocomplete_fields = ["recommendation", "source"]
    raw_id_fields = ["corrects"]
    actions = ["publish_selected"]
    date_hierarchy = "describes_on"

    def get_queryset(self, request):
        return visible_updates(request, super().get_queryset(request))

    @admin.display(description="Organisation", ordering="organisation__name")
    def organisation_display(self, obj):
        return obj.organisation or "Whole recommendation"

    def get_readonly_fields(self, request, obj=None):
        readonly = ["state", "entered_by", "published_at", "published_by"]
        if obj is not None and obj.is_published:
            return [*self._record_fields(obj), *readonly]
        return readonly

    @staticmethod
    def _record_fields(obj) -> list[str]:
        """The form's fields; a published update shows its source, not the new-source boxes."""
        fields = StatusUpdateForm.Meta.fields
        if obj is not None and obj.is_published:
            return [name for name in fields if name not in ("source_url", "source_title")]
        return list(fields)

    def get_fields(self, request, obj=None):
        return [
            *self._record_fields(obj),
            "state",
            "entered_by",
            "published_at",
            "published_by",
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        field = form.base_fields.get("organisation")
        if field is None:
            return form
        organisation = restricted_organisation(request)
        if organisation is not None:
            # A contact drafts for their own organisation's part, always: the field cannot be
            # emptied into "the whole recommendation" nor pointed at another owner.
            field.queryset = Organisation.objects.filter(pk=organisation)
            field.empty_label = None
            field.disabled = True  # what is posted is ignored; save_model sets it
            field.help_text = "Your organisation: you draft updates for its part only."
            return form
        recommendation = obj.recommendation_id if obj else request.GET.get("recommendation")
        if recommendation and str(recommendation).isdigit():
            field.queryset = Organisation.objects.filter(
                ownerships__recommendation_id=int(recommendation)
            )
            field.help_text = (
                "The recommendation's owners. Leave empty when the update is about the whole "
                "recommendation."
            )
        return form

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not can_publish(request):
            actions.pop("publish_selected", None)
        return actions

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        organisation = restricted_organisation(request)
        if organisation is not None:
            if db_field.name == "recommendation":
                kwargs["queryset"] = Recommendation.objects.filter(
                    ownerships__organisation_id=organisation
                ).select_related("report")
            elif db_field.name == "corrects":
                kwargs["queryset"] = self.correctable(request)
                # The raw-id widget would look any id up, drafts of others included.
                kwargs["widget"] = forms.Select()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def correctable(self, request):
        return visible_updates(request, StatusUpdate.objects.published()).select_related(
            "recommendation__report"
        )

    def corrected_update(self, request) -> StatusUpdate | None:
        """The published update named by `?corrects=`, if this user may see it."""
        wanted = request.GET.get("corrects", "")
        if not wanted.isdigit():
            return None
        return self.correctable(request).filter(pk=int(wanted)).first()

    def get_changeform_initial_data(self, request):
        """A correction starts from the corrected update's own fields; an id the user may not
        see (or a draft's) is ignored, and so says nothing about it."""
        initial = super().get_changeform_initial_data(request)
        initial.pop("corrects", None)
        corrected = self.corrected_update(request)
        if corrected is not None:
            initial.update(
                {name: getattr(corrected, name) for name in CORRECTION_FIELDS},
                recommendation=corrected.recommendation_id,
                organisation=corrected.organisation_id,
                source=corrected.source_id,
                corrects=corrected.pk,
            )
        organisation = restricted_organisation(request)
        if organisation is not None:
            initial["organisation"] = organisation
        return initial

    def save_model(self, request, obj, form, change):
        if obj.is_published:
            raise PermissionDenied("Published updates cannot be changed.")
        if not change:
            obj.entered_by = request.user
        organisation = restricted_organisation(request)
        if organisation is not None:
            obj.organisation_id = organisation
        obj.state = StatusUpdate.State.DRAFT
        super().save_model(request, obj, form, change)

    def delete_queryset(self, request, queryset):
        published = queryset.published().count()
        queryset.drafts().delete()
        if published:
            self.message_user(
                request,
                f"{published} published update(s) were kept: published updates are never deleted.",
                messages.WARNING,
            )

    def response_add(self, request, obj, post_url_continue=None):
        self._publish_if_asked(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if self._publish_if_asked(request, obj):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def _publish_if_asked(self, request, obj) -> bool:
        if "_publish" not in request.POST:
            return False
        if not can_publish(request):
            raise PermissionDenied("Only editors publish updates.")
        try:
            published = publish_update(obj, by=request.user)
        except ValidationError as error:
            self.message_user(request, f"Not published: {' '.join(error.messages)}", messages.ERROR)
            return False
        if published:
            self.message_user(request, f"Published: {obj}.", messages.SUCCESS)
            return True
        self.message_user(
            request, "Not published: a published update needs a source.", messages.ERROR
        )
        return False

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_publish"] = can_publish(request) and not (obj and obj.is_published)
        context["is_published"] = bool(obj and obj.is_published)
        if add:
            context["corrected"] = self.corrected_update(request)
        elif obj is not None and obj.corrects_id:
            context["corrected"] = self.correctable(request).filter(pk=obj.corrects_id).first()
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.action(description="Publish selected drafts", permissions=["publish"])
    def publish_selected(self, request, queryset):
        published = skipped = 0
        refused = []
        for update in queryset.drafts().select_related("recommendation__report"):
            try:
                if publish_update(update, by=request.user):
                    published += 1
                else:
                    skipped += 1
            except ValidationError as error:
                refused.append(f"{update}: {' '.join(error.messages)}")
        self.message_user(request, f"Published {published} update(s).", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} draft(s) were not published: each needs a source.",
                messages.WARNING,
            )
        for reason in refused:
            self.message_user(request, f"Not published: {reason}", messages.ERROR)

    def has_publish_permission(self, request):
        return can_publish(request)

    # Bulk import and export of updates are for editors: contacts see only their own
    # organisation's updates, and imports only ever create drafts (tracker/intake/resources.py).
    def has_import_permission(self, request):
        return can_publish(request) and super().has_import_permission(request)

    def has_export_permission(self, request):
        return can_publish(request) and super().has_export_permission(request)
