"""Property-based tests (Hypothesis): whatever comes in, the CSV import and the filters answer
with their own clear refusal, never a crash, and a refused input writes nothing."""

import csv
import datetime
import io
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import (
    DeadlineFactory,
    OrganisationFactory,
    OwnershipFactory,
    RecommendationFactory,
    ReportFactory,
    ResponseFactory,
    StatusUpdateFactory,
)
from tracker.intake.csv_rows import COLUMNS, OPTIONAL_COLUMNS, ImportRefused
from tracker.intake.importing import import_inquiry
from tracker.models import (
    ImplementationStatus,
    Organisation,
    Ownership,
    Recommendation,
    Report,
    Response,
    ResponseKind,
)

pytestmark = pytest.mark.django_db

# Modest budgets keep the file well under a minute; examples are not saved between runs.
EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

WRITTEN_BY_IMPORT = (Report, Recommendation, Organisation, Ownership, Response)

# Any text but lone surrogates (which cannot be encoded); short, so shrinking stays quick.
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=24)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WRITTEN_BY_IMPORT}


def try_import(content: bytes) -> tuple[bool, dict[str, int], dict[str, int]]:
    """Import inside a savepoint that is rolled back, so examples do not see each other's rows."""
    with transaction.atomic():
        before = row_counts()
        errors = []
        try:
            import_inquiry(content)
        except ImportRefused as refused:
            errors = refused.errors or [None]
        after = row_counts()
        transaction.set_rollback(True)
    assert all(str(error or "") for error in errors), "a refusal says why, row by row"
    return not errors, before, after


@given(content=st.binary(max_size=2000))
@EXAMPLES
def test_random_bytes_are_refused_clearly_and_write_nothing(content):
    accepted, before, after = try_import(content)
    assert not accepted
    assert after == before


dates = st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)).map(str)
slugs = st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)
urls = st.builds(lambda path: f"https://example.org/{path}", slugs)


@st.composite
def csv_files(draw) -> bytes:
    """A well-formed file of one report's recommendations, often with a few cells spoiled."""
    columns = list(COLUMNS)
    if draw(st.booleans()):
        columns.append(OPTIONAL_COLUMNS[0])
    columns = draw(st.permutations(columns))
    report = {
        "report_slug": draw(st.sampled_from(["prop-inquiry", "prop-other"])),
        "report_title": "Property inquiry: final report",
        "report_published": draw(dates),
        "report_short_name": "Prop",
    }
    rows = [
        {
            **report,
            "number": str(number),
            "title": f"Example recommendation {number}",
            "text": draw(any_text),
            "text_is_verbatim": draw(st.sampled_from(["yes", "no"])),
            "lead_owner": draw(st.sampled_from(["Example Department", "Example Agency"])),
            "supporting_owners": draw(st.sampled_from(["", "Other Body", "Other Body; Another"])),
            "response": draw(st.sampled_from(ResponseKind.values)),
            "response_date": draw(dates),
            "response_source_url": draw(urls),
        }
        for number in range(1, draw(st.integers(1, 5)) + 1)
    ]
    for _ in range(draw(st.integers(0, 3))):
        row = draw(st.sampled_from(rows))
        row[draw(st.sampled_from(columns))] = draw(any_text)
    if draw(st.integers(0, 9)) == 0:  # now and then a header that is wrong
        columns = draw(st.lists(st.sampled_from([*columns, "extra", ""]), max_size=15))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16"]))
    return out.getvalue().encode(encoding)


@given(content=csv_files())
@EXAMPLES
def test_csv_rows_are_imported_whole_or_refused_with_nothing_written(content):
    accepted, before, after = try_import(content)
    if accepted:
        assert after["Recommendation"] > before["Recommendation"]
    else:
        assert after == before


# --- Filters ------------------------------------------------------------------------------------


@pytest.fixture
def tracked(settings):
    """A little data for the filters to work on; the API's rate limit is off for the examples."""
    settings.API_RATE = None
    report = ReportFactory(slug="prop-inquiry")
    owner = OrganisationFactory(slug="prop-owner")
    for number in (1, 2, 3):
        recommendation = RecommendationFactory(report=report, number=number)
        OwnershipFactory(recommendation=recommendation, organisation=owner)
        ResponseFactory(recommendation=recommendation, organisation=owner)
        DeadlineFactory(recommendation=recommendation, organisation=owner)
        StatusUpdateFactory(
            recommendation=recommendation, published=True, status=ImplementationStatus.IN_PROGRESS
        )
    return report


FILTER_VALUES = {
    "report": st.sampled_from(["prop-inquiry", "no-such-report", ""]),
    "owner": st.sampled_from(["prop-owner", "no-such-owner", ""]),
    "status": st.sampled_from([*ImplementationStatus.values, "bogus", ""]),
    "response": st.sampled_from([*ResponseKind.values, "bogus", ""]),
    "overdue": st.sampled_from(["yes", "no", "true", "false", "1", "0", "maybe", ""]),
    "q": any_text,
    "as_of": st.one_of(dates, st.sampled_from(["", "2025-02-30", "today", "99999-01-01"])),
    "sort": st.sampled_from(["title", "-status", "owner", "nonsense", ""]),
    "ordering": st.sampled_from(["number", "-title", "nonsense", ""]),
    "per_page": st.sampled_from(["1", "50", "200", "201", "0", "-1", "x"]),
    "page_size": st.sampled_from(["1", "50", "200", "201", "0", "-1", "x"]),
    "_export": st.sampled_from(["csv", "json", "xlsx", "pdf"]),
}
# Known parameters with plausible or wrong values, and unknown ones with any value.
filter_params = st.dictionaries(
    st.one_of(st.sampled_from(sorted(FILTER_VALUES)), any_text.filter(bool)), any_text, max_size=5
).flatmap(
    lambda drawn: st.fixed_dictionaries(
        {key: FILTER_VALUES.get(key, st.just(value)) for key, value in drawn.items()}
    )
)


@given(params=filter_params)
@EXAMPLES
def test_any_filter_on_the_table_answers_200_or_400(client, tracked, params):
    response = client.get("/recommendations/", params)
    assert response.status_code in {200, 400}, (params, response.status_code)


@given(params=filter_params)
@EXAMPLES
def test_any_filter_on_the_api_answers_200_or_400(client, tracked, params):
    response = client.get("/api/recommendations/", params)
    assert response.status_code in {200, 400}, (params, response.status_code)
    assert response["Content-Type"] == "application/json"
    if response.status_code == 400:
        assert response.json(), "a refusal says what was wrong"


def test_a_nul_character_is_refused_before_the_database_sees_it():
    """Found by the property above on PostgreSQL, which cannot store NUL in text."""
    good = (Path(__file__).parent.parent / "fixtures" / "example-inquiry.csv").read_bytes()
    lines = good.splitlines(keepends=True)
    content = b"".join([*lines[:2], lines[2].replace(b"Review", b"Re\x00view", 1), *lines[3:]])
    accepted, before, after = try_import(content)
    assert not accepted
    assert after == before
    with pytest.raises(ImportRefused, match=r"^row 3: the file contains a NUL character"):
        import_inquiry(content)
