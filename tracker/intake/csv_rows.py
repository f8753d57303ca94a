"""Reading an inquiry CSV: its columns, decoding, the rows, and the problems found in them.

`read_rows` checks the file's shape (UTF-8, valid CSV, the header's columns, the rows' lengths);
`tracker.intake.importing` checks each row's values and writes them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

COLUMNS = (
    "report_slug",
    "report_title",
    "report_published",
    "number",
    "title",
    "text",
    "text_is_verbatim",
    "lead_owner",
    "supporting_owners",
    "response",
    "response_date",
    "response_source_url",
)
# watch_terms / watch_exclude: words and phrases for the watch job, separated by ";" or new lines.
# The response's source is named by its address; these describe it when it is new to the tracker.
SOURCE_COLUMNS = (
    "response_source_title",
    "response_source_publisher",
    "response_source_date",
    "response_source_kind",
)
OPTIONAL_COLUMNS = (
    "report_short_name",
    "plain_summary",
    "watch_terms",
    "watch_exclude",
    *SOURCE_COLUMNS,
)


@dataclass(frozen=True)
class RowError:
    """One problem in the file, located as a spreadsheet shows it (the header is row 1)."""

    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.column:
            return f'row {self.row}, column "{self.column}": {self.message}'
        return f"row {self.row}: {self.message}"


class ImportRefused(Exception):
    """The file has at least one bad row; nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


def decode(content: bytes | str) -> str:
    """UTF-8 text, with or without a byte-order mark. Anything else is refused clearly."""
    text = content if isinstance(content, str) else _decode_utf8(content)
    if "\x00" in text:
        # A spreadsheet never writes one; the database cannot store one.
        line = text[: text.index("\x00")].count("\n") + 1
        raise ImportRefused(
            [RowError(line, None, "the file contains a NUL character, so it is not a CSV file")]
        )
    return text.removeprefix("\ufeff")


def _decode_utf8(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise ImportRefused(
            [
                RowError(
                    line,
                    None,
                    "the file is not UTF-8 text (the first character that is not is on this row);"
                    " save it from your spreadsheet as “CSV UTF-8” and try again",
                )
            ]
        ) from None


def read_rows(content: bytes | str) -> list[tuple[int, dict[str, str]]]:
    """The data rows as (spreadsheet row number, {column: stripped value}), blank rows skipped."""
    text = decode(content)
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise ImportRefused([RowError(1, None, f"the file is not valid CSV ({error})")]) from None
    if not records or not any(cell.strip() for cell in records[0]):
        raise ImportRefused(
            [RowError(1, None, "the file is empty; the first row must name the columns")]
        )

    header = [cell.strip().lower() for cell in records[0]]
    errors = [RowError(1, column, "missing column") for column in COLUMNS if column not in header]
    known = set(COLUMNS) | set(OPTIONAL_COLUMNS)
    seen: set[str] = set()
    for column in header:
        if column in seen:
            errors.append(RowError(1, column, "the column appears twice"))
        elif column not in known:
            errors.append(RowError(1, column or "(empty)", "unknown column (check the spelling)"))
        seen.add(column)
    if errors:
        raise ImportRefused(errors)

    rows = []
    for index, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            errors.append(
                RowError(
                    index,
                    None,
                    f"the row has {len(record)} values but the header has {len(header)} columns",
                )
            )
            continue
        rows.append(
            (index, {column: cell.strip() for column, cell in zip(header, record, strict=True)})
        )
    if errors:
        raise ImportRefused(errors)
    if not rows:
        raise ImportRefused([RowError(2, None, "the file has no recommendations below the header")])
    return rows
