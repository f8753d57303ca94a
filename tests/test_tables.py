"""The recommendation table: filters, sorting, pagination, safe downloads of the filtered rows."""

import csv
import datetime
import io
import json
import re

import openpyxl
import pytest
import tablib
import time_machine
from django.forms import Select
from django.template import Context, Template
from django_tables2.rows import BoundRows

from tests.factories import (
    OwnershipFactory,
    RecommendationFactory,
    ReportFactory,
    StatusUpdateFactory,
)
from tests.factories_pages import NOW
from tracker.as_of import parse_as_of
from tracker.models import ImplementationStatus
from tracker.public import tables
from tracker.public.filters import PlainSelect
from tracker.templatetags.table_rows import table_body_rows

pytestmark = pytest.mark.django_db


def numbers_shown(response) -> list[str]:
    """“Report number” for each row of the table, in order."""
    html = response.content.decode()
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return re.findall(r'href="/reports/([a-z-]+/\d+)/', body)


def download(client, query: str, export: str):
    response = client.get(f"/recommendations/?{query}&_export={export}")
    assert response.status_code == 200
    return response


def body(response) -> bytes:
    """A download's bytes: CSV and JSON are streamed, XLSX is not."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body(response).decode("utf-8-sig"))))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["test-inquiry/1", "test-inquiry/2", "second-inquiry/1"]),
        ("report=second-inquiry", ["second-inquiry/1"]),
        ("owner=example-wales", ["test-inquiry/1"]),
        ("owner=example-lead", ["test-inquiry/1", "second-inquiry/1"]),
        ("status=implemented", ["second-inquiry/1"]),
        ("status=not_yet_assessed", ["test-inquiry/2"]),
        ("response=accepted", ["test-inquiry/1"]),
        ("response=awaiting", ["test-inquiry/2", "second-inquiry/1"]),
        ("overdue=yes", ["test-inquiry/1"]),
        ("overdue=no", ["test-inquiry/2", "second-inquiry/1"]),
        ("q=EXAMPLE+authority", ["test-inquiry/1"]),
        ("q=publish+plan", ["second-inquiry/1"]),
        ("report=test-inquiry&overdue=no", ["test-inquiry/2"]),
    ],
)
def test_filters(client, sample, query, expected):
    response = client.get(f"/recommendations/?{query}")

    assert response.status_code == 200
    assert numbers_shown(response) == expected


def test_filters_work_as_of_a_past_date(client, sample):
    before_the_move = client.get("/recommendations/?overdue=yes&as_of=2025-04-15")
    after_the_move = client.get("/recommendations/?overdue=yes&as_of=2025-06-16")
    implemented_then = client.get("/recommendations/?status=implemented&as_of=2025-06-16")

    assert numbers_shown(before_the_move) == ["test-inquiry/1"]
    assert numbers_shown(after_the_move) == []
    assert numbers_shown(implemented_then) == []


def test_an_invalid_filter_value_gets_a_message_and_no_rows(client, sample):
    response = client.get("/recommendations/?status=finished")

    assert "Select a valid choice." in response.content.decode()
    assert numbers_shown(response) == []


def test_sorting_by_a_column_without_javascript(client, sample):
    response = client.get("/recommendations/")
    html = response.content.decode()
    assert 'href="?sort=status"' in html

    by_status = client.get("/recommendations/?sort=status")
    by_title_desc = client.get("/recommendations/?sort=-title")

    assert numbers_shown(by_status) == ["second-inquiry/1", "test-inquiry/1", "test-inquiry/2"]
    assert numbers_shown(by_title_desc)[0] == "second-inquiry/1"
    assert 'aria-sort="descending"' in by_title_desc.content.decode()


def test_pagination_keeps_the_filters(client):
    report = ReportFactory(slug="big")
    for number in range(1, 61):
        RecommendationFactory(report=report, number=number)

    first = client.get("/recommendations/?report=big")
    second = client.get("/recommendations/?report=big&page=2")

    assert len(numbers_shown(first)) == 50
    assert len(numbers_shown(second)) == 10
    assert 'href="?report=big&amp;page=2"' in first.content.decode()
    assert "Page 1 of 2 (60 recommendations)." in first.content.decode()


def test_pages_of_a_sort_with_ties_hold_every_row_once(client):
    report = ReportFactory(slug="big")
    for number in range(1, 61):
        RecommendationFactory(report=report, number=number, status=ImplementationStatus.IN_PROGRESS)

    first = numbers_shown(client.get("/recommendations/?sort=status"))
    second = numbers_shown(client.get("/recommendations/?sort=status&page=2"))

    assert len(first) == 50
    assert sorted(first + second) == sorted(f"big/{number}" for number in range(1, 61))
    # SQLite happens to return ties in the same order every time; PostgreSQL need not, so the
    # page's query itself must end with the id.
    page = tables.PageQuerysetData(tables.table_queryset(parse_as_of("")).order_by("status_then"))[
        0:50
    ]
    assert page.query.order_by[-1] == "pk"


def test_every_page_of_a_chosen_page_size_can_be_reached(client):
    report = ReportFactory(slug="big")
    for number in range(1, 26):
        RecommendationFactory(report=report, number=number)

    pages = [
        numbers_shown(client.get(f"/recommendations/?per_page=10&page={n}")) for n in (1, 2, 3)
    ]

    assert [len(page) for page in pages] == [10, 10, 5]
    assert sorted(number for page in pages for number in page) == sorted(
        f"big/{number}" for number in range(1, 26)
    )
    assert client.get("/recommendations/?per_page=10&page=4").status_code == 404


def test_a_page_that_does_not_exist_is_not_found(client, sample):
    assert client.get("/recommendations/?page=2").status_code == 404
    assert client.get("/recommendations/?page=two").status_code == 404


def test_download_links_keep_the_filters(client, sample):
    html = client.get("/recommendations/?report=test-inquiry&overdue=yes&page=1").content.decode()

    assert 'href="?report=test-inquiry&amp;overdue=yes&amp;_export=csv"' in html
    assert 'href="?report=test-inquiry&amp;overdue=yes&amp;_export=json"' in html
    assert 'href="?report=test-inquiry&amp;overdue=yes&amp;_export=xlsx"' in html


def test_csv_holds_exactly_the_filtered_rows_with_their_as_of_date(client, sample):
    response = download(client, "owner=example-lead", "csv")

    assert response["Content-Type"].startswith("text/csv")
    assert "recommendations-example-lead-as-of-2026-11-23.csv" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert [(row["Report"], row["No."]) for row in rows] == [("Test", "1"), ("Second", "1")]
    first = rows[0]
    assert first["Recommendation"] == "Create an example authority"
    assert first["Lead owner"] == "Example Department Lead"
    assert first["Response"] == "Accepted"
    assert first["Status"] == "In progress"
    assert first["Deadline"] == (
        "Past due with no report of delivery: due 31 December 2025, 327 days ago; an earlier "
        "deadline, due 31 March 2025, was missed: replaced after it fell due"
    )
    assert first["Last update"] == "2026-03-01"
    assert first["Kind of wording"] == "summary"
    assert first["Wording"] == "Do an example thing."
    assert first["Page"] == "http://127.0.0.1:8000/reports/test-inquiry/1/"
    assert first["Data as of"] == "2026-11-23"


def test_downloads_of_every_page_not_just_the_first(client):
    report = ReportFactory(slug="big")
    for number in range(1, 61):
        RecommendationFactory(report=report, number=number)

    assert len(csv_rows(download(client, "report=big&page=2", "csv"))) == 60


def test_download_as_of_a_past_date(client, sample):
    response = download(client, "as_of=2025-04-15", "json")

    rows = json.loads(body(response))
    assert "recommendations-as-of-2025-04-15.json" in response["Content-Disposition"]
    assert [row["Data as of"] for row in rows] == ["2025-04-15", "2025-04-15"]
    assert (
        rows[0]["Deadline"] == "Past due with no report of delivery: due 31 March 2025, 15 days ago"
    )


@pytest.fixture
def dangerous(sample):
    recommendation = RecommendationFactory(
        report=sample.report,
        number=3,
        title='=HYPERLINK("http://example.org","click")',
        text="+1+2",
    )
    OwnershipFactory(recommendation=recommendation, organisation__name="@Example body")
    return recommendation


def test_csv_neutralises_spreadsheet_formulas(client, dangerous):
    rows = csv_rows(download(client, "q=HYPERLINK", "csv"))

    assert rows[0]["Recommendation"] == '\'=HYPERLINK("http://example.org","click")'
    assert rows[0]["Wording"] == "'+1+2"
    assert rows[0]["Lead owner"] == "'@Example body"


def test_xlsx_neutralises_spreadsheet_formulas_and_holds_the_filtered_rows(client, dangerous):
    response = download(client, "report=test-inquiry", "xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    headers, data = rows[0], rows[1:]
    assert len(data) == 3
    title_column = headers.index("Recommendation")
    titles = [row[title_column] for row in data]
    assert '\'=HYPERLINK("http://example.org","click")' in titles
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_json_keeps_values_exactly(client, dangerous):
    rows = json.loads(body(download(client, "q=HYPERLINK", "json")))

    assert rows[0]["Recommendation"] == '=HYPERLINK("http://example.org","click")'


def built_in_memory(export_format: str, as_of: str = "") -> bytes:
    """The download as tablib built it in memory from the whole table, before it was streamed."""
    with time_machine.travel(NOW, tick=False):
        day = parse_as_of(as_of)
        table = tables.RecommendationTable(tables.table_queryset(day, for_download=True), as_of=day)
    values = table.as_values(spreadsheet_safe=export_format == "csv")
    dataset = tablib.Dataset(headers=next(values))
    for row in values:
        dataset.append(row)
    bom = tables.CSV_BOM if export_format == "csv" else ""
    return (bom + dataset.export(export_format)).encode()


@pytest.mark.parametrize("export_format", ["csv", "json"])
@pytest.mark.parametrize("as_of", ["", "2025-04-15"])
def test_downloads_stream_the_same_bytes_as_before(client, dangerous, export_format, as_of):
    response = download(client, f"as_of={as_of}", export_format)

    content = body(response)

    assert response.streaming
    assert content == built_in_memory(export_format, as_of)
    assert b"HYPERLINK" in content


@pytest.mark.parametrize("export_format", ["csv", "json"])
def test_downloads_are_written_a_chunk_of_rows_at_a_time(
    client, sample, monkeypatch, export_format
):
    whole = body(download(client, "", export_format))
    monkeypatch.setattr(tables, "ROWS_PER_CHUNK", 2)

    chunks = list(download(client, "", export_format).streaming_content)

    assert len(chunks) == 2  # three rows (and the CSV's header row), two a chunk
    assert b"".join(chunks) == whole


def test_an_empty_download_still_has_its_header_row(client, sample):
    assert body(download(client, "q=nothing-matches-this", "csv")).startswith(
        b"\xef\xbb\xbfReport,No.,"
    )
    assert body(download(client, "q=nothing-matches-this", "json")) == b"[]"


def without_blank_lines(html: str) -> list[str]:
    return [line for line in html.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("value", "attrs"),
    [
        ("", {"id": "id_status"}),
        ("in_progress", {"id": "id_status", "aria-invalid": "true", "required": True}),
        ("<b>", {"id": "id_status", "disabled": False}),
    ],
)
def test_the_filters_selects_have_the_markup_of_djangos_own(value, attrs):
    choices = [
        ("", "Any status"),
        ("in_progress", "In progress"),
        ("Grouped", [("a", "A & B"), ("b", '"B"')]),
    ]

    plain = PlainSelect(choices=choices).render("status", value, attrs=attrs)
    django = Select(choices=choices).render("status", value, attrs=attrs)

    assert without_blank_lines(plain) == without_blank_lines(django)


def test_the_table_renders_as_django_tables2_itself_would(rf, dangerous):
    """The base table's quicker rows (public.tables.Rows) give what django-tables2's own give."""
    with time_machine.travel(NOW, tick=False):
        day = parse_as_of("")
        quick = tables.RecommendationTable(tables.table_queryset(day), as_of=day)
        stock = tables.RecommendationTable(tables.table_queryset(day), as_of=day)
    stock.rows = BoundRows(data=stock.data, table=stock)
    request = rf.get("/recommendations/")

    assert list(quick.as_values()) == list(stock.as_values())
    assert quick.as_html(request) == stock.as_html(request)
    assert "HYPERLINK" in quick.as_html(request)


# The body rows as the table's template wrote them before `table_body_rows`.
TEMPLATE_ROWS = Template(
    "{% for row in table.paginated_rows %}<tr>{% for column, cell in row.items %}"
    '<td data-label="{{ column.header }}">{{ cell }}</td>{% endfor %}</tr>{% endfor %}'
)


def test_the_body_rows_are_what_the_template_loop_wrote(dangerous):
    """Escaping included: the titles hold markup and formula characters."""
    RecommendationFactory(report=dangerous.report, number=4, title="<script>alert(1)</script>")
    with time_machine.travel(NOW, tick=False):
        day = parse_as_of("")
        table = tables.RecommendationTable(tables.table_queryset(day), as_of=day)
        written = table_body_rows(table)
        looped = TEMPLATE_ROWS.render(Context({"table": table}))

    assert written.replace("\n      ", "") == looped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in written
    assert written.count("<tr>") == len(table.data) > 0


def test_csv_starts_with_a_bom_and_splits_the_deadline_into_columns(client, sample):
    response = download(client, "report=test-inquiry", "csv")

    content = body(response)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    overdue = rows[0]
    assert overdue["Due date"] == "2025-12-31"
    assert overdue["Deadline state"] == "Past due with no report of delivery"
    assert overdue["Days late"] == "327"
    assert overdue["Deadline"] == (
        "Past due with no report of delivery: due 31 December 2025, 327 days ago; an earlier "
        "deadline, due 31 March 2025, was missed: replaced after it fell due"
    )
    assert overdue["Status date"] == "2024-01-10"
    assert overdue["Supporting owners"] == "Example Department Wales"
    assert overdue["Source URLs"] == "https://example.org/update"
    assert overdue["Format version"] == "3"
    # Format 3: the response clock and the deadlines missed.
    assert (overdue["Response late since"], overdue["Deadlines missed"]) == ("", "1")
    unknown = rows[1]
    assert (unknown["Due date"], unknown["Deadline state"], unknown["Days late"]) == (
        "",
        "No deadline set",
        "",
    )
    assert (unknown["Response"], unknown["Response late since"]) == ("Not known", "2023-04-22")
    assert unknown["Deadlines missed"] == "0"
    assert list(rows[0])[-3:] == ["Format version", "Response late since", "Deadlines missed"]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("", "recommendations-as-of-2026-11-23.csv"),
        (
            "report=test-inquiry&overdue=yes",
            "recommendations-test-inquiry-overdue-as-of-2026-11-23.csv",
        ),
        (
            "status=in_progress&overdue=no",
            "recommendations-in_progress-not-overdue-as-of-2026-11-23.csv",
        ),
        ("q=Example authority", "recommendations-matching-example-authority-as-of-2026-11-23.csv"),
        ("late=yes", "recommendations-late-as-of-2026-11-23.csv"),
        ("response_late=no", "recommendations-response-not-late-as-of-2026-11-23.csv"),
        ("as_of=2025-04-15", "recommendations-as-of-2025-04-15.csv"),
    ],
)
def test_the_file_name_says_the_filters_and_the_day(client, sample, query, name):
    response = download(client, query, "csv")

    assert response["Content-Disposition"] == f'attachment; filename="{name}"'


def test_xlsx_dates_are_date_cells(client, sample):
    response = download(client, "report=test-inquiry", "xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows())
    headers = [cell.value for cell in rows[0]]
    due = rows[1][headers.index("Due date")]
    last_update = rows[1][headers.index("Last update")]
    assert due.is_date
    assert due.value.date() == datetime.date(2025, 12, 31)
    assert last_update.is_date
    assert rows[1][headers.index("Days late")].value == 327


def test_json_keeps_its_keys_and_adds_the_new_ones(client, sample):
    rows = json.loads(body(download(client, "report=test-inquiry", "json")))

    assert list(rows[0])[:13] == [
        "Report",
        "No.",
        "Recommendation",
        "Lead owner",
        "Response",
        "Status",
        "Deadline",
        "Last update",
        "Report title",
        "Kind of wording",
        "Wording",
        "Page",
        "Data as of",
    ]
    assert rows[0]["Due date"] == "2025-12-31"
    assert rows[0]["Days late"] == 327
    assert rows[0]["Format version"] == 3
    assert (rows[0]["Response late since"], rows[0]["Deadlines missed"]) == ("", 1)
    assert rows[1]["Response late since"] == "2023-04-22"


def test_a_download_lets_go_of_each_row_once_written():
    """A download's memory must not grow with its rows: a row's prefetched owners and updates
    point back at it (a reference cycle only the cyclic collector would free), so each row is
    released as soon as it is written. With the collector off, written rows do not stay alive."""
    import gc
    import weakref

    for _ in range(3):
        recommendation = RecommendationFactory()
        OwnershipFactory(recommendation=recommendation, role="supporting")
        StatusUpdateFactory(recommendation=recommendation, published=True)
    data = tables.PageQuerysetData(tables.table_queryset(parse_as_of(None), for_download=True))
    written = []
    gc.disable()
    try:
        for row in data:
            assert row.supporting_ownerships
            assert row.published_updates
            written.append(weakref.ref(row))
        del row
        assert len(written) == 3
        alive = [ref for ref in written if ref() is not None]
        # Django's prefetch keeps the first row of the latest chunk as a query hint: one row,
        # whatever the number of rows.
        assert len(alive) <= 1
    finally:
        gc.enable()
