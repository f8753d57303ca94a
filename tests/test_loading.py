"""Loading report files through `manage.py load_reports`: checks, idempotence, editors' changes.

Every report here is fictional and labelled as a test; none of it describes a real inquiry.
"""

import copy
import datetime
import io
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from tests.factories import example_source
from tracker.intake.merging import LOADED
from tracker.models import (
    Deadline,
    ImplementationStatus,
    Organisation,
    Ownership,
    Recommendation,
    Report,
    Response,
    StatusUpdate,
)
from tracker.updates import publish_update

pytestmark = pytest.mark.django_db

MODELS = (Report, Organisation, Recommendation, Ownership, Response, Deadline, StatusUpdate)

TEST_INQUIRY = {
    "report": {
        "slug": "test-inquiry-fictional",
        "title": "Test Inquiry (fictional, for automated tests only)",
        "short_name": "Test inquiry",
        "chair": "Fictional chair",
        "published_on": datetime.date(2024, 3, 1),
        "url": "https://example.org/test-inquiry",
        "government_response_on": datetime.date(2024, 9, 2),
        "government_response_url": "https://example.org/test-inquiry/response",
        "summary": "A fictional report used only to test loading.",
    },
    "organisations": [
        {
            "slug": "example-government",
            "name": "Example Government (test)",
            "kind": "government",
            "url": "https://example.org/government",
        },
        {"slug": "example-agency", "name": "Example Agency (test)", "kind": "agency"},
    ],
    "recommendations": [
        {
            "number": 1,
            "title": "Publish an example plan",
            "title_is_official": True,
            "text": "The example government should publish an example plan.",
            "text_kind": "verbatim",
            "text_source_url": "https://example.org/test-inquiry#r1",
            "owners": [
                {"organisation": "example-government", "role": "lead"},
                {
                    "organisation": "example-agency",
                    "role": "supporting",
                    "basis": "inferred",
                    "scope": "Example region",
                },
            ],
            "responses": [
                {
                    "organisation": "example-government",
                    "kind": "accepted",
                    "kind_is_official": True,
                    "responded_on": datetime.date(2024, 9, 2),
                    "summary": "Accepted.",
                    "source_url": "https://example.org/test-inquiry/response",
                }
            ],
            "deadlines": [
                {
                    "key": "first",
                    "organisation": "example-government",
                    "commitment": "Publish the example plan",
                    "stated_as": "by the end of 2025",
                    "precision": "year",
                    "due_date": datetime.date(2025, 12, 31),
                    "promised_on": datetime.date(2024, 9, 2),
                    "source_url": "https://example.org/test-inquiry/response",
                },
                {
                    "key": "second",
                    "organisation": "example-government",
                    "commitment": "Publish the example plan",
                    "stated_as": "by March 2026",
                    "precision": "month",
                    "due_date": datetime.date(2026, 3, 31),
                    "source_url": "https://example.org/test-inquiry/later",
                    "supersedes": "first",
                    "change_reason": "The example government moved the date.",
                },
            ],
            "updates": [
                {
                    "describes_on": datetime.date(2025, 1, 10),
                    "status": "in_progress",
                    "account": "owner",
                    "summary": "A draft plan was published for comment.",
                    "source_url": "https://example.org/test-inquiry/draft",
                    "source_title": "Example draft plan",
                },
                {
                    "describes_on": datetime.date(2025, 2, 1),
                    "organisation": "example-agency",
                    "status": "not_started",
                    "account": "independent",
                    "summary": "The agency's part had not started.",
                    "source_url": "https://example.org/test-inquiry/review",
                },
            ],
        },
        {
            "number": 2,
            "text": "",
            "text_kind": "unknown",
            "owners": [{"organisation": "example-agency", "role": "lead"}],
            "updates": [
                {
                    "describes_on": datetime.date(2025, 5, 5),
                    "status": "not_being_implemented",
                    "account": "owner",
                    "reason": "dropped",
                    "summary": "The agency said it would not proceed.",
                    "source_url": "https://example.org/test-inquiry/dropped",
                }
            ],
        },
    ],
}


