"""Deadlines stated as a month, quarter or year fall due on the last day of that period."""

import calendar
import datetime

from django.db import models


class Precision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Year"


def end_of_period(day: datetime.date, precision: str) -> datetime.date:
    """The last day of the period of the given precision that contains `day`."""
    if precision == Precision.DAY:
        return day
    if precision == Precision.MONTH:
        month = day.month
    elif precision == Precision.QUARTER:
        month = ((day.month - 1) // 3 + 1) * 3
    elif precision == Precision.YEAR:
        month = 12
    else:
        raise ValueError(f"Unknown precision {precision!r}")
    return datetime.date(day.year, month, calendar.monthrange(day.year, month)[1])


def describe_due(due: datetime.date, precision: str) -> str:
    """How a due date reads at its own precision: “December 2026”, “Q1 2026”, “2025”."""
    if precision == Precision.YEAR:
        return f"{due.year}"
    if precision == Precision.QUARTER:
        return f"Q{(due.month - 1) // 3 + 1} {due.year}"
    if precision == Precision.MONTH:
        return f"{due:%B %Y}"
    return f"{due.day} {due:%B %Y}"
