"""Importing in the admin: a whole new inquiry from one CSV, and bulk import/export of rows.

`inquiry_import` is the page that imports a new inquiry: upload, preview, confirm. The preview
writes nothing. The checked file travels to the confirm step inside a signed form field (tied to
the user and valid for an hour), and is checked again before anything is written. A new report is
written unpublished: the confirmation leads to the list of the reports imported, which says
"Not published" and holds the action that publishes them (`ReportAdmin`).

`SpreadsheetImportExportMixin` gives a model admin django-import-export's own upload, preview and
confirm steps (and export), in the two formats editors use: CSV and XLSX.
"""

import csv

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX

from tracker.intake.csv_rows import ImportRefused, decode
from tracker.intake.importing import (
    COLUMN_GUIDE,
    COLUMNS,
    OPTIONAL_COLUMNS,
    ImportPlan,
    import_inquiry,
    plan_import,
)

MAX_UPLOAD_BYTES = 1_000_000
SIGNED_FOR_SECONDS = 60 * 60
# An import creates reports, recommendations, organisations, ownerships and responses.
REQUIRED_PERMISSIONS = (
    "tracker.add_recommendation",
    "tracker.add_report",
    "tracker.add_organisation",
    "tracker.add_ownership",
    "tracker.add_response",
)
UPLOAD_TEMPLATE = "admin/tracker/inquiry_import.html"
PREVIEW_TEMPLATE = "admin/tracker/inquiry_import_preview.html"


class SpreadsheetImportExportMixin(ImportExportMixin):
    """Bulk import (with a preview before anything is written) and export, as CSV or XLSX."""

    formats = [CSV, XLSX]

    def has_import_permission(self, request):
        # The setting asks for "add"; an import also updates existing rows, so "change" too.
        return super().has_import_permission(request) and self.has_change_permission(request)

    def get_import_data_kwargs(self, **kwargs):
        # A row that became invalid between the preview and the confirmation (someone published
        # that draft meanwhile) refuses the whole file, as in the preview: nothing is written.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            messages.error(
                request,
                "Nothing was imported: some rows are no longer valid (the data changed since the "
                "preview). Upload the file again to see which.",
            )
            return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        return super().process_result(result, request)


class InquiryUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 CSV (“CSV UTF-8” in a spreadsheet), at most 1 MB. "
        "The columns are described in docs/data-formats.md.",
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                "The file is larger than 1 MB; split it into smaller files."
            )
        return upload.read()


def can_import_inquiry(user) -> bool:
    return user.has_perms(REQUIRED_PERMISSIONS)


def _salt(request) -> str:
    return f"tracker.inquiry_import:{request.user.pk}"


def _render(request, template: str, context: dict) -> TemplateResponse:
    context = {
        **admin.site.each_context(request),
        "title": "Import a new inquiry from CSV",
        **context,
    }
    return TemplateResponse(request, template, context)


def _preview(request, plan: ImportPlan, signed: str = "") -> TemplateResponse:
    return _render(request, PREVIEW_TEMPLATE, {"plan": plan, "signed_content": signed})


def inquiry_import(request):
    """Upload a CSV, see what it will create (or every problem in it), then confirm."""
    if not can_import_inquiry(request.user):
        raise PermissionDenied("Importing an inquiry is for editors.")

    if request.method == "POST" and "signed_content" in request.POST:
        return _confirm(request)

    if request.method != "POST":
        return _render(
            request, UPLOAD_TEMPLATE, {"form": InquiryUploadForm(), "column_guide": COLUMN_GUIDE}
        )
    form = InquiryUploadForm(request.POST, request.FILES)
    if form.is_valid():
        content = form.cleaned_data["file"]
        plan = plan_import(content)
        signed = ""
        if plan.is_valid:
            signed = signing.dumps(decode(content), salt=_salt(request), compress=True)
        return _preview(request, plan, signed)
    return _render(request, UPLOAD_TEMPLATE, {"form": form, "column_guide": COLUMN_GUIDE})


def _confirm(request):
    try:
        content = signing.loads(
            request.POST["signed_content"], salt=_salt(request), max_age=SIGNED_FOR_SECONDS
        )
    except signing.BadSignature:
        messages.error(
            request,
            "The preview has expired or was altered; upload the file again. Nothing was written.",
        )
        return redirect("admin:tracker_report_import_inquiry")
    try:
        plan = import_inquiry(content, user=request.user)
    except ImportRefused as refused:
        return _preview(request, ImportPlan(errors=refused.errors))
    messages.success(
        request,
        f"Imported {len(plan.recommendations)} recommendation(s) into "
        f"{', '.join(report.slug for report in plan.reports)}, with "
        f"{len(plan.new_organisations)} new organisation(s), {plan.ownership_count} ownership(s) "
        f"and {plan.response_count} response(s).",
    )
    _say_what_is_public(request, plan)
    changelist = reverse("admin:tracker_report_changelist")
    slugs = ",".join(report.slug for report in plan.reports)
    return redirect(f"{changelist}?{urlencode({'slug__in': slugs})}")


def _say_what_is_public(request, plan: ImportPlan) -> None:
    """Who can see what the import wrote: a new report nobody outside the admin, an existing one
    as it was (the import never publishes or withdraws it)."""
    unpublished = [report for report in plan.reports if not report.is_public]
    if unpublished:
        names = ", ".join(report.slug for report in unpublished)
        messages.warning(
            request,
            format_html(
                "Not published: {}. Nothing of it is on a public page, feed, calendar, badge, API "
                "answer, download or search, and no e-mail mentions it, until an editor "
                "publishes it. Check it, then tick it in the list below and choose the action "
                "“Publish selected reports”. All reports not yet published: {}.",
                names,
                format_html(
                    '<a href="{}?is_published__exact=0">the list</a>',
                    reverse("admin:tracker_report_changelist"),
                ),
            ),
        )
    public = [report.slug for report in plan.reports if report.is_public]
    if public:
        messages.info(
            request,
            f"Published already, and left so: {', '.join(public)}. The recommendations added to "
            "it are on the public pages now.",
        )


def inquiry_import_template(request):
    """The CSV to fill in: every column, required first, named as the import expects them."""
    if not can_import_inquiry(request.user):
        raise PermissionDenied("Importing an inquiry is for editors.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="inquiry-import-template.csv"'
    response.write("\ufeff")  # so that spreadsheets read it as UTF-8
    csv.writer(response, lineterminator="\r\n").writerow([*COLUMNS, *OPTIONAL_COLUMNS])
    return response
