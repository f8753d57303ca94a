"""Watch terms travel with the data (YAML report files, the one-CSV import, the admin's
spreadsheet export) and the shipped reports come with terms that find news about them; the
default feeds load once."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.factories import RecommendationFactory, make_editor
from tests.test_importing import csv_bytes, row
from tracker.intake.csv_rows import COLUMNS
from tracker.intake.importing import import_inquiry
from tracker.jobs.watch import build_matcher
from tracker.models import Recommendation, WatchedFeed

pytestmark = pytest.mark.django_db


def load_shipped_reports() -> None:
    call_command("load_reports", stdout=io.StringIO())


def test_the_shipped_reports_come_with_watch_terms_that_find_news_about_them():
    load_shipped_reports()
    mandatory_reporting = Recommendation.objects.get(report__short_name="IICSA", number=13)
    assert "mandatory reporting" in mandatory_reporting.watch_terms.splitlines()
    with_terms = Recommendation.objects.exclude(watch_terms="").count()
    assert with_terms >= Recommendation.objects.count() - 1  # one has no known wording yet

    matcher = build_matcher()
    found = matcher.match("Fictional consultation on the Child Protection Authority for England")
    authority = Recommendation.objects.get(report__short_name="IICSA", number=2)
    assert found[authority.pk] == ["Child Protection Authority"]
    casey = Recommendation.objects.get(number=11, report__short_name__startswith="Casey")
    assert casey.pk in matcher.match("Fictional guidance on taxi licensing standards")


def test_loading_again_fills_missing_terms_but_keeps_an_editors_own():
    load_shipped_reports()
    Recommendation.objects.filter(number=13, report__short_name="IICSA").update(watch_terms="")
    Recommendation.objects.filter(number=15, report__short_name="IICSA").update(
        watch_terms="an editor's own term"
    )
    load_shipped_reports()
    assert (
        "mandatory reporting"
        in Recommendation.objects.get(
            number=13, report__short_name="IICSA"
        ).watch_terms.splitlines()
    )
    assert (
        Recommendation.objects.get(number=15, report__short_name="IICSA").watch_terms
        == "an editor's own term"
    )


def test_the_one_csv_import_takes_watch_terms_separated_by_semicolons():
    columns = (*COLUMNS, "watch_terms", "watch_exclude")
    import_inquiry(
        csv_bytes(
            [row(watch_terms="example plan; example duty ;", watch_exclude="Scotland")],
            columns=columns,
        )
    )
    recommendation = Recommendation.objects.get()
    assert recommendation.watch_terms == "example plan\nexample duty"
    assert recommendation.watch_exclude == "Scotland"


def test_the_admin_spreadsheet_export_carries_watch_terms(client):
    client.force_login(make_editor())
    RecommendationFactory(watch_terms="example plan\nexample duty", watch_exclude="Scotland")
    response = client.post(
        reverse("admin:tracker_recommendation_export"),
        {"format": "0", "resource": "0", **export_fields()},
    )
    body = response.content.decode()
    assert "watch_terms" in body.splitlines()[0]
    assert '"example plan\nexample duty"' in body


def export_fields() -> dict[str, str]:
    from tracker.intake.resources import RecommendationResource

    return {
        f"recommendationresource_{name}": "on"
        for name in RecommendationResource._meta.fields  # every column
    }


def test_the_admin_shows_the_terms_used_when_none_are_given(client):
    client.force_login(make_editor())
    recommendation = RecommendationFactory(
        title="Mandatory reporting", text="Placed under the Children Act 1989."
    )
    page = client.get(reverse("admin:tracker_recommendation_change", args=[recommendation.pk]))
    assert "mandatory reporting; Children Act 1989" in page.content.decode()


def test_the_default_feeds_load_once_and_keep_editors_changes():
    out = io.StringIO()
    call_command("load_default_feeds", stdout=out)
    assert "7 feed(s) added" in out.getvalue()
    assert WatchedFeed.objects.filter(url="https://www.legislation.gov.uk/new/data.feed").exists()
    assert not WatchedFeed.objects.exclude(url__startswith="https://www.").exists()
    WatchedFeed.objects.filter(url__contains="home-office").update(name="Edited", active=False)
    call_command("load_default_feeds", stdout=out)
    assert "0 feed(s) added, 7 already watched" in out.getvalue()
    assert WatchedFeed.objects.get(url__contains="home-office").name == "Edited"


def test_a_bad_feeds_file_is_refused_and_loads_nothing(tmp_path):
    bad = tmp_path / "feeds.yaml"
    bad.write_text("feeds:\n  - name: A\n    url: ftp://example.org/feed\n  - name: B\n")
    with pytest.raises(CommandError, match="feed 1: the url must start with https://"):
        call_command("load_default_feeds", "--file", str(bad))
    assert not WatchedFeed.objects.exists()
