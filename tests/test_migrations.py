"""Migrations that move data: every cited address becomes one Source, and records point at it."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("tracker", "0013_stored_search_vectors")]
AFTER = [("tracker", "0015_drop_addresses_kept_in_sources")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_addresses_become_sources_linked_from_records_and_history():
    old = migrate(BEFORE)
    Report = old.get_model("tracker", "Report")
    Recommendation = old.get_model("tracker", "Recommendation")
    Organisation = old.get_model("tracker", "Organisation")
    Response = old.get_model("tracker", "Response")
    Deadline = old.get_model("tracker", "Deadline")
    StatusUpdate = old.get_model("tracker", "StatusUpdate")
    HistoricalStatusUpdate = old.get_model("tracker", "HistoricalStatusUpdate")
    gov = "https://www.gov.uk/government/publications/example-test"
    press = "https://news.example.com/fictional-story"
    report = Report.objects.create(
        slug="test-migration",
        title="Test migration inquiry (fictional)",
        short_name="Test",
        published_on=datetime.date(2024, 1, 1),
        url=gov,
    )
    recommendation = Recommendation.objects.create(
        report=report,
        number=1,
        text="Fictional wording.",
        text_kind="verbatim",
        text_source_url=press,
    )
    organisation = Organisation.objects.create(slug="example", name="Example (test)")
    Response.objects.create(
        recommendation=recommendation,
        organisation=organisation,
        kind="accepted",
        responded_on=datetime.date(2024, 2, 1),
        source_url=gov,
        source_title="Example response",
    )
    Deadline.objects.create(
        recommendation=recommendation,
        commitment="Do it",
        stated_as="by 2025",
        precision="year",
        due_date=datetime.date(2025, 12, 31),
        source_url=press,
        source_title="A fictional story",
    )
    update = StatusUpdate.objects.create(
        recommendation=recommendation,
        describes_on=datetime.date(2024, 3, 1),
        status="in_progress",
        summary="Fictional.",
        account="owner",
        source_url=gov,
        state="published",
        published_at=datetime.datetime(2024, 3, 2, tzinfo=datetime.UTC),
    )
    HistoricalStatusUpdate.objects.create(
        id=update.pk,
        recommendation_id=recommendation.pk,
        describes_on=update.describes_on,
        status="in_progress",
        summary="Fictional.",
        account="owner",
        source_url=gov,
        state="published",
        history_date=update.published_at,
        history_type="+",
        created_at=update.published_at,
        updated_at=update.published_at,
    )

    new = migrate(AFTER)
    Source = new.get_model("tracker", "Source")
    assert Source.objects.count() == 2
    primary = Source.objects.get(url=gov)
    secondary = Source.objects.get(url=press)
    assert (primary.kind, primary.publisher) == ("primary", "GOV.UK")
    assert primary.title in ("Example response", "Test migration inquiry (fictional)")
    assert (secondary.kind, secondary.publisher, secondary.title) == (
        "secondary",
        "news.example.com",
        "A fictional story",
    )
    assert new.get_model("tracker", "Report").objects.get().source_id == primary.pk
    assert new.get_model("tracker", "Recommendation").objects.get().text_source_id == secondary.pk
    assert new.get_model("tracker", "Response").objects.get().source_id == primary.pk
    assert new.get_model("tracker", "Deadline").objects.get().source_id == secondary.pk
    assert new.get_model("tracker", "StatusUpdate").objects.get().source_id == primary.pk
    history = new.get_model("tracker", "HistoricalStatusUpdate").objects.get()
    assert history.source_id == primary.pk
    migrate(executor_leaf())


def executor_leaf():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
