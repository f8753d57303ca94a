"""The owners table: which columns it shows and how it is sorted, by links that work without
JavaScript (`?sort=overdue`, `?sort=-overdue`). The words are those of /methodology/: late (overdue,
or response late), overdue (past due or missed, with no report of delivery), met on time, met
late, missed."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from tracker.public.scorecards import OwnerRecord

# A missing figure (nothing overdue, nothing open) sorts after every number.
MISSING = float("inf")


@dataclass(frozen=True)
class OwnerColumn:
    key: str
    heading: str
    # Figures that are zero (or missing) for every owner are not shown as columns.
    can_be_dropped: bool = True

    def value(self, record: OwnerRecord):
        if self.key == "organisation":
            return record.organisation.name.casefold()
        value = getattr(record, self.key)
        return MISSING if value is None else value

    def is_empty(self, records: list[OwnerRecord]) -> bool:
        return self.can_be_dropped and all(self.value(record) in (0, MISSING) for record in records)


COLUMNS = [
    OwnerColumn("organisation", "Organisation", can_be_dropped=False),
    OwnerColumn("owned", "Owned", can_be_dropped=False),
    OwnerColumn("implemented", "Implemented"),
    OwnerColumn("late", "Late"),
    OwnerColumn("overdue", "Overdue"),
    OwnerColumn("oldest_overdue_days", "Longest past due"),
    OwnerColumn("response_late", "Response late (as lead)"),
    OwnerColumn("met_on_time", "Deadlines met on time"),
    OwnerColumn("met_late", "Deadlines met late"),
    OwnerColumn("missed", "Deadlines missed"),
    OwnerColumn("moved", "Deadlines moved"),
    OwnerColumn("longest_silence_days", "Longest silence"),
]
BY_KEY = {column.key: column for column in COLUMNS}


@dataclass
class ShownColumn:
    column: OwnerColumn
    sort_url: str
    sorted: str  # "ascending", "descending" or ""

    @property
    def key(self) -> str:
        return self.column.key

    @property
    def heading(self) -> str:
        return self.column.heading


class InvalidSort(ValueError):
    pass


def parse_sort(raw: str | None) -> tuple[str | None, bool]:
    """(column key, descending); (None, False) for the default order."""
    if not raw:
        return None, False
    key = raw.removeprefix("-")
    if key not in BY_KEY:
        names = ", ".join(BY_KEY)
        raise InvalidSort(f"“{raw}” is not a column to sort by: use one of {names}.")
    return key, raw.startswith("-")


def owner_table(records: list[OwnerRecord], sort: str | None, query: dict) -> dict:
    """The columns to show (each with its sort link) and the records in the asked order.
    `records` come in the default order (the oldest overdue commitment first)."""
    key, descending = parse_sort(sort)
    if key is not None:
        column = BY_KEY[key]
        # Ties keep the default order; missing figures sort last either way.
        present = [r for r in records if column.value(r) != MISSING]
        missing = [r for r in records if column.value(r) == MISSING]
        present.sort(key=column.value, reverse=descending)
        records = present + missing
    shown = []
    for column in COLUMNS:
        if column.is_empty(records) and column.key != key:
            continue
        is_sorted = column.key == key
        # First press: names A to Z, figures largest first; pressing again reverses.
        first = "" if column.key == "organisation" else "-"
        if is_sorted:
            next_sort = column.key if descending else f"-{column.key}"
        else:
            next_sort = f"{first}{column.key}"
        shown.append(
            ShownColumn(
                column,
                "?" + urlencode({**query, "sort": next_sort}),
                ("descending" if descending else "ascending") if is_sorted else "",
            )
        )
    return {"columns": shown, "records": records}