def write(tmp_path: Path, data: dict, name: str = "test-inquiry.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def load(*paths: Path) -> str:
    out = io.StringIO()
    call_command("load_reports", *[str(p) for p in paths], stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def refused(path: Path) -> str:
    with pytest.raises(CommandError) as error:
        load(path)
    assert set(counts().values()) == {0}, "nothing may be written"
    return str(error.value)


@pytest.fixture
def inquiry():
    return copy.deepcopy(TEST_INQUIRY)


# --- A third inquiry is data ---------------------------------------------------------------------


def test_a_new_inquiry_file_loads_without_code_changes(tmp_path, inquiry):
    output = load(write(tmp_path, inquiry))

    report = Report.objects.get(slug="test-inquiry-fictional")
    assert report.short_name == "Test inquiry"
    assert report.government_response_on == datetime.date(2024, 9, 2)
    assert "Test inquiry (new report): 2 recommendations, 2 new; 3 owners, 3 new" in output

    first = Recommendation.objects.get(report=report, number=1)
    assert first.ownerships.leads().get().organisation.slug == "example-government"
    agency_part = first.ownerships.get(organisation__slug="example-agency")
    assert (agency_part.basis, agency_part.scope) == ("inferred", "Example region")
    assert first.responses.get().kind_is_official is True

    later = first.deadlines.get(stated_as="by March 2026")
    assert later.supersedes.stated_as == "by the end of 2025"
    assert first.deadlines.get(stated_as="by the end of 2025").is_superseded

    assert first.updates.published().count() == 2
    assert (first.status, first.status_on) == ("in_progress", datetime.date(2025, 1, 10))
    second = Recommendation.objects.get(report=report, number=2)
    assert (second.text_kind, second.text) == ("unknown", "")
    assert second.status == ImplementationStatus.NOT_BEING_IMPLEMENTED


def test_loading_twice_creates_nothing_new(tmp_path, inquiry):
    path = write(tmp_path, inquiry)
    load(path)
    before = counts()
    output = load(path)
    assert counts() == before
    assert "Test inquiry (report already loaded): 2 recommendations, 0 new; 3 owners, 0 new" in (
        output
    )
    assert "2 deadlines, 0 new; 3 updates, 0 new; 2 organisations, 0 new; 0 checks, 0 new" in output


def test_an_added_recommendation_is_loaded_on_the_next_run(tmp_path, inquiry):
    path = write(tmp_path, inquiry)
    load(path)
    inquiry["recommendations"].append(
        {
            "number": 3,
            "text": "A third example step.",
            "text_kind": "summary",
            "owners": [{"organisation": "example-government", "role": "lead"}],
        }
    )
    output = load(write(tmp_path, inquiry))
    assert "3 recommendations, 1 new" in output
    assert Recommendation.objects.filter(report__slug="test-inquiry-fictional").count() == 3


# --- Editors' changes are kept -------------------------------------------------------------------


def test_editor_changes_are_not_overwritten(tmp_path, inquiry):
    path = write(tmp_path, inquiry)
    load(path)
    Report.objects.filter(slug="test-inquiry-fictional").update(title="Corrected by an editor")
    Organisation.objects.filter(slug="example-agency").update(name="Renamed Agency (test)")
    Recommendation.objects.filter(number=1).update(title="Editor's title", text_note="Checked.")
    Ownership.objects.filter(organisation__slug="example-agency", recommendation__number=1).update(
        scope="Editor's scope"
    )
    Response.objects.update(summary="Editor's summary.")
    Deadline.objects.filter(stated_as="by March 2026").update(
        met_on=datetime.date(2026, 3, 2), commitment="Publish the example plan"
    )

    load(path)

    assert Report.objects.get().title == "Corrected by an editor"
    assert Organisation.objects.get(slug="example-agency").name == "Renamed Agency (test)"
    first = Recommendation.objects.get(number=1)
    assert (first.title, first.text_note) == ("Editor's title", "Checked.")
    assert first.ownerships.get(organisation__slug="example-agency").scope == "Editor's scope"
    assert Response.objects.get().summary == "Editor's summary."
    assert Deadline.objects.get(stated_as="by March 2026").met_on == datetime.date(2026, 3, 2)


def test_a_reworded_commitment_is_brought_up_to_date_but_a_date_never_is(tmp_path, inquiry):
    load(write(tmp_path, inquiry))
    first, second = (
        Deadline.objects.get(stated_as="by the end of 2025"),
        Deadline.objects.get(stated_as="by March 2026"),
    )
    # An editor's own wording is kept (edited outside the admin, which fixes it once saved).
    Deadline.objects.filter(pk=second.pk).update(commitment="The editor's wording.")
    deadlines = inquiry["recommendations"][0]["deadlines"]
    deadlines[0]["commitment"] = "“We will publish the example plan” (the government's words)"
    deadlines[1]["commitment"] = "The file's new wording."
    # A date the file now gives differently is not rewritten.
    deadlines[0]["due_date"] = datetime.date(2026, 12, 31)
    deadlines[0]["stated_as"] = "by the end of 2026"

    output = load(write(tmp_path, inquiry))

    assert Deadline.objects.count() == 2
    first.refresh_from_db()
    assert first.commitment == "“We will publish the example plan” (the government's words)"
    assert (first.stated_as, first.due_date) == ("by the end of 2025", datetime.date(2025, 12, 31))
    assert first.history.filter(history_change_reason=LOADED).exists()
    assert Deadline.objects.get(pk=second.pk).commitment == "The editor's wording."
    assert "the deadline 'first' gives another date" in output
    assert "never rewritten" in output
    assert "2 deadlines, 0 new, 1 brought up to date" in output


def test_a_lead_owner_changed_by_an_editor_is_kept(tmp_path, inquiry):
    path = write(tmp_path, inquiry)
    load(path)
    first = Recommendation.objects.get(number=1)
    first.ownerships.filter(organisation__slug="example-government").delete()
    first.ownerships.filter(organisation__slug="example-agency").update(role="lead")

    output = load(path)

    assert first.ownerships.leads().get().organisation.slug == "example-agency"
    assert not first.ownerships.filter(organisation__slug="example-government").exists()
    assert "kept the lead owner set in the database" in output


def test_a_status_update_corrected_by_a_new_one_is_not_duplicated(tmp_path, inquiry):
    path = write(tmp_path, inquiry)
    load(path)
    first = Recommendation.objects.get(number=1)
    correction = StatusUpdate.objects.create(
        recommendation=first,
        describes_on=datetime.date(2025, 6, 1),
        status=ImplementationStatus.IMPLEMENTED,
        summary="An editor recorded that the plan was published.",
        account=StatusUpdate.Account.INDEPENDENT,
        source=example_source("https://example.org/test-inquiry/published"),
    )
    publish_update(correction)

    load(path)

    first.refresh_from_db()
    assert first.status == ImplementationStatus.IMPLEMENTED
    assert first.updates.count() == 3


# --- Bad input is refused whole ------------------------------------------------------------------


def set_in(data: dict, path: tuple, value) -> None:
    for key in path[:-1]:
        data = data[key]
    if value is DELETE:
        del data[path[-1]]
    else:
        data[path[-1]] = value


DELETE = object()
REC1 = ("recommendations", 0)
REC2 = ("recommendations", 1)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        pytest.param(
            (*REC1, "text_kind"),
            "official",
            "recommendation 1, text_kind: Input should be",
            id="choice",
        ),
        pytest.param(
            (*REC2, "owners", 0, "organisation"),
            "no-such-body",
            "recommendation 2, owners[0].organisation: 'no-such-body' is not in organisations",
            id="unknown-organisation",
        ),
        pytest.param(
            (*REC2, "owners", 0, "role"),
            "supporting",
            "recommendation 2, owners: exactly one owner must have role lead (found 0)",
            id="no-lead",
        ),
        pytest.param(
            (*REC1, "owners", 1, "role"),
            "lead",
            "recommendation 1, owners: exactly one owner must have role lead (found 2)",
            id="two-leads",
        ),
        pytest.param(
            (*REC1, "deadlines", 0, "due_date"),
            datetime.date(2025, 12, 1),
            "recommendation 1, deadlines[0].due_date: a deadline stated by year falls due on the "
            "last day of that period: 2025-12-31",
            id="due-date-not-end-of-period",
        ),
        pytest.param(
            (*REC1, "deadlines", 1, "supersedes"),
            "zeroth",
            "recommendation 1, deadlines[1].supersedes: 'zeroth' is not the key",
            id="supersedes-unknown",
        ),
        pytest.param(
            (*REC1, "updates", 0, "source_url"),
            "ftp://example.org/file",
            "recommendation 1, updates[0].source_url: Value error, give a full http:// or https://",
            id="not-http",
        ),
        pytest.param(
            (*REC1, "updates", 0, "source_url"),
            DELETE,
            "recommendation 1, updates[0].source_url: Field required",
            id="published-update-without-source",
        ),
        pytest.param(
            (*REC1, "updates", 0, "describes_on"),
            "10 January 2025",
            "recommendation 1, updates[0].describes_on: Value error, give a date as YYYY-MM-DD",
            id="bad-date",
        ),
        pytest.param(
            (*REC2, "updates", 0, "reason"),
            "",
            "recommendation 2, updates[0].reason: say why it is not being implemented",
            id="dropped-without-reason",
        ),
        pytest.param(
            (*REC1, "responses", 0, "responded_on"),
            DELETE,
            "recommendation 1, responses[0].responded_on: a response given needs its date",
            id="response-without-date",
        ),
        pytest.param(
            (*REC2, "text"),
            "Some words",
            "recommendation 2, text: must be empty when text_kind is unknown",
            id="unknown-wording-with-text",
        ),
        pytest.param(
            (*REC1, "text"),
            "",
            "recommendation 1, text: give the wording, or set text_kind to unknown",
            id="wording-missing",
        ),
        pytest.param(
            (*REC1, "title_is_official"),
            "yes",
            "recommendation 1, title_is_official: Input should be a valid boolean",
            id="not-a-boolean",
        ),
        pytest.param(
            (*REC1, "colour"),
            "blue",
            "recommendation 1, colour: Extra inputs are not permitted",
            id="unknown-field",
        ),
        pytest.param(
            (*REC2, "number"),
            3,
            "recommendations: numbers must run from 1 to 2 (missing 2)",
            id="numbers-not-contiguous",
        ),
        pytest.param(
            (*REC2, "number"),
            1,
            "recommendations: numbers must run from 1 to 2 (missing 2; repeated 1)",
            id="numbers-repeated",
        ),
        pytest.param(
            ("report", "url"),
            "example.org/report",
            "report.url: Value error, give a full http:// or https://",
            id="report-url",
        ),
        pytest.param(
            ("organisations", 1, "kind"),
            "charity",
            "organisations[1].kind: Input should be",
            id="organisation-kind",
        ),
    ],
)
def test_each_kind_of_bad_input_is_named_and_nothing_is_written(
    tmp_path, inquiry, path, value, expected
):
    set_in(inquiry, path, value)
    message = refused(write(tmp_path, inquiry))
    assert "Nothing was loaded" in message
    assert f"test-inquiry.yaml: {expected}" in message


