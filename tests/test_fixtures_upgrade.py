"""A database loaded with the shipped data of spring 2026 is brought up to the December 2026 data
by `load_reports`: nothing an editor entered is lost, and published updates are only added."""

import io
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tracker.models import Check, Recommendation, StatusUpdate, lead_of

pytestmark = pytest.mark.django_db

SPRING_2026 = "b70aa52"  # the last commit before the sources were made records
FILES = ("casey-national-audit-2025.yaml", "iicsa-final-report-2022.yaml")


def old_fixtures(tmp_path: Path) -> list[Path]:
    paths = []
    for name in FILES:
        text = subprocess.run(  # noqa: S603 (a fixed git command, no user input)
            ["git", "show", f"{SPRING_2026}:fixtures/{name}"],  # noqa: S607
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
    assert Check.objects.filter(checked_on="2026-12-05").count() == 32
    assert "brought up to date" in output
    # Loading the same data again changes nothing.
    counts = StatusUpdate.objects.count(), Check.objects.count()
    again = load()
    assert (StatusUpdate.objects.count(), Check.objects.count()) == counts
    assert "brought up to date" not in again
