"""Which month an instant belongs to. Months are calendar months in China Standard Time: the
platform serves Chinese cities, and China keeps one zone without daylight saving, so a fixed
offset is exact and the 1st of a month starts at 00:00 in Beijing, not in UTC."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from shared.errors import Invalid
from shared.inputs import year_in_range

CHINA = timezone(timedelta(hours=8), "CST")
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
_MONTH_RE = re.compile(MONTH_PATTERN)


def parse_month(text: str) -> str:
    if not _MONTH_RE.match(text):
        raise Invalid(f"month '{text}' is not of the form YYYY-MM, e.g. 2026-11", field="month")
    return text


def require_in_range(month: str) -> str:
    """A month a request names: of the form, and within the years the platform accepts (a
    month's end near year 9999 cannot even be computed)."""
    year_in_range(int(parse_month(month)[:4]), "month", month)
    return month


def month_of(instant: datetime) -> str:
    return instant.astimezone(CHINA).strftime("%Y-%m")


def bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of the month, as aware instants."""
    year, mon = (int(p) for p in parse_month(month).split("-"))
    start = datetime(year, mon, 1, tzinfo=CHINA)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=CHINA)
    return start, end


def previous(month: str) -> str:
    start, _ = bounds(month)
    return month_of(start - timedelta(days=1))


def ending_with(month: str, count: int) -> list[str]:
    """The `count` months up to and including `month`, oldest first."""
    months = [month]
    for _ in range(count - 1):
        months.append(previous(months[-1]))
    return months[::-1]


def require_aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise Invalid("as_of needs a time zone, e.g. 2026-11-15T12:00:00+08:00", field="as_of")
    return instant
