"""export_all / import_all: every record, with its history, moved to a fresh database.

The round trip loads the shipped reports plus drafts, a correction, contacts with logins,
subscriptions, the e-mail log, overdue periods, snapshots, edits with history and the admin log;
exports; empties the database completely (`flush`, as a new database would be, then `migrate`'s
groups and permissions); imports; and compares what the public sees, page by page and in the API,
and every record, through a second export.
"""

import datetime
import gzip
import json
import re
import zoneinfo

import pytest
import time_machine
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import (
    ContactFactory,
    OwnershipFactory,
    ReportFactory,
    StatusUpdateFactory,
    make_contact_user,
    make_editor,
)
from tracker.models import (
    EmailLog,
    ImplementationStatus,
    Organisation,
    PublishedUpdateError,
    Recommendation,
    Report,
    Snapshot,
    StatusUpdate,
    Subscription,
)
from tracker.updates import refresh_headline_status

NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=zoneinfo.ZoneInfo("Europe/London"))
CSRF_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def build_ledger() -> None:
    """The shipped reports, and one of everything else the tracker records."""
    call_command("load_reports", verbosity=0)
    editor = make_editor()
    recommendation = Recommendation.objects.get(report__slug="iicsa", number=1)
    owner = recommendation.ownerships.get(role="lead").organisation
    make_contact_user(owner, username="owner-contact")
    ContactFactory(organisation=owner, email="second.person@example.org", receives_digest=False)

    # An edit with its author in the history; a draft; a correction of a published update.
    report = recommendation.report
    report.summary += " (Summary checked by an editor.)"
    report._history_user = editor
    report.save()
    StatusUpdateFactory(
        recommendation=recommendation, summary="A draft not yet published.", entered_by=editor
    )
    published = recommendation.updates.published().first()
    StatusUpdateFactory(
        recommendation=recommendation,
        corrects=published,
        describes_on=published.describes_on,
        status=ImplementationStatus.IN_PROGRESS,
        summary="A correction of the date the work started.",
        entered_by=editor,
        published_by=editor,
        published=True,
    )
    refresh_headline_status(recommendation.pk)

    # What the jobs record, and what readers asked for.
    call_command("flag_overdue", verbosity=0)
    call_command("take_snapshot", verbosity=0)
    Subscription.objects.create(
        email="reader@example.org", report=report, confirmed_at=NOW - datetime.timedelta(days=3)
    )
    EmailLog.objects.create(
        address="reader@example.org",
        kind=EmailLog.Kind.SUBSCRIPTION_CONFIRMATION,
        period_key="request-1",
        status=EmailLog.Status.SENT,
        sent_at=NOW - datetime.timedelta(days=3),
    )
    LogEntry.objects.create(
        user=editor,
        content_type=ContentType.objects.get_for_model(Report),
        object_id=str(report.pk),
        object_repr=str(report),
        action_flag=CHANGE,
        change_message="Changed summary.",
    )


def public_view(client) -> dict[str, bytes]:
    """Everything the public figures are read from: pages, filtered lists, the API, downloads."""
    paths = [
        "/",
        "/recommendations/",
        "/recommendations/?overdue=yes",
        "/recommendations/?_export=csv",
        "/owners/",
        "/changes/?since=2022-01-01",
        "/updates.atom",
        "/api/recommendations/?page_size=200",
        "/api/updates/?page_size=200",
        "/api/deadlines/?page_size=200",
    ]
    for report in Report.objects.all():
        paths.append(f"/reports/{report.slug}/")
        paths.extend(
            f"/reports/{report.slug}/{number}/"
            for number in report.recommendations.values_list("number", flat=True)
        )
    for slug in Organisation.objects.values_list("slug", flat=True):
        paths.append(f"/owners/{slug}/")
    pages = {}
    for path in paths:
        cache.clear()
        response = client.get(path)
        assert response.status_code == 200, path
        body = b"".join(response.streaming_content) if response.streaming else response.content
        pages[path] = CSRF_TOKEN.sub(b"", body)
    return pages


def records_of(path) -> list[str]:
    """The record lines of an export, without the header (which says when it was written)."""
    return path.read_text().splitlines()[1:]


