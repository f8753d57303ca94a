"""A recommendation page reads top down: plain summary, status, response, deadlines, timeline,
wording (bullets as lists) and sources by title; the plain summary is kept short everywhere."""

import copy

import pytest
from django.core.exceptions import ValidationError

from tests.factories import RecommendationFactory
from tests.test_importing import csv_bytes, row
from tests.test_loading import TEST_INQUIRY
from tracker.intake.importing import COLUMNS, ImportRefused, import_inquiry
from tracker.intake.loading import ReportFileError, parse_report
from tracker.models import Recommendation, plain_summary_problem
from tracker.templatetags.wording import source_label, wording, wording_blocks

IICSA_STYLE = (
    "Each Authority's purpose should be to: • improve practice in child protection; • provide "
    "advice to government; and • inspect settings. The Authorities should also monitor the "
    "implementation of the Inquiry's recommendations."
)


def test_run_in_bullets_become_a_list_and_the_text_after_them_a_paragraph():
    assert wording_blocks(IICSA_STYLE) == [
        ("p", "Each Authority's purpose should be to:"),
        (
            "ul",
            [
                "improve practice in child protection;",
                "provide advice to government; and",
                "inspect settings.",
            ],
        ),
        (
            "p",
            "The Authorities should also monitor the implementation of the Inquiry's "
            "recommendations.",
        ),
    ]


def test_two_lists_in_one_paragraph_and_escaping():
    html = str(wording("Ensure: • a <b>; and • b. Except where: • c; or • d. Then more."))

    assert html == (
        "<p>Ensure:</p><ul><li>a &lt;b&gt;; and</li><li>b.</li></ul>"
        "<p>Except where:</p><ul><li>c; or</li><li>d.</li></ul><p>Then more.</p>"
    )


def test_text_without_bullets_stays_paragraphs():
    assert str(wording("One.\n\nTwo.")) == "<p>One.</p><p>Two.</p>"


def test_sources_show_their_title_or_their_site():
    assert source_label("https://www.example.org/a/very/long/path", "Example report") == (
        "Example report"
    )
    assert source_label("https://www.example.org/a/very/long/path") == "a page on example.org"


def test_a_plain_summary_is_about_forty_words_at_most(db):
    assert plain_summary_problem("word " * 40) == ""
    assert "46 words long" in plain_summary_problem("word " * 46)
    recommendation = RecommendationFactory.build(plain_summary="word " * 60)
    with pytest.raises(ValidationError, match="plain summary"):
        recommendation.clean()


def test_the_yaml_import_takes_a_plain_summary_and_refuses_a_long_one(db):
    data = copy.deepcopy(TEST_INQUIRY)
    data["recommendations"][0]["plain_summary"] = "Publish a plan."
    assert parse_report(data, "ok.yaml").recommendations[0].plain_summary == "Publish a plan."

    data["recommendations"][0]["plain_summary"] = "word " * 60
    with pytest.raises(ReportFileError, match="plain summary is 60 words long"):
        parse_report(data, "long.yaml")


def test_report_names_come_from_the_yaml(db):
    data = copy.deepcopy(TEST_INQUIRY)
    data["report"]["alternative_names"] = ["Example report", "Example review"]

    assert parse_report(data, "names.yaml").report.alternative_names == [
        "Example report",
        "Example review",
    ]


def test_the_csv_import_takes_a_plain_summary_column_and_refuses_a_long_one(db):
    columns = (*COLUMNS, "plain_summary")
    good = csv_bytes([row(plain_summary="Publish a plan, in plain words.")], columns)
    import_inquiry(good)
    assert Recommendation.objects.get().plain_summary == "Publish a plan, in plain words."

    long = csv_bytes([row(number="2", plain_summary="word " * 60)], columns)
    with pytest.raises(ImportRefused, match='column "plain_summary": 60 words long'):
        import_inquiry(long)
    assert Recommendation.objects.count() == 1
