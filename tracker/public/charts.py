"""Charts drawn on the server as SVG geometry (rendered by templates), each with a data table."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Sum

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
    x_ticks = [(f"{day.day} {day:%b %Y}", x(day)) for day in (days[0], days[-1])]
    return LineChart(days=days, series=series, y_ticks=y_ticks, x_ticks=x_ticks)


def trend_chart(as_of: AsOf) -> LineChart | None:
    """Implemented and overdue recommendations over time, summed over the reports' snapshots."""
    rows = (
        Snapshot.objects.filter(report__isnull=False, day__lte=as_of.day)
        .values("day")
        .annotate(implemented_sum=Sum("implemented"), overdue_sum=Sum("overdue"))
        .order_by("day")
    )
    totals = {row["day"]: [row["implemented_sum"], row["overdue_sum"]] for row in rows}
    days = sorted(totals)
    return line_chart(
        days,
        [
            Series("Implemented", "series-implemented", [totals[d][0] for d in days]),
            Series("Overdue", "series-overdue", [totals[d][1] for d in days]),
        ],
    )
