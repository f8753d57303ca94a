"""Importing and exporting through the admin: a new inquiry from CSV, and bulk rows as CSV/XLSX."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import (
    DeadlineFactory,
    OrganisationFactory,
    OwnershipFactory,
    RecommendationFactory,
    ReportFactory,
    StatusUpdateFactory,
    UserFactory,
    make_contact_user,
    make_editor,
)
from tracker.intake.csv_rows import COLUMNS
from tracker.models import (
    Deadline,
    Organisation,
    Recommendation,
    Report,
    Response,
    StatusUpdate,
)
from tracker.updates import publish_update

pytestmark = pytest.mark.django_db

IMPORT_URL = "admin:tracker_report_import_inquiry"
INQUIRY_ROWS = [
    {
        "report_slug": "admin-test-inquiry",
        "report_title": "Admin test inquiry (illustrative)",
        "report_published": "2024-02-01",
        "number": "1",
        "title": "Publish an example plan",
        "text": "The example body should publish a plan.",
        "text_is_verbatim": "yes",
        "lead_owner": "Example Department",
        "supporting_owners": "Cyngor Sir Ynys Môn (example)",
        "response": "accepted",
        "response_date": "2024-05-01",
        "response_source_url": "https://example.org/response",
    },
    {
        "report_slug": "admin-test-inquiry",
        "report_title": "Admin test inquiry (illustrative)",
        "report_published": "2024-02-01",
        "number": "2",
        "title": "Review “example” guidance",
        "text": "",
        "text_is_verbatim": "",
        "lead_owner": "Example Agency",
        "supporting_owners": "",
        "response": "",
        "response_date": "",
        "response_source_url": "",
    },
]


def to_csv(rows, columns=None) -> bytes:
    columns = columns or list(rows[0])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def to_xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(rows[0]))
    for values in rows:
        sheet.append(list(values.values()))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def read_xlsx(response) -> list[dict]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], values, strict=True)) for values in rows[1:]]


@pytest.fixture
def editor(client):
    user = make_editor()
    client.force_login(user)
    return user


# --- A new inquiry from one CSV ------------------------------------------------------------------


def test_report_list_links_to_the_inquiry_import(client, editor):
    response = client.get(reverse("admin:tracker_report_changelist"))
    assert response.status_code == 200
    assert reverse(IMPORT_URL) in response.content.decode()
    assert "Import a new inquiry from CSV" in response.content.decode()


def test_upload_preview_then_confirm_writes_the_inquiry(client, editor):
    page = client.get(reverse(IMPORT_URL))
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.content.decode()

    upload = SimpleUploadedFile("inquiry.csv", to_csv(INQUIRY_ROWS), content_type="text/csv")
    preview = client.post(reverse(IMPORT_URL), {"file": upload})

    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Nothing has been written yet" in html
    assert "Review “example” guidance" in html
    assert "Cyngor Sir Ynys Môn (example) (cyngor-sir-ynys-mon-example)" in html
    assert "Wording not yet known" in html
    assert not Report.objects.exists()
    assert not Organisation.objects.exists()

    confirm = client.post(
        reverse(IMPORT_URL), {"signed_content": preview.context["signed_content"]}, follow=True
    )

    # To the list of the reports imported, where they say "Not published".
    assert confirm.redirect_chain[-1][0] == (
        reverse("admin:tracker_report_changelist") + "?slug__in=admin-test-inquiry"
    )
    assert "Imported 2 recommendation(s) into admin-test-inquiry" in confirm.content.decode()
    report = Report.objects.get(slug="admin-test-inquiry")
    assert list(report.recommendations.values_list("number", flat=True)) == [1, 2]
    assert Organisation.objects.count() == 3
    response = Response.objects.get()
    assert response.organisation.name == "Example Department"
    # The editor is recorded as the author of every change.
    assert report.history.get().history_user == editor


def test_confirming_twice_writes_once(client, editor):
    upload = SimpleUploadedFile("inquiry.csv", to_csv(INQUIRY_ROWS))
    signed = client.post(reverse(IMPORT_URL), {"file": upload}).context["signed_content"]
    client.post(reverse(IMPORT_URL), {"signed_content": signed})

    again = client.post(reverse(IMPORT_URL), {"signed_content": signed})

    assert again.status_code == 200
    assert "recommendation 1 already exists in report" in again.content.decode()
    assert Recommendation.objects.count() == 2


def test_a_bad_file_shows_every_error_and_writes_nothing(client, editor):
    rows = [
        {**INQUIRY_ROWS[0], "response": "acepted"},
        {**INQUIRY_ROWS[1], "number": "1", "title": ""},
    ]
    upload = SimpleUploadedFile("inquiry.csv", to_csv(rows))

    preview = client.post(reverse(IMPORT_URL), {"file": upload})

    html = preview.content.decode()
    assert "The file was refused: nothing has been written." in html
    assert "row 2, column &quot;response&quot;: unknown value &quot;acepted&quot;" in html
    assert "row 3, column &quot;number&quot;: duplicate number 1" in html
    assert "row 3, column &quot;title&quot;: empty" in html
    assert 'name="signed_content"' not in html
    assert not Report.objects.exists()
    assert not Organisation.objects.exists()


def test_a_missing_column_is_shown_and_nothing_written(client, editor):
    columns = [column for column in COLUMNS if column != "lead_owner"]
    rows = [{column: INQUIRY_ROWS[0][column] for column in columns}]
    upload = SimpleUploadedFile("inquiry.csv", to_csv(rows, columns))

    preview = client.post(reverse(IMPORT_URL), {"file": upload})

    assert "row 1, column &quot;lead_owner&quot;: missing column" in preview.content.decode()
    assert not Report.objects.exists()


def test_the_upload_form_explains_a_missing_or_oversized_file(client, editor):
    assert "This field is required." in client.post(reverse(IMPORT_URL), {}).content.decode()

    big = SimpleUploadedFile("inquiry.csv", b"x" * 1_000_001)
    response = client.post(reverse(IMPORT_URL), {"file": big})

    assert "The file is larger than 1 MB" in response.content.decode()
    assert not Report.objects.exists()


def test_a_file_that_is_not_utf8_is_explained(client, editor):
    # What a spreadsheet saves as plain "CSV" on Windows.
    content = to_csv(INQUIRY_ROWS).decode("utf-8-sig").encode("cp1252")
    upload = SimpleUploadedFile("inquiry.csv", content)

    preview = client.post(reverse(IMPORT_URL), {"file": upload})

    assert "row 2: the file is not UTF-8 text" in preview.content.decode()
    assert not Report.objects.exists()


def test_an_altered_confirmation_writes_nothing(client, editor):
    upload = SimpleUploadedFile("inquiry.csv", to_csv(INQUIRY_ROWS))
    signed = client.post(reverse(IMPORT_URL), {"file": upload}).context["signed_content"]

    response = client.post(reverse(IMPORT_URL), {"signed_content": signed[:-2] + "xx"}, follow=True)

    assert "The preview has expired or was altered" in response.content.decode()
    assert not Report.objects.exists()


def test_a_confirmation_cannot_be_replayed_by_another_user(client, editor):
    upload = SimpleUploadedFile("inquiry.csv", to_csv(INQUIRY_ROWS))
    signed = client.post(reverse(IMPORT_URL), {"file": upload}).context["signed_content"]
    client.force_login(make_editor("second-editor"))

    client.post(reverse(IMPORT_URL), {"signed_content": signed})

    assert not Report.objects.exists()


def test_users_without_permission_get_403(client):
    organisation = OrganisationFactory()
    client.force_login(make_contact_user(organisation))
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    upload = SimpleUploadedFile("inquiry.csv", to_csv(INQUIRY_ROWS))
    assert client.post(reverse(IMPORT_URL), {"file": upload}).status_code == 403
    assert not Report.objects.exists()

    reader = UserFactory(username="reader")
    reader.user_permissions.add(Permission.objects.get(codename="view_report"))
    client.force_login(reader)
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    report_list = client.get(reverse("admin:tracker_report_changelist"))
    assert report_list.status_code == 200
    assert reverse(IMPORT_URL) not in report_list.content.decode()


def test_inquiry_import_pages_have_no_inline_script_or_style(client, editor):
    pages = [client.get(reverse(IMPORT_URL))]
    upload = SimpleUploadedFile("inquiry.csv", to_csv(INQUIRY_ROWS))
    pages.append(client.post(reverse(IMPORT_URL), {"file": upload}))
    for page in pages:
        body = page.content.decode().split('<div id="content-main">', 1)[1]
        assert "<script" not in body
        assert "<style" not in body
        assert "style=" not in body


# --- django-import-export: recommendations, deadlines, status updates ----------------------------


def import_preview(client, model: str, content: bytes, filename: str):
    url = reverse(f"admin:tracker_{model}_import")
    form = client.get(url).context["form"]
    extension = filename.rsplit(".", 1)[1].upper()
    format_index = next(
        value for value, label in form.fields["format"].choices if label.upper() == extension
    )
    return client.post(
        url,
        {
            "resource": "0",
            "format": format_index,
            "import_file": SimpleUploadedFile(filename, content),
        },
    )


def import_confirm(client, model: str, preview):
    data = preview.context["confirm_form"].initial
    return client.post(reverse(f"admin:tracker_{model}_process_import"), data, follow=True)


def export(client, model: str, file_format: str):
    url = reverse(f"admin:tracker_{model}_export")
    form = client.get(url).context["form"]
    data = {
        "resource": "0",
        "format": next(
            value for value, label in form.fields["format"].choices if label == file_format
        ),
    }
    data.update(
        {name: "on" for name, field in form.fields.items() if hasattr(field, "resource_name")}
    )
    return client.post(url, data)


def test_recommendations_import_with_a_preview_before_anything_is_written(client, editor):
    report = ReportFactory(slug="bulk-test")
    existing = RecommendationFactory(report=report, number=1, title="Old title")
    rows = [
        {
            "report": "bulk-test",
            "number": "1",
            "title": "New title",
            "title_is_official": "0",
            "text_kind": "summary",
            "text": existing.text,
            "text_source_url": "",
            "text_note": "",
        },
        {
            "report": "bulk-test",
            "number": "2",
            "title": "A new “one” in Ynys Môn",
            "text_kind": "unknown",
            "text": "",
            "title_is_official": "0",
            "text_source_url": "",
            "text_note": "",
        },
    ]

    preview = import_preview(client, "recommendation", to_csv(rows), "recommendations.csv")

    assert preview.status_code == 200
    result = preview.context["result"]
    assert [row.import_type for row in result.rows] == ["update", "new"]
    existing.refresh_from_db()
    assert existing.title == "Old title"
    assert report.recommendations.count() == 1

    import_confirm(client, "recommendation", preview)

    existing.refresh_from_db()
    assert existing.title == "New title"
    assert report.recommendations.get(number=2).title == "A new “one” in Ynys Môn"


def test_recommendation_import_refuses_rows_that_break_the_rules(client, editor):
    ReportFactory(slug="bulk-test")
    rows = [
        {
            "report": "no-such-report",
            "number": "1",
            "title": "X",
            "text_kind": "unknown",
            "text": "",
        },
        {"report": "bulk-test", "number": "2", "title": "Y", "text_kind": "verbatim", "text": ""},
    ]

    preview = import_preview(client, "recommendation", to_csv(rows), "recommendations.csv")

    result = preview.context["result"]
    assert result.has_validation_errors()
    html = preview.content.decode()
    assert "there is no report with the slug &quot;no-such-report&quot;" in html
    assert "confirm_form" not in preview.context
    assert not Recommendation.objects.exists()


def test_deadlines_import_from_xlsx_and_a_moved_date_is_a_new_row(client, editor):
    recommendation = RecommendationFactory(report=ReportFactory(slug="bulk-test"), number=3)
    organisation = OrganisationFactory(slug="example-department")
    old = DeadlineFactory(recommendation=recommendation, due_date=datetime.date(2025, 12, 31))
    base = {
        "report": "bulk-test",
        "recommendation": 3,
        "organisation": "example-department",
        "commitment": "Publish an example plan",
        "precision": "year",
        "promised_on": None,
        "source_url": "https://example.org/plan",
        "source_title": "",
        "met_on": None,
        "withdrawn_on": None,
    }
    rows = [
        {
            **base,
            "id": None,
            "stated_as": "by the end of 2026",
            "due_date": "2026-12-31",
            "supersedes": old.pk,
            "change_reason": "The example plan was delayed.",
        },
    ]

    preview = import_preview(client, "deadline", to_xlsx(rows), "deadlines.xlsx")

    assert [row.import_type for row in preview.context["result"].rows] == ["new"]
    assert Deadline.objects.count() == 1
    import_confirm(client, "deadline", preview)
    new = Deadline.objects.get(supersedes=old)
    assert (new.due_date, new.organisation) == (datetime.date(2026, 12, 31), organisation)
    old.refresh_from_db()
    assert old.due_date == datetime.date(2025, 12, 31)
    assert old.is_superseded


def test_deadline_import_never_changes_an_existing_due_date(client, editor):
    recommendation = RecommendationFactory(report=ReportFactory(slug="bulk-test"), number=3)
    deadline = DeadlineFactory(recommendation=recommendation)
    exported = read_csv(export(client, "deadline", "csv"))
    exported[0]["due_date"] = "2026-12-31"
    exported[0]["stated_as"] = "by the end of 2026"

    preview = import_preview(client, "deadline", to_csv(exported), "deadlines.csv")

    assert preview.context["result"].has_validation_errors()
    assert f"deadline {deadline.pk} cannot change its stated_as, due_date" in (
        preview.content.decode()
    )
    assert "confirm_form" not in preview.context
    deadline.refresh_from_db()
    assert deadline.due_date == datetime.date(2025, 12, 31)


def test_deadline_import_may_mark_an_existing_deadline_met(client, editor):
    recommendation = RecommendationFactory(report=ReportFactory(slug="bulk-test"), number=3)
    deadline = DeadlineFactory(recommendation=recommendation)
    exported = read_csv(export(client, "deadline", "csv"))
    exported[0]["met_on"] = "2025-11-30"

    preview = import_preview(client, "deadline", to_csv(exported), "deadlines.csv")
    assert [row.import_type for row in preview.context["result"].rows] == ["update"]
    import_confirm(client, "deadline", preview)

    deadline.refresh_from_db()
    assert deadline.met_on == datetime.date(2025, 11, 30)


def status_update_row(**values):
    return {
        "id": "",
        "report": "bulk-test",
        "recommendation": "4",
        "organisation": "",
        "describes_on": "2025-05-01",
        "status": "in_progress",
        "account": "independent",
        "summary": "An example step was taken.",
        "reason": "",
        "reason_detail": "",
        "source_url": "https://example.org/step",
        "source_title": "Example",
        "corrects": "",
        "state": "published",
        "published_at": "2025-05-02T10:00:00+0000",
        **values,
    }


def test_status_update_import_creates_drafts_only(client, editor):
    RecommendationFactory(report=ReportFactory(slug="bulk-test"), number=4)

    preview = import_preview(client, "statusupdate", to_csv([status_update_row()]), "updates.csv")
    assert not StatusUpdate.objects.exists()
    import_confirm(client, "statusupdate", preview)

    update = StatusUpdate.objects.get()
    assert update.state == StatusUpdate.State.DRAFT
    assert update.published_at is None
    assert update.entered_by == editor
    assert update.recommendation.status == "not_yet_assessed"


def test_status_update_import_never_changes_a_published_update(client, editor):
    recommendation = RecommendationFactory(report=ReportFactory(slug="bulk-test"), number=4)
    published = StatusUpdateFactory(recommendation=recommendation, published=True)
    exported = read_csv(export(client, "statusupdate", "csv"))

    unchanged = import_preview(client, "statusupdate", to_csv(exported), "updates.csv")
    assert [row.import_type for row in unchanged.context["result"].rows] == ["skip"]

    exported[0]["summary"] = "Rewritten history."
    changed = import_preview(client, "statusupdate", to_csv(exported), "updates.csv")

    assert changed.context["result"].has_validation_errors()
    assert f"status update {published.pk} is published and cannot be changed" in (
        changed.content.decode()
    )
    published.refresh_from_db()
    assert published.summary == "An example step was taken."


def test_status_update_import_may_edit_a_draft(client, editor):
    recommendation = RecommendationFactory(report=ReportFactory(slug="bulk-test"), number=4)
    draft = StatusUpdateFactory(recommendation=recommendation)
    row = status_update_row(id=str(draft.pk), summary="A corrected draft summary.")

    preview = import_preview(client, "statusupdate", to_csv([row]), "updates.csv")
    import_confirm(client, "statusupdate", preview)

    draft.refresh_from_db()
    assert (draft.summary, draft.state) == ("A corrected draft summary.", "draft")


def test_a_row_gone_bad_after_the_preview_refuses_the_whole_file(client, editor):
    recommendation = RecommendationFactory(report=ReportFactory(slug="bulk-test"), number=4)
    draft = StatusUpdateFactory(recommendation=recommendation)
    rows = [
        status_update_row(summary="A new draft."),
        status_update_row(id=str(draft.pk), summary="An edited draft."),
    ]
    preview = import_preview(client, "statusupdate", to_csv(rows), "updates.csv")
    assert [row.import_type for row in preview.context["result"].rows] == ["new", "update"]
    publish_update(draft, by=editor)

    confirmed = import_confirm(client, "statusupdate", preview)

    assert "Nothing was imported: some rows are no longer valid" in confirmed.content.decode()
    assert "Import finished" not in confirmed.content.decode()
    assert StatusUpdate.objects.count() == 1
    draft.refresh_from_db()
    assert draft.summary == "An example step was taken."


@pytest.mark.parametrize("model", ["recommendation", "deadline", "statusupdate"])
def test_exports_as_csv_and_xlsx_with_natural_identifiers(client, editor, model):
    recommendation = RecommendationFactory(report=ReportFactory(slug="bulk-test"), number=7)
    organisation = OrganisationFactory(slug="example-agency")
    DeadlineFactory(recommendation=recommendation, organisation=organisation)
    StatusUpdateFactory(recommendation=recommendation, organisation=organisation)

    as_csv = read_csv(export(client, model, "csv"))
    as_xlsx = read_xlsx(export(client, model, "xlsx"))

    for rows in (as_csv, as_xlsx):
        assert len(rows) == 1
        assert rows[0]["report"] == "bulk-test"
        key = "number" if model == "recommendation" else "recommendation"
        assert str(rows[0][key]) == "7"
        if model != "recommendation":
            assert rows[0]["organisation"] == "example-agency"


def test_exports_neutralise_formulae_and_imports_restore_them(client, editor):
    report = ReportFactory(slug="bulk-test")
    dangerous = {
        1: '=HYPERLINK("https://example.org")',
        2: "+1",
        3: "-2",
        4: "@SUM(A1)",
        5: "\tTabbed",
        6: "\rReturn",
    }
    for number, title in dangerous.items():
        RecommendationFactory(report=report, number=number, title=title)

    as_csv = {
        int(row["number"]): row["title"]
        for row in read_csv(export(client, "recommendation", "csv"))
    }
    as_xlsx = {
        int(row["number"]): row["title"]
        for row in read_xlsx(export(client, "recommendation", "xlsx"))
    }

    expected = {number: "'" + title for number, title in dangerous.items()}
    assert as_csv == expected
    # XML (inside XLSX) reads a carriage return back as a line feed.
    assert as_xlsx == {number: title.replace("\r", "\n") for number, title in expected.items()}

    # Importing the export back changes nothing (a leading carriage return excepted: the library
    # reads uploaded CSV as text, which turns it into a line feed).
    rows = [
        row for row in read_csv(export(client, "recommendation", "csv")) if row["number"] != "6"
    ]
    preview = import_preview(client, "recommendation", to_csv(rows), "recommendations.csv")
    assert [row.import_type for row in preview.context["result"].rows] == ["skip"] * 5


def test_contacts_cannot_import_or_export_status_updates(client):
    own = OrganisationFactory()
    other = OrganisationFactory()
    OwnershipFactory(organisation=other)
    StatusUpdateFactory(
        recommendation=other.ownerships.get().recommendation, summary="Another body's update."
    )
    client.force_login(make_contact_user(own))

    assert client.get(reverse("admin:tracker_statusupdate_export")).status_code == 403
    assert (
        client.post(reverse("admin:tracker_statusupdate_export"), {"format": "0"}).status_code
        == 403
    )
    assert client.get(reverse("admin:tracker_statusupdate_import")).status_code == 403
    changelist = client.get(reverse("admin:tracker_statusupdate_changelist"))
    assert changelist.status_code == 200
    assert reverse("admin:tracker_statusupdate_export") not in changelist.content.decode()
    assert (
        reverse("admin:tracker_recommendation_import")
        not in client.get(reverse("admin:tracker_recommendation_changelist")).content.decode()
    )
    assert client.get(reverse("admin:tracker_recommendation_import")).status_code == 403
    assert client.get(reverse("admin:tracker_deadline_export")).status_code == 403


def test_editors_see_import_and_export_links(client, editor):
    html = client.get(reverse("admin:tracker_statusupdate_changelist")).content.decode()
    assert reverse("admin:tracker_statusupdate_import") in html
    assert reverse("admin:tracker_statusupdate_export") in html
