"""A database loaded with older shipped data is brought up to the current data by `load_reports`:
nothing an editor entered is lost, published updates are only added, and a deadline's date is
never rewritten (a misread date is replaced by a superseding deadline).

The older data is read from the repository's history: the spring 2026 files, and the files of the
second research pass (before the third pass re-dated the "2026-27" deadlines and reworded the
commitments that said how they were summarised)."""

import io
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.factories import make_editor
from tracker.intake.loading import read_report_file
from tracker.intake.merging import LOADED
from tracker.models import (
    Check,
    Deadline,
    Recommendation,
    ShippedValues,
    StatusUpdate,
    lead_of,
)

pytestmark = pytest.mark.django_db

SPRING_2026 = "b70aa52"  # the last commit before the sources were made records
AFTER_SECOND_RESEARCH = (
    "b613a55"  # the shipped data after the second research pass (5 December 2026)
)
FILES = ("casey-national-audit-2025.yaml", "iicsa-final-report-2022.yaml")
FIXTURES = Path(settings.BASE_DIR) / "fixtures"


def old_fixtures(tmp_path: Path, commit: str = SPRING_2026) -> list[Path]:
    paths = []
    for name in FILES:
        text = subprocess.run(  # noqa: S603 (a fixed git command, no user input)
            ["git", "show", f"{commit}:fixtures/{name}"],  # noqa: S607
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        if text.returncode != 0:
            pytest.skip("the repository's history is not available")
        path = tmp_path / name
        path.write_text(text.stdout, encoding="utf-8")
        paths.append(path)
    return paths


def load(*paths) -> str:
    out = io.StringIO()
    call_command("load_reports", *map(str, paths), stdout=out)
    return out.getvalue()


def test_old_data_is_brought_up_to_date_without_losing_anything(tmp_path):
    load(*old_fixtures(tmp_path))
    before = {u.pk: (u.summary, u.source_id) for u in StatusUpdate.objects.published()}
    edited = Recommendation.objects.get(report__slug="iicsa", number=3)
    Recommendation.objects.filter(pk=edited.pk).update(text_note="An editor's own note.")

    output = load()

    for update in StatusUpdate.objects.filter(pk__in=before):
        assert (update.summary, update.source_id) == before[update.pk]
    assert StatusUpdate.objects.published().count() > len(before)
    assert StatusUpdate.objects.filter(corrects__isnull=False).exists()
    assert Recommendation.objects.get(pk=edited.pk).text_note == "An editor's own note."
    casey_1 = Recommendation.objects.get(report__slug="casey-audit", number=1)
    assert lead_of(casey_1.ownerships.all()).organisation.slug == "home-office"
    assert casey_1.text_source.url.startswith("https://www.gov.uk/")
    checked = Check.objects.filter(checked_on="2026-12-05")
    assert checked.values("recommendation").distinct().count() == 32
    assert "brought up to date" in output
    # Loading the same data again changes nothing.
    counts = StatusUpdate.objects.count(), Check.objects.count()
    again = load()
    assert (StatusUpdate.objects.count(), Check.objects.count()) == counts
    assert "brought up to date" not in again


def deadlines_in_files() -> set[tuple]:
    """Each deadline the current files ship, as the database should hold it."""
    shipped = set()
    for name in FILES:
        data = read_report_file(FIXTURES / name)
        for recommendation in data.recommendations:
            by_key = {deadline.key: deadline for deadline in recommendation.deadlines}
            for deadline in recommendation.deadlines:
                replaced = by_key[deadline.supersedes].due_date if deadline.supersedes else None
                shipped.add(
                    (
                        data.report.slug,
                        recommendation.number,
                        deadline.commitment,
                        deadline.stated_as,
                        deadline.due_date,
                        deadline.met_on,
                        replaced,
                    )
                )
    return shipped


def deadlines_in_database() -> set[tuple]:
    return {
        (
            deadline.recommendation.report.slug,
            deadline.recommendation.number,
            deadline.commitment,
            deadline.stated_as,
            deadline.due_date,
            deadline.met_on,
            deadline.supersedes.due_date if deadline.supersedes else None,
        )
        for deadline in Deadline.objects.select_related("recommendation__report", "supersedes")
    }


def test_second_pass_data_gets_the_re_dated_deadlines_and_reworded_commitments(tmp_path):
    load(*old_fixtures(tmp_path, AFTER_SECOND_RESEARCH))
    iicsa_14 = Recommendation.objects.get(report__slug="iicsa", number=14)
    old = iicsa_14.deadlines.get()
    assert (old.due_date.isoformat(), "recorded as due by the end of 2027" in old.commitment) == (
        "2027-12-31",
        True,
    )
    # A database loaded before the loader remembered each deadline's key in the file.
    for shipped in ShippedValues.objects.filter(model="tracker.deadline"):
        shipped.values.pop("key", None)
        shipped.save()
    # What an editor entered in the meantime, including a deadline with the same stated words.
    editor = make_editor()
    own = Deadline(
        recommendation=iicsa_14,
        commitment="An editor's own record of the same promise.",
        stated_as=old.stated_as,
        precision=old.precision,
        due_date=old.due_date,
        source=old.source,
    )
    own._history_user = editor
    own.save()
    Check.objects.create(
        recommendation=iicsa_14, checked_on="2026-12-04", note="An editor's check."
    )
    updates = {u.pk: (u.summary, u.source_id) for u in StatusUpdate.objects.published()}

    output = load()

    # Every deadline the files ship is there, as a fresh load would make it.
    assert (
        deadlines_in_database()
        - {("iicsa", 14, own.commitment, own.stated_as, own.due_date, None, None)}
        == deadlines_in_files()
    )
    # The "2026-27" dates: the old deadline stays, replaced by one due at the end of the
    # financial year; nothing is overdue or open on the old date.
    old.refresh_from_db()
    replacement = old.superseded_by
    assert (replacement.due_date.isoformat(), replacement.precision) == ("2027-03-31", "day")
    assert "correction by this tracker" in replacement.change_reason
    assert old.due_date.isoformat() == "2027-12-31"
    assert old not in Deadline.objects.open()
    wales = Deadline.objects.get(
        recommendation__report__slug="iicsa", recommendation__number=1, due_date="2027-03-31"
    )
    assert wales.supersedes.due_date.isoformat() == "2027-12-31"
    # Reworded commitments keep their history; no shipped commitment says how it was recorded.
    assert old.history.filter(history_change_reason=LOADED).exists()
    assert not Deadline.objects.filter(commitment__contains="not checked against").exists()
    assert not Deadline.objects.filter(commitment__contains="recorded as due by").exists()
    consult = Deadline.objects.get(
        recommendation__number=2, stated_as__startswith="we will consult"
    )
    assert consult.met_on.isoformat() == "2025-12-11"
    # The editor's own deadline and check are untouched; published updates are as they were.
    own.refresh_from_db()
    assert (own.commitment, own.superseded_by if hasattr(own, "superseded_by") else None) == (
        "An editor's own record of the same promise.",
        None,
    )
    assert Check.objects.filter(note="An editor's check.").exists()
    for update in StatusUpdate.objects.filter(pk__in=updates):
        assert (update.summary, update.source_id) == updates[update.pk]
    assert "brought up to date" in output
    # A second load changes nothing.
    counts = Deadline.objects.count(), Check.objects.count()
    again = load()
    assert (Deadline.objects.count(), Check.objects.count()) == counts
    assert "brought up to date" not in again
