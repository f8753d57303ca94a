"""export_all / import_all: every record, with its history, moved to a fresh database.

The round trip loads the shipped reports (with their sources, checks and editors' notes) plus
drafts, a correction, a survivors' account, a link between recommendations, contacts with logins,
subscriptions, the e-mail log, overdue periods, snapshots, edits with history and the admin log;
exports; empties the database completely (`flush`, as a new database would be, then `migrate`'s
groups and permissions); imports; and compares what the public sees, page by page and in the API,
and every record, through a second export.

`tests/data/export-v1-before-sources.jsonl` is a format-version-1 file written by export_all at
commit f0f4673 (migrations up to 0013, when each record carried the address of what it cited),
from a small fictional ledger: it must keep importing.
"""

import datetime
import gzip
import json
import re
import zoneinfo
from pathlib import Path

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
    example_source,
    make_contact_user,
    make_editor,
)
from tracker.models import (
    Account,
    Check,
    Deadline,
    EmailLog,
    ImplementationStatus,
    Organisation,
    PublishedUpdateError,
    Recommendation,
    RecommendationLink,
    Report,
    Response,
    Snapshot,
    Source,
    StatusUpdate,
    Subscription,
)
from tracker.updates import refresh_headline_status

NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=zoneinfo.ZoneInfo("Europe/London"))
CSRF_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
VERSION_1_FILE = Path(__file__).parent / "data" / "export-v1-before-sources.jsonl"


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

    # A survivors' account, an editor's check and a stated link between recommendations, with
    # the editors' notes that stay out of every public surface but move with the database.
    survivors = example_source(
        "https://example.org/survivors-panel", "Example survivors' panel statement"
    )
    survivors.editors_note = "Editors only: the panel's statement was read in full."
    survivors.archive_url = "https://example.org/archive/survivors-panel"
    survivors.save()
    StatusUpdateFactory(
        recommendation=recommendation,
        account=Account.AFFECTED,
        account_by="An example survivors' panel",
        status=ImplementationStatus.NOT_STARTED,
        summary="The panel saw no change in practice.",
        source_url=survivors.url,
        source_title=survivors.title,
        entered_by=editor,
        published_by=editor,
        published=True,
    )
    refresh_headline_status(recommendation.pk)
    Check.objects.create(
        recommendation=recommendation,
        checked_on=NOW.date(),
        checked_by=editor,
        note="Editors only: searched the department's pages.",
    )
    RecommendationLink.objects.create(
        from_recommendation=recommendation,
        to_recommendation=Recommendation.objects.get(report__slug="iicsa", number=2),
        kind=RecommendationLink.Kind.RELATED,
        source=survivors,
    )

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
    lines = exported.read_text().splitlines()
    assert json.loads(lines[0])["version"] == 2
    kinds = {json.loads(line).get("model") for line in lines[1:-1]}
    assert {
        "tracker.source",
        "tracker.check",
        "tracker.recommendationlink",
        "tracker.shippedvalues",
    } <= kinds
    # A backup for operators: editors' notes move with the database (never in open data).
    assert Source.objects.exclude(editors_note="").count() > 1
    assert "Editors only: the panel's statement was read in full." in exported.read_text()
    notes_before = {
        model._meta.label: sorted(
            model.objects.exclude(editors_note="").values_list("pk", "editors_note")
        )
        for model in (Source, Recommendation, Response, Deadline, StatusUpdate)
    }
    sources_before = sorted(Source.objects.values_list("pk", "url", "title", "kind", "archive_url"))

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
    assert sorted(Source.objects.values_list("pk", "url", "title", "kind", "archive_url")) == (
        sources_before
    )
    for model in (Source, Recommendation, Response, Deadline, StatusUpdate):
        notes = sorted(model.objects.exclude(editors_note="").values_list("pk", "editors_note"))
        assert notes == notes_before[model._meta.label], model
    assert StatusUpdate.objects.published().filter(account=Account.AFFECTED).get().source.url == (
        "https://example.org/survivors-panel"
    )
    assert RecommendationLink.objects.get().source.title == "Example survivors' panel statement"
    assert Check.objects.filter(note="Editors only: searched the department's pages.").exists()

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
    newer_header = json.loads(header)
    newer_header["migrations"]["tracker"] = [
        *newer_header["migrations"]["tracker"],
        "9999_from_a_newer_tracker",
    ]
    older_header = json.loads(header)
    older_header["migrations"]["tracker"] = older_header["migrations"]["tracker"][:-1]
    unknown_field = json.loads(next(line for line in records if '"tracker.statusupdate"' in line))
    unknown_field["fields"]["moved_elsewhere"] = "a value no conversion knows"
    return {
        "not an export": (["name,email", "a,b"], "is not a file written by export_all"),
        "newer format": (
            [json.dumps({**json.loads(header), "version": 99}), *records, footer],
            "format version 99; this version of the tracker reads versions 1, 2",
        ),
        "version as text": (
            [json.dumps({**json.loads(header), "version": "2"}), *records, footer],
            "format version '2'",
        ),
        "no migrations": (
            [json.dumps({**json.loads(header), "migrations": None}), *records, footer],
            "does not say which migrations it follows",
        ),
        "newer migrations": (
            [json.dumps(newer_header), *records, footer],
            "migrations this one has not applied (tracker 9999_from_a_newer_tracker)",
        ),
        "an older file with a field no conversion knows": (
            [
                json.dumps(older_header),
                *[
                    json.dumps(unknown_field)
                    if json.loads(line).get("pk") == unknown_field["pk"]
                    and '"tracker.statusupdate"' in line
                    else line
                    for line in records
                ],
                footer,
            ],
            "has no field named 'moved_elsewhere'; this version of the tracker cannot convert it",
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


@pytest.mark.django_db
def test_a_file_of_an_unknown_version_changes_nothing_even_when_forced(frozen, tmp_path):
    build_small_ledger()
    exported = tmp_path / "tracker.jsonl"
    call_command("export_all", str(exported), verbosity=0)
    header, *rest = exported.read_text().splitlines()
    unknown = tmp_path / "unknown.jsonl"
    unknown.write_text("\n".join([json.dumps({**json.loads(header), "version": 3}), *rest]) + "\n")
    before = records_of(exported)

    with pytest.raises(CommandError, match=r"Nothing was imported\. .*format version 3"):
        call_command("import_all", str(unknown), "--force", verbosity=0)

    after = tmp_path / "after.jsonl"
    call_command("export_all", str(after), verbosity=0)
    assert records_of(after) == before


def read_version_1_file(capsys) -> str:
    call_command("import_all", str(VERSION_1_FILE))
    return capsys.readouterr().out


@pytest.mark.django_db
def test_a_version_1_file_written_before_sources_were_records_imports(frozen, capsys, client):
    header = json.loads(VERSION_1_FILE.read_text().splitlines()[0])
    assert header["version"] == 1
    assert "0015_drop_addresses_kept_in_sources" not in header["migrations"]["tracker"]

    output = read_version_1_file(capsys)

    assert "format version 1; it was converted" in output
    assert "3 sources were made from the addresses" in output
    assert "tracker.source: 4" in output
    report = Report.objects.get(slug="example-inquiry")
    # Each address became one source; the file's own record for an address is reused.
    kept = Source.objects.get(url="https://example.org/example-inquiry/response")
    assert kept.title == "Example response (kept as a record)"
    assert kept.editors_note == "Seen on 30 November 2026."
    assert report.source.url == "https://example.org/example-inquiry/report"
    assert report.source.title == "Example inquiry: final report"
    assert (report.source.kind, report.source.publisher) == (Source.Kind.SECONDARY, "example.org")
    register = report.recommendations.get(number=1)
    assert register.text_source.url == "https://example.org/example-inquiry/report#rec-1"
    assert register.editors_note == "Wording checked against the report."
    assert register.responses.get().source == kept
    first, second = register.deadlines.order_by("due_date")
    assert first.source == kept
    assert second.supersedes == first
    assert second.source.title == "Example plan"
    updates = register.updates.published().order_by("pk")
    assert [update.source.url for update in updates] == [
        "https://example.org/example-inquiry/plan-2025"
    ] * 2
    assert updates[1].corrects == updates[0]
    assert register.updates.drafts().get().source is None
    assert report.recommendations.get(number=2).text_source is None
    # History rows point at the sources too; who did what is kept.
    assert {row.source for row in StatusUpdate.history.filter(state="published")} == {second.source}
    assert register.history.filter(history_user__username="editor").exists()
    assert Check.objects.get().checked_by.username == "editor"
    # Fields the file predates take their defaults; the stored facts of today's view (headline,
    # disputed, freshness dates) are recomputed from the ledger.
    register.refresh_from_db()
    assert register.status == ImplementationStatus.IN_PROGRESS
    assert register.status_account == Account.OWNER
    assert not register.disputed
    assert register.latest_check_on == datetime.date(2026, 11, 30)
    assert Source.objects.count() == 4
    assert client.get("/reports/example-inquiry/1/").status_code == 200


@pytest.mark.django_db
def test_a_version_1_file_once_imported_exports_as_version_2_and_round_trips(
    frozen, capsys, tmp_path
):
    read_version_1_file(capsys)
    exported = tmp_path / "v2.jsonl"
    call_command("export_all", str(exported), verbosity=0)
    header = json.loads(exported.read_text().splitlines()[0])
    assert header["version"] == 2
    assert '"source_url"' not in exported.read_text()

    call_command("import_all", str(exported), "--force", verbosity=0)

    again = tmp_path / "again.jsonl"
    call_command("export_all", str(again), verbosity=0)
    assert records_of(again) == records_of(exported)


@pytest.mark.django_db
def test_a_version_1_file_at_the_current_migrations_reads_as_it_is(frozen, capsys, tmp_path):
    build_small_ledger()
    exported = tmp_path / "tracker.jsonl"
    call_command("export_all", str(exported), verbosity=0)
    header, *rest = exported.read_text().splitlines()
    version_1 = tmp_path / "version-1.jsonl"
    version_1.write_text(
        "\n".join([json.dumps({**json.loads(header), "version": 1}), *rest]) + "\n"
    )

    call_command("import_all", str(version_1), "--force")

    output = capsys.readouterr().out
    assert "format version 1; it was converted" in output
    assert "sources were made" not in output
    assert "written before migrations" not in output
    again = tmp_path / "again.jsonl"
    call_command("export_all", str(again), verbosity=0)
    assert records_of(again) == records_of(exported)