@pytest.mark.django_db(transaction=True)
def test_a_round_trip_to_an_empty_database_keeps_every_record_and_every_public_figure(
    client, frozen, tmp_path
):
    build_ledger()
    before = public_view(client)
    exported = tmp_path / "tracker.jsonl"
    call_command("export_all", str(exported), verbosity=0)

    highest_report = Report.objects.order_by("-pk").first().pk
    highest_update = StatusUpdate.objects.order_by("-pk").first().pk
    call_command("flush", interactive=False, verbosity=0)
    assert not Report.objects.exists()
    assert not get_user_model().objects.exists()
    call_command("import_all", str(exported), verbosity=0)

    after = public_view(client)
    assert after.keys() == before.keys()
    for path in before:
        assert after[path] == before[path], path
    assert b"A correction of the date the work started." in before["/api/updates/?page_size=200"]
    assert b"A draft not yet published." not in before["/api/updates/?page_size=200"]
    again = tmp_path / "again.jsonl"
    call_command("export_all", str(again), verbosity=0)
    assert records_of(again) == records_of(exported)

    # Who did what is kept; the ledger is still append-only; new records get new keys.
    editor = get_user_model().objects.get(username="editor")
    assert editor.groups.get().name == "Editors"
    assert StatusUpdate.objects.drafts().get().entered_by == editor
    assert Report.history.filter(history_user=editor).exists()
    assert LogEntry.objects.get().get_edited_object() == Report.objects.get(slug="iicsa")
    published = StatusUpdate.objects.published().first()
    published.summary = "Rewritten."
    with pytest.raises(PublishedUpdateError):
        published.save()
    assert ReportFactory().pk > highest_report
    assert StatusUpdateFactory(recommendation=published.recommendation).pk > highest_update


def build_small_ledger() -> None:
    """One report, one recommendation with an owner, a published update and a draft."""
    update = StatusUpdateFactory(published=True)
    OwnershipFactory(recommendation=update.recommendation)
    StatusUpdateFactory(recommendation=update.recommendation, summary="A draft.")


@pytest.mark.django_db
def test_a_database_that_holds_records_is_refused_unless_forced(frozen, tmp_path):
    build_small_ledger()
    exported = tmp_path / "tracker.jsonl"
    call_command("export_all", str(exported), verbosity=0)
    StatusUpdateFactory(
        recommendation=Recommendation.objects.first(), summary="Drafted after the export."
    )

    with pytest.raises(CommandError, match="already holds records"):
        call_command("import_all", str(exported), verbosity=0)
    assert StatusUpdate.objects.filter(summary="Drafted after the export.").exists()

    call_command("import_all", str(exported), "--force", verbosity=0)
    assert not StatusUpdate.objects.filter(summary="Drafted after the export.").exists()
    again = tmp_path / "again.jsonl"
    call_command("export_all", str(again), verbosity=0)
    assert records_of(again) == records_of(exported)


@pytest.mark.django_db
def test_a_gzipped_export_reads_back(frozen, tmp_path):
    build_small_ledger()
    exported = tmp_path / "tracker.jsonl.gz"
    call_command("export_all", str(exported), verbosity=0)
    assert exported.read_bytes()[:2] == b"\x1f\x8b"
    count = StatusUpdate.objects.count()

    call_command("import_all", str(exported), "--force", verbosity=0)

    assert StatusUpdate.objects.count() == count
    with gzip.open(exported, "rt") as stream:
        assert json.loads(stream.readline())["format"] == "recommendation-tracker-export"


def bad_files(source_lines: list[str]) -> dict[str, tuple[list[str], str]]:
    header, *records, footer = source_lines
    history = next(line for line in records if '"tracker.historicalreport"' in line)
    recommendation = json.loads(
        next(line for line in records if '"tracker.recommendation"' in line)
    )
    recommendation["fields"]["report"] = 999999
    old_header = json.loads(header)
    old_header["migrations"]["tracker"] = old_header["migrations"]["tracker"][:1]
    return {
        "not an export": (["name,email", "a,b"], "is not a file written by export_all"),
        "newer format": (
            [json.dumps({**json.loads(header), "version": 99}), *records, footer],
            "format version 99",
        ),
        "other migrations": (
            [json.dumps(old_header), *records, footer],
            "other migrations",
        ),
        "cut off": ([header, *records], "incomplete"),
        "a record missing": (
            [header, *[line for line in records if line != history], footer],
            "does not hold what its last line promises",
        ),
        "broken line": ([header, *records[:3], "{not json", *records[3:], footer], "not valid"),
        "unknown kind": (
            [header, json.dumps({"model": "auth.permission", "pk": 1, "fields": {}}), footer],
            "unknown kind of record 'auth.permission'",
        ),
        "dangling reference": (
            [header, *records, json.dumps({**recommendation, "pk": 999999}), footer],
            "The database refused the file's records",
        ),
    }


@pytest.mark.django_db(transaction=True)
def test_a_bad_file_gets_a_clear_error_and_writes_nothing(frozen, tmp_path):
    build_small_ledger()
    exported = tmp_path / "tracker.jsonl"
    call_command("export_all", str(exported), verbosity=0)
    cases = bad_files(exported.read_text().splitlines())
    call_command("flush", interactive=False, verbosity=0)

    for name, (lines, message) in cases.items():
        bad = tmp_path / f"{name}.jsonl"
        bad.write_text("\n".join(lines) + "\n")
        with pytest.raises(CommandError, match=re.escape(message)) as raised:
            call_command("import_all", str(bad), verbosity=0)
        assert str(raised.value).startswith("Nothing was imported."), name
        assert not Report.objects.exists(), name
        assert not Recommendation.objects.exists(), name
        assert not Snapshot.objects.exists(), name

    with pytest.raises(CommandError, match="no such file"):
        call_command("import_all", str(tmp_path / "missing.jsonl"), verbosity=0)
