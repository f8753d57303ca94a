"""Schemathesis against the API's own OpenAPI schema, through the WSGI app in-process.

Every documented operation gets generated requests, valid and invalid: none may answer with a
server error, every documented answer must match the schema, and no request may write anything.
(The schema documents only the 200 answers, so the 400s and 404s that refuse bad input are not
checked against it.)
"""

import pytest
import schemathesis
from django.apps import apps
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from config.wsgi import application
from tests.factories import (
    DeadlineFactory,
    OrganisationFactory,
    OwnershipFactory,
    RecommendationFactory,
    ReportFactory,
    ResponseFactory,
    StatusUpdateFactory,
)
from tracker.models import ImplementationStatus

pytestmark = pytest.mark.slow


def row_counts() -> dict[str, int]:
    """Rows in every table the project and its libraries keep (history, sessions, lockouts…)."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


# Loaded once, when pytest collects this file: the schema view reads no data.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def api_data(db, settings):
    settings.API_RATE = None  # the rate limit is tested elsewhere
    # As Django's own test client does: a request must not close the test's database connection
    # (PostgreSQL would lose the test's transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    report = ReportFactory(slug="schema-inquiry")
    owner = OrganisationFactory(slug="schema-owner")
    for number in (1, 2):
        recommendation = RecommendationFactory(report=report, number=number)
        OwnershipFactory(recommendation=recommendation, organisation=owner)
        ResponseFactory(recommendation=recommendation, organisation=owner)
        DeadlineFactory(recommendation=recommendation, organisation=owner)
        StatusUpdateFactory(
            recommendation=recommendation, published=True, status=ImplementationStatus.IN_PROGRESS
        )
        StatusUpdateFactory(recommendation=recommendation, summary="A draft")
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_never_fails_and_never_writes(api_data, case):
    before = row_counts()
    response = case.call()
    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
    assert row_counts() == before
