"""Report files, format 2: sources listed once, checks, and bringing a loaded report up to date.

Every report here is fictional and labelled as a test; none of it describes a real inquiry.
"""

import copy
import datetime
import io

import pytest
import yaml
from django.core.management import CommandError, call_command

from tests.test_loading import TEST_INQUIRY
from tracker.intake.report_schema import upgrade_v1
from tracker.models import (
    Check,
    Ownership,
    Recommendation,
    Response,
    Source,
    StatusUpdate,
    lead_of,
)

pytestmark = pytest.mark.django_db

GOV = "https://www.gov.uk/government/publications/example-test-response"


def version_2() -> dict:
    data = upgrade_v1(copy.deepcopy(TEST_INQUIRY))
    data["sources"].append(
        {
            "url": GOV,
            "title": "Example response (fictional, for tests)",
            "publisher": "GOV.UK (test)",
            "published_on": datetime.date(2024, 9, 2),
            "kind": "primary",
        }
    )
    return data


def write(tmp_path, data, name="test-inquiry.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def load(*paths) -> str:
    out = io.StringIO()
    call_command("load_reports", *map(str, paths), stdout=out)
    return out.getvalue()


def refused(path) -> str:
    with pytest.raises(CommandError) as error:
        load(path)
    return str(error.value)


def test_a_format_2_file_lists_sources_once_and_records_cite_them(tmp_path):
    data = version_2()
    rec = data["recommendations"][0]
    rec["responses"][0]["source"] = GOV
    rec["responses"][0]["quote"] = "We accept this fictional recommendation."
    rec["checks"] = [
        {"checked_on": "2026-12-05", "checked_by_name": "Test editor", "outcome": "recorded"}
    ]
    load(write(tmp_path, data))

    source = Source.objects.get(url=GOV)
    assert (source.kind, source.publisher, source.published_on) == (
        "primary",
        "GOV.UK (test)",
        datetime.date(2024, 9, 2),
    )
    response = Response.objects.get(recommendation__number=1)
    assert response.source == source
    assert response.quote == "We accept this fictional recommendation."
    first = Recommendation.objects.get(number=1)
    assert first.text_source.url == "https://example.org/test-inquiry#r1"
    assert first.report.source.url == "https://example.org/test-inquiry"
    check = Check.objects.get()
    assert (check.recommendation, check.checked_on, check.checked_by_name) == (
        first,
        datetime.date(2026, 12, 5),
        "Test editor",
    )


def test_a_version_1_file_is_read_as_version_2(tmp_path):
    load(write(tmp_path, copy.deepcopy(TEST_INQUIRY)))
    update = StatusUpdate.objects.get(source__url="https://example.org/test-inquiry/draft")
    assert update.source.title == "Example draft plan"
    assert update.source.kind == Source.Kind.SECONDARY


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["recommendations"][0].update(text_source="https://example.org/unlisted"),
            "recommendation 1, text_source: 'https://example.org/unlisted' is not in sources",
        ),
        (
            lambda d: d["sources"].append(dict(d["sources"][0])),
            "is listed more than once",
        ),
        (
            lambda d: d["recommendations"][0]["responses"][0].update(source=None, quote="Words"),
            "a quotation needs the source whose page carries it",
        ),
        (lambda d: d.update(format_version=3), "format_version: 3 is not a version"),
        (
            lambda d: d["sources"][0].update(kind="tertiary"),
            "sources[0].kind: Input should be 'primary' or 'secondary'",
        ),
        (
            lambda d: d["recommendations"][0].update(
                checks=[{"checked_on": "2026-12-05", "outcome": "nothing_new"}]
            ),
            "recommendation 1, checks[0].checked_by_name: Field required",
        ),
    ],
    ids=["unlisted-source", "source-twice", "quote-without-source", "version", "kind", "check"],
)
def test_bad_format_2_input_is_named_and_nothing_is_written(tmp_path, change, expected):
    data = version_2()
    change(data)
    assert expected in refused(write(tmp_path, data))
    assert not Source.objects.exists()