def test_every_problem_in_a_file_is_reported_at_once(tmp_path, inquiry):
    set_in(inquiry, (*REC1, "text_kind"), "official")
    set_in(inquiry, (*REC2, "updates", 0, "source_url"), "not a url")
    set_in(inquiry, ("report", "published_on"), "soon")
    message = refused(write(tmp_path, inquiry))
    assert "recommendation 1, text_kind" in message
    assert "recommendation 2, updates[0].source_url" in message
    assert "report.published_on" in message


def test_a_bad_file_stops_good_files_loading_too(tmp_path, inquiry):
    good = write(tmp_path, inquiry, "good.yaml")
    set_in(inquiry, (*REC1, "owners", 0, "role"), "owner")
    bad = write(tmp_path, inquiry, "bad.yaml")
    with pytest.raises(CommandError, match=r"bad\.yaml: recommendation 1, owners\[0\]\.role"):
        load(good, bad)
    assert set(counts().values()) == {0}


def test_a_problem_found_while_loading_rolls_everything_back(tmp_path, inquiry):
    Organisation.objects.create(slug="other-slug", name="Example Agency (test)")
    with pytest.raises(CommandError) as error:
        load(write(tmp_path, inquiry))
    message = str(error.value)
    assert "the name 'Example Agency (test)' already belongs to another organisation" in message
    assert Organisation.objects.count() == 1
    assert not Report.objects.exists()
    assert not Recommendation.objects.exists()


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match=r"no-such-file\.yaml: no such file"):
        load(tmp_path / "no-such-file.yaml")


def test_a_file_that_is_not_yaml_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("report: [unclosed\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"broken\.yaml: not valid YAML"):
        load(path)


def test_yaml_that_is_not_a_report_is_a_clear_error(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"list\.yaml: expected a YAML mapping"):
        load(path)
