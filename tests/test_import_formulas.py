"""Names that a spreadsheet would run as formulas are refused by the inquiry import."""

import pytest

from tests.test_import_admin import to_csv
from tracker.intake.csv_rows import COLUMNS
from tracker.intake.importing import plan_import

pytestmark = pytest.mark.django_db


def row(**values):
    base = dict.fromkeys([*COLUMNS, "report_short_name"], "")
    base.update(
        report_slug="fx-inquiry",
        report_title="Fx inquiry: final report",
        report_published="2024-05-01",
        number="1",
        title="Fx recommendation",
        lead_owner="Fx Department",
    )
    base.update(values)
    return base


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("lead_owner", "=1+1"),
        ("supporting_owners", "+Fx Agency"),
        ("report_title", "@SUM(A1)"),
        ("report_short_name", "-Fx"),
    ],
)
def test_formula_like_names_are_refused(column, value):
    plan = plan_import(to_csv([row(**{column: value})], columns=[*COLUMNS, "report_short_name"]))
    assert not plan.is_valid
    assert any("which spreadsheets run as a formula" in str(error) for error in plan.errors)
