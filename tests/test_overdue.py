"""The daily overdue job, through its management command and with the clock controlled."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import DeadlineFactory, RecommendationFactory
from tracker.jobs.overdue import flag_overdue
from tracker.models import Deadline, OverduePeriod, Recommendation

pytestmark = pytest.mark.django_db
LONDON = zoneinfo.ZoneInfo("Europe/London")


def at_london(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


def flag_at(moment: datetime.datetime) -> None:
    with time_machine.travel(moment, tick=False):
        call_command("flag_overdue")


def test_end_of_2025_is_not_overdue_on_31_december_and_is_on_1_january():
    deadline = DeadlineFactory(stated_as="by the end of 2025")  # year precision: 31 Dec 2025

    flag_at(at_london(2025, 12, 31, 23, 55))
    deadline.refresh_from_db()
    assert deadline.overdue_since is None
    assert Recommendation.objects.get().overdue_since is None
    assert not OverduePeriod.objects.exists()

    flag_at(at_london(2026, 1, 1, 0, 5))
    deadline.refresh_from_db()
    recommendation = Recommendation.objects.get()
    assert deadline.overdue_since == datetime.date(2026, 1, 1)
    assert recommendation.overdue_since == datetime.date(2026, 1, 1)
    assert set(OverduePeriod.objects.values_list("deadline", "started_on", "ended_on")) == {
        (None, datetime.date(2026, 1, 1), None),
        (deadline.pk, datetime.date(2026, 1, 1), None),
    }


def test_a_quarter_falls_due_at_its_end():
    DeadlineFactory(
        stated_as="in the first quarter of 2026",
        precision=Deadline.Precision.QUARTER,
        due_date=datetime.date(2026, 3, 31),
    )
    flag_at(at_london(2026, 3, 31, 12, 0))
    assert Deadline.objects.get().overdue_since is None
    flag_at(at_london(2026, 4, 1, 9, 0))
    assert Deadline.objects.get().overdue_since == datetime.date(2026, 4, 1)


def test_a_missed_run_catches_up_with_the_true_date_and_running_twice_changes_nothing():
    DeadlineFactory()
    flag_at(at_london(2026, 1, 10, 6, 0))
    flag_at(at_london(2026, 1, 11, 6, 0))
    assert Deadline.objects.get().overdue_since == datetime.date(2026, 1, 1)
    assert Recommendation.objects.get().overdue_since == datetime.date(2026, 1, 1)
    assert OverduePeriod.objects.count() == 2


def test_when_a_deadline_is_met_the_overdue_period_closes():
    deadline = DeadlineFactory()
    flag_overdue(datetime.date(2026, 1, 5))
    Deadline.objects.filter(pk=deadline.pk).update(met_on=datetime.date(2026, 2, 2))
    flag_overdue(datetime.date(2026, 2, 3))

    deadline.refresh_from_db()
    assert deadline.overdue_since is None
    assert Recommendation.objects.get().overdue_since is None
    assert set(OverduePeriod.objects.values_list("started_on", "ended_on")) == {
        (datetime.date(2026, 1, 1), datetime.date(2026, 2, 3))
    }


def test_a_superseding_later_deadline_ends_the_recommendations_overdue_period():
    old = DeadlineFactory()
    flag_overdue(datetime.date(2026, 1, 5))
    DeadlineFactory(
        recommendation=old.recommendation,
        supersedes=old,
        stated_as="by the end of 2026",
        due_date=datetime.date(2026, 12, 31),
    )
    flag_overdue(datetime.date(2026, 1, 6))

    assert Recommendation.objects.get().overdue_since is None
    assert not OverduePeriod.objects.filter(ended_on__isnull=True).exists()

    # The new promise is broken too: a second, separate period starts on 1 January 2027.
    flag_overdue(datetime.date(2027, 1, 2))
    recommendation = Recommendation.objects.get()
    assert recommendation.overdue_since == datetime.date(2027, 1, 1)
    assert list(
        OverduePeriod.objects.filter(deadline__isnull=True).values_list("started_on", "ended_on")
    ) == [
        (datetime.date(2026, 1, 1), datetime.date(2026, 1, 6)),
        (datetime.date(2027, 1, 1), None),
    ]


def test_a_recommendation_is_overdue_since_its_longest_overdue_deadline():
    recommendation = RecommendationFactory()
    DeadlineFactory(
        recommendation=recommendation,
        stated_as="by June 2025",
        precision=Deadline.Precision.MONTH,
        due_date=datetime.date(2025, 6, 30),
    )
    DeadlineFactory(recommendation=recommendation)
    flag_overdue(datetime.date(2026, 3, 1))
    recommendation.refresh_from_db()
    assert recommendation.overdue_since == datetime.date(2025, 7, 1)


def queries_to_flag(deadlines: int, day: datetime.date) -> int:
    DeadlineFactory.create_batch(deadlines)
    with CaptureQueriesContext(connection) as captured:
        flag_overdue(day)
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_the_number_of_deadlines():
    few = queries_to_flag(2, datetime.date(2026, 1, 2))
    Deadline.objects.update(met_on=datetime.date(2026, 1, 2))
    flag_overdue(datetime.date(2026, 1, 3))
    many = queries_to_flag(40, datetime.date(2026, 1, 4))
    assert many == few
    assert Deadline.objects.filter(overdue_since__isnull=False).count() == 40


def test_the_beat_schedule_names_registered_tasks_in_london_time(settings, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from config.celery import app
    from config.settings import env_crontab

    app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert names == {
        "tracker.flag_overdue",
        "tracker.take_snapshot",
        "tracker.send_weekly_digests",
        "tracker.send_pending_notices",
        "tracker.watch_sources",
    }
    assert names <= set(app.tasks)
    assert str(app.conf.timezone) == "Europe/London"

    monkeypatch.setenv("FLAG_OVERDUE_CRON", "15 4 * * *")
    schedule = env_crontab("FLAG_OVERDUE_CRON", "30 5 * * *")
    assert (schedule.hour, schedule.minute) == ({4}, {15})
    monkeypatch.setenv("FLAG_OVERDUE_CRON", "every morning")
    with pytest.raises(ImproperlyConfigured, match="five cron fields"):
        env_crontab("FLAG_OVERDUE_CRON", "30 5 * * *")


def test_the_first_run_flags_only_open_past_deadlines_and_records_when_each_period_was_opened():
    overdue = DeadlineFactory()
    DeadlineFactory(met_on=datetime.date(2025, 11, 1))
    DeadlineFactory(withdrawn_on=datetime.date(2025, 11, 1))
    replaced = DeadlineFactory()
    DeadlineFactory(
        recommendation=replaced.recommendation,
        supersedes=replaced,
        stated_as="by the end of 2026",
        due_date=datetime.date(2026, 12, 31),
    )
    moment = at_london(2026, 1, 10, 6, 0)

    flag_at(moment)

    assert set(Deadline.objects.filter(overdue_since__isnull=False).values_list("pk")) == {
        (overdue.pk,)
    }
    assert set(Recommendation.objects.exclude(overdue_since=None).values_list("pk")) == {
        (overdue.recommendation_id,)
    }
    assert set(
        OverduePeriod.objects.values_list("recommendation", "deadline", "started_on", "ended_on")
    ) == {
        (overdue.recommendation_id, overdue.pk, datetime.date(2026, 1, 1), None),
        (overdue.recommendation_id, None, datetime.date(2026, 1, 1), None),
    }
    assert set(OverduePeriod.objects.values_list("recorded_at", flat=True)) == {moment}
