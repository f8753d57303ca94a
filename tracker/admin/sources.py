"""Sources in the admin: one record per cited page, with what cites it."""

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from tracker.models import Source

# (related name, label, admin page): every record that can cite a source. Owners, responses and
# links are edited on their recommendation's page.
CITING_RECORDS = (
    ("reports", "Report", lambda r: ("report", r.pk)),
    ("recommendation_wordings", "Wording", lambda r: ("recommendation", r.pk)),
    ("ownerships", "Owner", lambda r: ("recommendation", r.recommendation_id)),
    ("responses", "Response", lambda r: ("recommendation", r.recommendation_id)),
    ("deadlines", "Deadline", lambda r: ("deadline", r.pk)),
    ("updates", "Status update", lambda r: ("statusupdate", r.pk)),
    ("links", "Link", lambda r: ("recommendation", r.from_recommendation_id)),
)


@admin.register(Source)
class SourceAdmin(SimpleHistoryAdmin):
    list_display = ["title", "publisher", "kind", "published_on", "citation_count", "last_seen_on"]
    list_filter = ["kind", "publisher"]
    search_fields = ["title", "publisher", "url", "archive_url"]
    ordering = ["publisher", "title", "pk"]
    readonly_fields = ["cited_by"]
    fieldsets = [
        (None, {"fields": ["url", "title", "publisher", "published_on", "kind"]}),
        ("Keeping the link alive", {"fields": ["archive_url", "last_seen_on"]}),
        ("For editors only (never shown publicly)", {"fields": ["editors_note"]}),
        ("Cited by", {"fields": ["cited_by"]}),
    ]

    def get_queryset(self, request):
        counts = {
            f"count_{related}": Count(related, distinct=True) for related, *_ in CITING_RECORDS
        }
        return super().get_queryset(request).annotate(**counts)

    @admin.display(description="Cited by (records)")
    def citation_count(self, obj):
        return sum(getattr(obj, f"count_{related}", 0) for related, *_ in CITING_RECORDS)

    @admin.display(description="Records citing this source")
    def cited_by(self, obj):
        if obj.pk is None:
            return "—"
        rows = []
        for related, label, page in CITING_RECORDS:
            for record in getattr(obj, related).all():
                model_name, pk = page(record)
                url = reverse(f"admin:tracker_{model_name}_change", args=[pk])
                rows.append((url, label, str(record)))
        if not rows:
            return "Nothing cites it yet."
        items = format_html_join("", '<li><a href="{}">{}: {}</a></li>', rows)
        return format_html("<ul>{}</ul>", items)
