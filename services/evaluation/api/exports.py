"""Any dashboard or ranking as CSV or as an Excel workbook, with Chinese headers.

A table is a title, its columns (key and header) and its rows (dicts as the JSON answer
holds them); the same rows go to every format, so a spreadsheet holds exactly the numbers
the API returned. Rates stay numbers (0.85), shown as percentages in Excel; CSV starts with
a byte-order mark so that Excel on a Chinese desktop reads it as UTF-8. Text that would run
as a formula (`= + - @`) is written with a leading `'`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Any, Literal

from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from services.evaluation.kpi.definitions import Column

Format = Literal["json", "csv", "xlsx"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# For the OpenAPI document: a table route answers JSON, or with `format` a download.
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {200: {
    "description": "JSON; with format=csv or format=xlsx, the same table as a download",
    "content": {"text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}}}}}
_PERCENT = ("_rate", "_coverage", "_index")
_NOT_IN_SHEET_NAMES = re.compile(r"[/\\\[\]:*?]")  # Excel refuses these in a sheet's name


def table_bytes(fmt: str, title: str, columns: Sequence[Column],
                rows: Sequence[dict[str, Any]]) -> bytes:
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([c.header for c in columns])
        writer.writerows([_cell(row.get(c.key)) for c in columns] for row in rows)
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name(title)
    sheet.append([c.header for c in columns])
    for row in rows:
        sheet.append([_xlsx_cell(_cell(row.get(c.key))) for c in columns])
    for i, column in enumerate(columns, start=1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = max(10, 2 * len(column.header) + 2)
        if column.key.endswith(_PERCENT):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "0.00%"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export(fmt: str, name: str, title: str, columns: Sequence[Column],
           rows: Sequence[dict[str, Any]]) -> Response:
    """The table as a download named `name`.<fmt>."""
    media = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
    return Response(table_bytes(fmt, title, columns, rows), media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def sheet_name(title: str) -> str:
    """A node's name is whatever people typed; a sheet's name may not hold / \\ [ ] : * ?,
    start or end with an apostrophe, be empty, or pass 31 characters."""
    name = _NOT_IN_SHEET_NAMES.sub("_", ILLEGAL_CHARACTERS_RE.sub("", title))[:31]
    return name.strip("'") or "Sheet"


def _xlsx_cell(value: Any) -> Any:
    """Control characters cannot be stored in a workbook: they are left out of the cell."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        value = "、".join(str(v) for v in value)
    return neutralised(value)


# A spreadsheet runs a cell that begins with one of these as a formula (CSV injection), and
# openpyxl stores such a string as a formula too; names and titles come from users.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, prefixed with `'` so it shows as the
    text it is. Numbers stay numbers (a negative change is a number, not text)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
