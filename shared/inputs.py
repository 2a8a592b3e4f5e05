"""Bounds on what a request may name, checked at the edge so a handler never meets a value it
cannot compute with.

Python's datetime stops at the years 1 and 9999: an instant near either end overflows as soon
as it is moved to another zone, a day is added or a month's end is computed, deep in a
handler, as a 500. So every instant, date and month a request names must lie in the years
FIRST_YEAR..LAST_YEAR (far from either end, wide enough for any record a city keeps), and
every stored row id fits PostgreSQL's bigint. Out of range is a 422 naming the field.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator

from shared.errors import Invalid

FIRST_YEAR, LAST_YEAR = 1900, 2199
BIGINT_MAX = 2**63 - 1
_ROW_ID = re.compile(r"[0-9]{1,19}")  # ASCII digits only: int() also reads '²' and '٣'


def _out_of_range(text: object) -> str:
    return f"'{text}' is outside the years {FIRST_YEAR}-{LAST_YEAR} this service accepts"


def in_range(value: date, field: str) -> date:
    """The date or instant itself, or 422 naming `field` when its year is out of range."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise Invalid(f"{field}: {_out_of_range(value.isoformat())}", field=field)
    return value


def year_in_range(year: int, field: str, text: str) -> None:
    """For values parsed by hand (a month, a cursor) before any date is built from them."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Invalid(f"{field}: {_out_of_range(text)}", field=field)


def row_id(text: str | None, field: str) -> int | None:
    """A row id a client hands back (an SSE `Last-Event-ID`): ASCII digits within bigint."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    if not _ROW_ID.fullmatch(text) or int(text) > BIGINT_MAX:
        raise Invalid(f"{field} '{text[:40]}' is not an id this service sent", field=field)
    return int(text)


def _bounded(value: datetime) -> datetime:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(_out_of_range(value.isoformat()))
    return value


# A query or body instant: pydantic parses it, this bounds it (422 names the field).
Instant = Annotated[datetime, AfterValidator(_bounded)]
# A path parameter naming a bigint row (a delivery id).
RowId = Annotated[int, Path(ge=1, le=BIGINT_MAX)]