def test_a_newer_file_brings_the_database_up_to_date_but_keeps_editors_changes(tmp_path):
    load(write(tmp_path, copy.deepcopy(TEST_INQUIRY), "old.yaml"))
    first = Recommendation.objects.get(number=1)
    second = Recommendation.objects.get(number=2)
    # An editor corrects one recommendation's title and one response's summary.
    Recommendation.objects.filter(pk=second.pk).update(title="Editor's title")
    Response.objects.filter(recommendation=first).update(summary="Editor's summary.")
    published_before = {u.pk: (u.summary, u.source_id) for u in StatusUpdate.objects.published()}

    data = version_2()
    new_first, new_second = data["recommendations"]
    new_first["title"] = "A newer title from the file"
    new_first["text_note"] = "Quoted from the fictional report, paragraph 1."
    new_first["responses"][0]["source"] = GOV
    new_first["responses"][0]["kind_is_official"] = False
    new_first["responses"][0]["summary"] = "The file's newer summary."
    new_second["title"] = "The file's newer title"
    # The file names a new lead; the old lead stays as a supporting owner.
    new_first["owners"] = [
        {"organisation": "example-agency", "role": "lead", "basis": "stated", "source": GOV},
        {"organisation": "example-government", "role": "supporting"},
    ]
    # A shipped update is corrected, not edited.
    wrong = new_first["updates"][0]
    new_first["updates"].append(
        {
            "describes_on": wrong["describes_on"],
            "status": "in_progress",
            "summary": "Corrected: the fictional plan was announced, not published.",
            "account": "owner",
            "source": GOV,
            "corrects": {"describes_on": wrong["describes_on"], "source": wrong["source"]},
        }
    )
    output = load(write(tmp_path, data, "new.yaml"))

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.title == "A newer title from the file"
    assert first.text_note == "Quoted from the fictional report, paragraph 1."
    assert second.title == "Editor's title"
    response = Response.objects.get(recommendation=first)
    assert response.summary == "Editor's summary."
    assert response.source.url == GOV
    assert not response.kind_is_official
    assert lead_of(first.ownerships.all()).organisation.slug == "example-agency"
    assert lead_of(first.ownerships.all()).source.url == GOV
    assert first.ownerships.get(organisation__slug="example-government").role == "supporting"
    # Published updates were not changed; the correction points at the one it corrects.
    for update in StatusUpdate.objects.filter(pk__in=published_before):
        assert (update.summary, update.source_id) == published_before[update.pk]
    correction = StatusUpdate.objects.get(summary__startswith="Corrected:")
    assert correction.is_published
    assert correction.corrects.source.url == wrong["source"]
    assert "brought up to date" in output

    # A third run changes nothing more.
    again = load(write(tmp_path, data, "new.yaml"))
    assert "brought up to date" not in again
    assert StatusUpdate.objects.filter(summary__startswith="Corrected:").count() == 1


def test_an_editors_change_made_after_an_update_from_a_file_is_kept(tmp_path):
    data = version_2()
    load(write(tmp_path, data))
    data["recommendations"][0]["title"] = "Second file's title"
    load(write(tmp_path, data))
    Recommendation.objects.filter(number=1).update(title="Editor's later title")
    data["recommendations"][0]["title"] = "Third file's title"
    load(write(tmp_path, data))
    assert Recommendation.objects.get(number=1).title == "Editor's later title"


def test_a_lead_an_editor_set_is_not_stood_down_by_a_newer_file(tmp_path):
    data = version_2()
    load(write(tmp_path, data))
    first = Recommendation.objects.get(number=1)
    Ownership.objects.filter(recommendation=first).update(role="supporting")
    Ownership.objects.filter(recommendation=first, organisation__slug="example-agency").update(
        role="lead"
    )
    data["recommendations"][0]["owners"][0]["note"] = "A newer note."
    output = load(write(tmp_path, data))
    assert lead_of(first.ownerships.all()).organisation.slug == "example-agency"
    assert "kept the lead owner set in the database" in output
