"""Publishing and withdrawing whole reports.

A report the CSV import creates starts unpublished (`Report.is_published`), so a wrong import
never reaches the public: nothing of it is on a page, feed, calendar, badge, API answer,
download, search result, the static site or an e-mail (`public()` in `tracker.models`). An editor
publishes it once it is checked, and can withdraw a published report again.

`set_reports_published` does it. Each report is saved (so its history records who did it, and
when), which changes the page cache's data version once the transaction commits
(`tracker.data_version`); `report_publication_changed` is sent inside the transaction, on which
the static site asks for a rebuild (`tracker.static_site.requests`). Nobody is e-mailed:
subscribers hear of published updates, never of a report's publication.
"""

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

from tracker.models import Report

# Sent inside the transaction, with `reports` (those whose state changed) and `published`.
# Receivers that act on the outside world defer it with `transaction.on_commit`.
report_publication_changed = Signal()

PUBLISHED = "Published"
WITHDRAWN = "Withdrawn from the public pages"


def set_reports_published(reports: Iterable[Report], published: bool, by=None) -> list[Report]:
    """Publish these reports (or, with `published` False, withdraw them from the public pages).
    Returns the reports whose state changed, in the list's order; the others are left as they
    are."""
    ids = [report.pk for report in reports]
    changed = []
    with transaction.atomic():
        to_change = (
            Report.objects.select_for_update()
            .filter(pk__in=ids)
            .exclude(is_published=published)
            .order_by("published_on", "slug")
        )
        for report in to_change:
            report.is_published = published
            report._history_user = by
            report._change_reason = PUBLISHED if published else WITHDRAWN
            report.save(update_fields=["is_published", "updated_at"])
            changed.append(report)
        if changed:
            report_publication_changed.send(sender=Report, reports=changed, published=published)
    return changed
