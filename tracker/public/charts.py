"""Charts drawn on the server as SVG geometry (rendered by templates), each with a data table."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q

from tracker.as_of import AsOf
from tracker.models import Snapshot

WIDTH, HEIGHT = 600, 240
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 16, 16, 40


@dataclass
class Series:
    name: str
    css_class: str
    values: list[int]
    points: str = ""


@dataclass
class LineChart:
    """Two or more series over the same days, scaled into a WIDTH by HEIGHT SVG."""

    days: list[datetime.date]
    series: list[Series]
    width: int = WIDTH
    height: int = HEIGHT
    y_ticks: list[tuple[int, float]] = field(default_factory=list)
    x_ticks: list[tuple[str, float]] = field(default_factory=list)
    # A short table of the figures: the value at each month tick and on the last day.
    table_days: list[datetime.date] = field(default_factory=list)

    @property
    def table_rows(self) -> list[tuple[datetime.date, list[int]]]:
        index = {day: i for i, day in enumerate(self.days)}
        return [(day, [s.values[index[day]] for s in self.series]) for day in self.table_days]

    @property
    def rows(self) -> list[tuple[datetime.date, list[int]]]:
        return [(day, [s.values[i] for s in self.series]) for i, day in enumerate(self.days)]

    @property
    def plot_bottom(self) -> int:
        return self.height - MARGIN_BOTTOM

    @property
    def plot_left(self) -> int:
        return MARGIN_LEFT

    @property
    def plot_right(self) -> int:
        return self.width - MARGIN_RIGHT


def line_chart(days: list[datetime.date], series: list[Series]) -> LineChart | None:
    """Scale the series; None when there are fewer than two days to draw."""
    if len(days) < 2:
        return None
    top = max(1, *(max(s.values) for s in series))
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    span = (days[-1] - days[0]).days or 1

    def x(day: datetime.date) -> float:
        return round(MARGIN_LEFT + plot_width * (day - days[0]).days / span, 1)

    def y(value: int) -> float:
        return round(MARGIN_TOP + plot_height * (1 - value / top), 1)

    for s in series:
        s.points = " ".join(f"{x(day)},{y(v)}" for day, v in zip(days, s.values, strict=True))
    step = max(1, round(top / 4))
    y_ticks = [(value, y(value)) for value in range(0, top + 1, step)]
    months = month_ticks(days[0], days[-1])
    x_ticks = [(f"{month:%b %Y}", x(month)) for month in months]
    # The figures on the last snapshot on or before each tick, and on the last day.
    table_days = []
    for month in months:
        before = [day for day in days if day <= month]
        if before and before[-1] not in table_days:
            table_days.append(before[-1])
    if days[-1] not in table_days:
        table_days.append(days[-1])
    return LineChart(
        days=days, series=series, y_ticks=y_ticks, x_ticks=x_ticks, table_days=table_days
    )


# At most this many month labels fit under a chart; longer spans label every 2nd, 3rd… month.
MAX_MONTH_TICKS = 7
MONTH_STEPS = (1, 2, 3, 6, 12, 24)


def month_ticks(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first days of months between `first` and `last`, spaced so that labels stay readable
    (every month, or every 2, 3, 6, 12 or 24 months, on months that divide evenly)."""
    months = []
    year, month = first.year, first.month
    if first.day != 1:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    while datetime.date(year, month, 1) <= last:
        months.append(datetime.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if not months:
        return [first]
    for step in MONTH_STEPS:
        chosen = [m for m in months if (m.year * 12 + m.month - 1) % step == 0]
        if len(chosen) <= MAX_MONTH_TICKS:
            return chosen or months[:1]
    return months[:: max(1, len(months) // MAX_MONTH_TICKS)]


def report_progress_charts(as_of: AsOf, report_ids: list[int]) -> dict[int, LineChart]:
    """One chart per report, of its implemented and overdue recommendations over time, from
    the daily snapshots: one query for all the reports. Drawn from each week's Monday and the
    last seven days, which keeps the page small over years of snapshots."""
    if not report_ids:
        return {}
    last_week = as_of.day - datetime.timedelta(days=7)
    rows = (
        Snapshot.objects.filter(report_id__in=report_ids, day__lte=as_of.day)
        .filter(Q(day__week_day=2) | Q(day__gt=last_week))
        .values_list("report_id", "day", "implemented", "overdue")
        .order_by("report_id", "day")
    )
    by_report: dict[int, list[tuple]] = {}
    for report_id, day, implemented, overdue in rows:
        by_report.setdefault(report_id, []).append((day, implemented, overdue))
    charts = {}
    for report_id, points in by_report.items():
        chart = line_chart(
            [day for day, _, _ in points],
            [
                Series("Implemented", "series-implemented", [p[1] for p in points]),
                Series("Overdue", "series-overdue", [p[2] for p in points]),
            ],
        )
        if chart is not None:
            charts[report_id] = chart
    return charts
