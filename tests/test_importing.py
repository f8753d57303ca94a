"""Importing a whole new inquiry from one CSV: the command, the checks, and what gets written."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.factories import (
    OrganisationFactory,
    RecommendationFactory,
    ReportFactory,
)
from tracker.intake.csv_rows import COLUMNS, ImportRefused
from tracker.intake.importing import import_inquiry, plan_import
from tracker.models import Organisation, Ownership, Recommendation, Report, Response

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "example-inquiry.csv"
REPORT = {
    "report_slug": "test-import-inquiry",
    "report_title": "Test import inquiry: final report",
    "report_published": "2023-03-01",
}


def row(**values) -> dict[str, str]:
    """A valid row for recommendation 1, with any column replaced."""
    base = {
        **REPORT,
        "number": "1",
        "title": "Publish an example plan",
        "text": "The example body should publish an example plan.",
        "text_is_verbatim": "yes",
        "lead_owner": "Example Department",
        "supporting_owners": "",
        "response": "accepted",
        "response_date": "2023-06-01",
        "response_source_url": "https://example.org/response",
    }
    return {**base, **values}


def csv_bytes(rows, columns=COLUMNS, *, bom=False, newline="\n") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(columns)
    for values in rows:
        writer.writerow([values.get(column, "") for column in columns])
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode("utf-8")


def nothing_written() -> bool:
    return not (
        Report.objects.exists()
        or Recommendation.objects.exists()
        or Organisation.objects.exists()
        or Ownership.objects.exists()
        or Response.objects.exists()
    )


def refused_messages(content: bytes) -> list[str]:
    with pytest.raises(ImportRefused) as refused:
        import_inquiry(content)
    return [str(error) for error in refused.value.errors]


# --- What a good file creates --------------------------------------------------------------------


def test_a_valid_file_creates_report_recommendations_owners_and_responses():
    content = csv_bytes(
        [
            row(supporting_owners="Example Agency; Example Council"),
            row(
                number="2",
                title="Review example guidance",
                response="awaiting",
                response_date="",
                response_source_url="",
            ),
            row(
                number="3",
                title="Wording not yet known",
                text="",
                text_is_verbatim="",
                lead_owner="Example Agency",
                response="",
                response_date="",
                response_source_url="",
            ),
        ]
    )

    plan = import_inquiry(content)

    assert plan.written
    report = Report.objects.get(slug="test-import-inquiry")
    assert report.title == "Test import inquiry: final report"
    assert str(report.published_on) == "2023-03-01"
    first, second, third = report.recommendations.order_by("number")
    assert (first.text_kind, second.text_kind, third.text_kind) == (
        "verbatim",
        "verbatim",
        "unknown",
    )
    assert third.text == ""
    lead = first.ownerships.get(role=Ownership.Role.LEAD).organisation
    assert lead.name == "Example Department"
    assert sorted(
        first.ownerships.filter(role="supporting").values_list("organisation__name", flat=True)
    ) == ["Example Agency", "Example Council"]
    response = first.responses.get()
    assert (response.organisation, response.kind, str(response.responded_on)) == (
        lead,
        "accepted",
        "2023-06-01",
    )
    assert response.source.url == "https://example.org/response"
    assert second.responses.get().kind == "awaiting"
    assert not third.responses.exists()
    assert Organisation.objects.count() == 3
    assert Ownership.objects.count() == 5


def test_text_is_verbatim_no_makes_a_summary():
    import_inquiry(csv_bytes([row(text_is_verbatim="No")]))
    assert Recommendation.objects.get().text_kind == Recommendation.TextKind.SUMMARY


def test_existing_organisations_are_matched_by_name_ignoring_case_or_by_slug():
    department = OrganisationFactory(name="Example Department", slug="example-dept")
    agency = OrganisationFactory(name="Example Agency", slug="example-agency")

    plan = import_inquiry(
        csv_bytes([row(lead_owner="EXAMPLE department", supporting_owners="example-agency")])
    )

    assert plan.new_organisations == []
    recommendation = Recommendation.objects.get()
    assert set(recommendation.ownerships.values_list("organisation", flat=True)) == {
        department.pk,
        agency.pk,
    }
    assert Organisation.objects.count() == 2


def test_new_organisation_gets_a_unique_slug():
    OrganisationFactory(name="Example Body (old)", slug="example-body")

    import_inquiry(csv_bytes([row(lead_owner="Example Body")]))

    assert Organisation.objects.get(name="Example Body").slug == "example-body-2"


def test_new_recommendations_can_be_added_to_an_existing_report():
    report = ReportFactory(
        slug=REPORT["report_slug"], title=REPORT["report_title"], published_on="2023-03-01"
    )
    RecommendationFactory(report=report, number=1)

    import_inquiry(csv_bytes([row(number="2")]))

    assert sorted(report.recommendations.values_list("number", flat=True)) == [1, 2]


def test_byte_order_mark_windows_line_endings_welsh_names_and_curly_quotes():
    content = csv_bytes(
        [
            row(
                title="Publish the “example” plan",
                text="The council’s plan should say ‘when’.",  # noqa: RUF001
                lead_owner="Cyngor Sir Ynys Môn (example)",
                supporting_owners="Llanfairpwllgwyngyll Example Board; Cyngor Gwynedd (example)",
            ),
            row(number="2", title="Second “example”", text="Multi-line\r\nwording — kept."),
        ],
        bom=True,
        newline="\r\n",
    )

    import_inquiry(content)

    first = Recommendation.objects.get(number=1)
    assert first.title == "Publish the “example” plan"
    assert first.text == "The council’s plan should say ‘when’."  # noqa: RUF001
    lead = first.ownerships.get(role="lead").organisation
    assert lead.name == "Cyngor Sir Ynys Môn (example)"
    assert lead.slug == "cyngor-sir-ynys-mon-example"
    assert Organisation.objects.filter(name="Llanfairpwllgwyngyll Example Board").exists()
    assert Recommendation.objects.get(number=2).text == "Multi-line\r\nwording — kept."
    assert Report.objects.get().slug == "test-import-inquiry"  # no BOM left in the first column


def test_the_shipped_example_file_imports_cleanly():
    out = io.StringIO()
    call_command("import_recommendations", str(EXAMPLE), stdout=out)

    report = Report.objects.get(slug="example-inquiry")
    assert "illustrative data, not a real report" in report.title
    assert report.recommendations.count() == 4
    assert Organisation.objects.filter(name="Cyngor Sir Ynys Môn (example)").exists()
    assert Response.objects.count() == 3
    assert "4 recommendation(s)" in out.getvalue()


# --- What a bad file is refused for --------------------------------------------------------------


def test_missing_column_is_refused_with_its_name():
    columns = [column for column in COLUMNS if column != "response"]
    messages = refused_messages(csv_bytes([row()], columns))
    assert messages == ['row 1, column "response": missing column']
    assert nothing_written()


def test_unknown_column_is_refused_so_typos_are_caught():
    columns = [*COLUMNS, "respones"]
    messages = refused_messages(csv_bytes([row()], columns))
    assert messages == ['row 1, column "respones": unknown column (check the spelling)']


def test_unknown_response_value_names_row_column_and_allowed_values():
    messages = refused_messages(
        csv_bytes([row(), row(number="2"), row(number="3", response="acepted")])
    )
    assert messages == [
        'row 4, column "response": unknown value "acepted" (expected one of: accepted, '
        "accepted_in_principle, partially_accepted, not_accepted, under_consideration, awaiting)"
    ]
    assert nothing_written()


def test_duplicate_number_is_refused():
    messages = refused_messages(csv_bytes([row(), row(title="Again")]))
    assert messages == [
        'row 3, column "number": duplicate number 1 (already used on row 2 for report '
        '"test-import-inquiry")'
    ]
    assert nothing_written()


def test_existing_recommendation_is_never_overwritten():
    report = ReportFactory(
        slug=REPORT["report_slug"], title=REPORT["report_title"], published_on="2023-03-01"
    )
    existing = RecommendationFactory(report=report, number=1, title="Editor's title")

    messages = refused_messages(csv_bytes([row(number="2"), row(number="1")]))

    assert messages == [
        'row 3, column "number": recommendation 1 already exists in report '
        '"test-import-inquiry"; the import only adds new recommendations (change existing ones '
        "in the admin)"
    ]
    existing.refresh_from_db()
    assert existing.title == "Editor's title"
    assert report.recommendations.count() == 1


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("report_published", "20/10/2022", '"20/10/2022" is not a date in the form YYYY-MM-DD'),
        ("report_published", "2022-02-30", '"2022-02-30" is not a real date'),
        ("response_date", "1 June 2023", '"1 June 2023" is not a date in the form YYYY-MM-DD'),
    ],
)
def test_bad_dates_are_refused(column, value, message):
    messages = refused_messages(csv_bytes([row(**{column: value})]))
    assert messages == [f'row 2, column "{column}": {message}']
    assert nothing_written()


@pytest.mark.parametrize("number", ["0", "1.0", "²", "-3", "40000"])
def test_a_number_must_be_a_positive_whole_number(number):
    messages = refused_messages(csv_bytes([row(number=number)]))
    assert messages == [f'row 2, column "number": "{number}" is not a whole number from 1 to 32767']


def test_empty_title_is_refused():
    messages = refused_messages(csv_bytes([row(title="  ")]))
    assert messages == ['row 2, column "title": empty; give the recommendation a short title']


@pytest.mark.parametrize(
    "url", ["ftp://example.org/response", "javascript:alert(1)", "www.example.org/response"]
)
def test_response_source_that_is_not_http_is_refused(url):
    messages = refused_messages(csv_bytes([row(response_source_url=url)]))
    assert messages == [
        f'row 2, column "response_source_url": "{url}" is not a web address starting with '
        "http:// or https://"
    ]


def test_a_response_needs_its_date_and_source_unless_awaiting():
    messages = refused_messages(
        csv_bytes([row(response="not_accepted", response_date="", response_source_url="")])
    )
    assert messages == [
        'row 2, column "response_date": empty; a response of not_accepted needs its date',
        'row 2, column "response_source_url": empty; a response of not_accepted needs the web '
        "address of its source",
    ]


def test_a_response_needs_a_lead_owner():
    messages = refused_messages(csv_bytes([row(lead_owner="")]))
    assert messages == [
        'row 2, column "lead_owner": empty, but a response is given; a response is the lead '
        "owner's"
    ]


def test_wording_kind_must_match_the_text():
    messages = refused_messages(
        csv_bytes(
            [
                row(text_is_verbatim="maybe"),
                row(number="2", text="", text_is_verbatim="yes"),
                row(number="3", text_is_verbatim=""),
            ]
        )
    )
    assert messages == [
        'row 2, column "text_is_verbatim": unknown value "maybe" (expected yes or no)',
        'row 3, column "text_is_verbatim": "yes" but the text is empty; leave it empty or say '
        '"no" when the wording is not known',
        'row 4, column "text_is_verbatim": empty; say "yes" when the text is the official '
        'wording, "no" when it is a summary',
    ]


def test_rows_of_one_report_must_agree_on_the_report():
    messages = refused_messages(
        csv_bytes(
            [row(), row(number="2", report_title="Another title", report_published="2023-03-02")]
        )
    )
    assert messages == [
        'row 3, column "report_title": "Another title" differs from "Test import inquiry: final '
        'report" on row 2 for the same report "test-import-inquiry"',
        'row 3, column "report_published": "2023-03-02" differs from "2023-03-01" on row 2 for '
        'the same report "test-import-inquiry"',
    ]


def test_every_bad_row_is_reported_and_good_rows_are_not_written():
    content = csv_bytes(
        [
            row(),
            row(number="2", response="acepted"),
            row(number="2", title=""),
            row(number="x"),
            row(number="5", response_date="2023-13-01"),
        ]
    )
    messages = refused_messages(content)
    assert [message.split(":")[0] for message in messages] == [
        'row 3, column "response"',
        'row 4, column "number"',
        'row 4, column "title"',
        'row 5, column "number"',
        'row 6, column "response_date"',
    ]
    assert nothing_written()


def test_row_numbers_count_records_as_a_spreadsheet_does():
    content = csv_bytes([row(text="Two\nlines"), row(number="2", response="acepted")])
    assert refused_messages(content)[0].startswith('row 3, column "response"')


def test_a_file_that_is_not_utf8_is_refused_clearly():
    content = csv_bytes([row()]).decode().replace("Example", "Ynys Môn").encode("latin-1")
    messages = refused_messages(content)
    assert len(messages) == 1
    assert messages[0].startswith("row 2: the file is not UTF-8 text")
    assert "CSV UTF-8" in messages[0]
    assert nothing_written()


def test_an_empty_file_and_a_header_without_rows_are_refused():
    assert refused_messages(b"") == [
        "row 1: the file is empty; the first row must name the columns"
    ]
    assert refused_messages(csv_bytes([])) == [
        "row 2: the file has no recommendations below the header"
    ]


def test_a_row_with_the_wrong_number_of_values_is_refused():
    content = csv_bytes([row()]) + b"test-import-inquiry,only three,values\n"
    assert refused_messages(content) == [
        "row 3: the row has 3 values but the header has 12 columns"
    ]


def test_plan_import_reads_only():
    plan = plan_import(csv_bytes([row(supporting_owners="Example Agency")]))
    assert plan.is_valid
    assert [org.name for org in plan.new_organisations] == ["Example Department", "Example Agency"]
    assert (len(plan.recommendations), plan.ownership_count, plan.response_count) == (1, 2, 1)
    assert nothing_written()


# --- The management command ----------------------------------------------------------------------


def write(tmp_path, content: bytes) -> str:
    path = tmp_path / "inquiry.csv"
    path.write_bytes(content)
    return str(path)


def test_command_imports_and_lists_what_it_created(tmp_path):
    out = io.StringIO()
    call_command("import_recommendations", write(tmp_path, csv_bytes([row()])), stdout=out)

    output = out.getvalue()
    assert (
        "Report test-import-inquiry: Test import inquiry: final report "
        "(new report, not published until an editor publishes it)"
    ) in output
    assert (
        "recommendation 1: Publish an example plan [verbatim]; owners: Example Department (lead);"
        " response: accepted"
    ) in output
    assert "New organisation: Example Department (example-department)" in output
    assert "Imported" in output
    assert "The new report(s) are not published" in output
    assert Recommendation.objects.count() == 1
    assert not Report.objects.get(slug="test-import-inquiry").is_published


def test_command_dry_run_writes_nothing(tmp_path):
    out = io.StringIO()
    call_command(
        "import_recommendations", write(tmp_path, csv_bytes([row()])), "--dry-run", stdout=out
    )
    assert "Dry run: the file is valid; nothing was written." in out.getvalue()
    assert "recommendation 1: Publish an example plan" in out.getvalue()
    assert nothing_written()


def test_command_prints_one_error_per_line_and_fails(tmp_path):
    content = csv_bytes([row(), row(number="2", response="acepted"), row(number="2")])
    err = io.StringIO()
    with pytest.raises(CommandError, match="refused with 2 problem"):
        call_command("import_recommendations", write(tmp_path, content), stderr=err)

    lines = err.getvalue().splitlines()
    assert lines[0].startswith('row 3, column "response": unknown value "acepted" (expected')
    assert lines[1].startswith('row 4, column "number": duplicate number 2')
    assert nothing_written()


def test_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match=r"Cannot read .*missing\.csv: No such file"):
        call_command("import_recommendations", str(tmp_path / "missing.csv"))
