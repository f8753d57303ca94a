"""The shipped reports, loaded through `manage.py load_reports` as a deployment would load them."""

import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Q

from tracker.intake.loading import COUNTED
from tracker.models import (
    Deadline,
    ImplementationStatus,
    Organisation,
    Ownership,
    Recommendation,
    Report,
    Response,
    ResponseKind,
    StatusUpdate,
)
from tracker.periods import end_of_period

pytestmark = pytest.mark.django_db

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
SHIPPED = {"iicsa": 20, "casey-audit": 12}
MODELS = (Report, Organisation, Recommendation, Ownership, Response, Deadline, StatusUpdate)


def load() -> str:
    out = io.StringIO()
    call_command("load_reports", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@pytest.fixture
def loaded() -> str:
    return load()


def test_both_reports_load_with_every_recommendation_numbered_from_one(loaded):
    for slug, expected in SHIPPED.items():
        report = Report.objects.get(slug=slug)
        numbers = list(report.recommendations.order_by("number").values_list("number", flat=True))
        assert numbers == list(range(1, expected + 1))
        assert is_http(report.url)
        assert report.published_on
    assert "IICSA (new report): 20 recommendations, 20 new" in loaded
    assert "Casey audit (new report): 12 recommendations, 12 new" in loaded


def test_report_pages_have_the_linked_slugs(loaded):
    assert Report.objects.get(slug="iicsa").get_absolute_url() == "/reports/iicsa/"
    assert Report.objects.get(slug="casey-audit").get_absolute_url() == "/reports/casey-audit/"


def test_every_recommendation_has_one_lead_owner_and_a_kind_of_wording(loaded):
    for recommendation in Recommendation.objects.all():
        leads = recommendation.ownerships.filter(role=Ownership.Role.LEAD).count()
        assert leads == 1, recommendation
        assert recommendation.text_kind in Recommendation.TextKind.values
        if recommendation.text_kind == Recommendation.TextKind.UNKNOWN:
            assert recommendation.text == ""
            assert recommendation.text_source is None
        else:
            assert recommendation.text, recommendation
            assert is_http(recommendation.text_source.url), recommendation


def test_casey_recommendation_12_wording_is_not_known(loaded):
    recommendation = Recommendation.objects.get(report__slug="casey-audit", number=12)
    assert recommendation.text_kind == Recommendation.TextKind.UNKNOWN
    assert recommendation.text == ""
    assert not recommendation.title_is_official


def test_casey_short_titles_are_not_presented_as_the_audits_own(loaded):
    assert not Recommendation.objects.filter(
        report__slug="casey-audit", title_is_official=True
    ).exists()


def test_organisations_are_shared_between_the_reports(loaded):
    for slug in ("uk-government", "home-office", "ministry-of-justice"):
        organisation = Organisation.objects.get(slug=slug)
        reports = set(
            organisation.ownerships.values_list("recommendation__report__slug", flat=True)
        )
        assert reports == set(SHIPPED), slug


def test_every_update_is_published_dated_and_sourced(loaded):
    updates = StatusUpdate.objects.all()
    assert updates.count() > 30
    for update in updates:
        assert update.is_published
        assert update.published_at is not None
        assert update.describes_on is not None
        assert is_http(update.source.url), update
        assert update.summary
        if update.status == ImplementationStatus.NOT_BEING_IMPLEMENTED:
            assert update.reason


def test_headline_status_is_computed_from_the_published_updates(loaded):
    for recommendation in Recommendation.objects.all():
        latest = (
            StatusUpdate.objects.published()
            .filter(recommendation=recommendation, organisation__isnull=True)
            .in_headline_order()
            .first()
        )
        if latest is None:
            assert recommendation.status == ImplementationStatus.NOT_YET_ASSESSED
            assert recommendation.status_on is None
        else:
            assert (recommendation.status, recommendation.status_on) == (
                latest.status,
                latest.describes_on,
            )
    redress = Recommendation.objects.get(report__slug="iicsa", number=19)
    assert redress.status == ImplementationStatus.NOT_BEING_IMPLEMENTED


def test_responses_given_have_a_date_and_a_source(loaded):
    for response in Response.objects.exclude(kind=ResponseKind.AWAITING):
        assert response.responded_on is not None
        assert is_http(response.source.url), response
    for recommendation in Recommendation.objects.all():
        lead = recommendation.ownerships.get(role=Ownership.Role.LEAD).organisation
        # The lead's own response, or its government's where the government answered for it.
        answered = recommendation.responses.filter(
            Q(organisation=lead) | Q(organisation__kind=Organisation.Kind.GOVERNMENT)
        )
        assert answered.exists(), recommendation


def test_deadlines_fall_due_at_the_end_of_their_stated_period(loaded):
    assert Deadline.objects.exists()
    for deadline in Deadline.objects.all():
        assert deadline.stated_as
        assert end_of_period(deadline.due_date, deadline.precision) == deadline.due_date
        assert is_http(deadline.source.url)


def test_the_files_hold_no_email_addresses():
    files = sorted(FIXTURES.glob("*.yaml"))
    assert len(files) == 2
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "@" not in text, path.name
        assert not re.search(r"mailto:", text), path.name


def test_loading_twice_creates_nothing_new(loaded):
    before = counts()
    second = load()
    assert counts() == before
    assert "IICSA (report already loaded): 20 recommendations, 0 new; " in second
    parts = re.findall(r"\d+ \w+, \d+ new", second)
    assert len(parts) == 2 * len(COUNTED)
    assert "brought up to date" not in second
    assert all(part.endswith(", 0 new") for part in parts)
