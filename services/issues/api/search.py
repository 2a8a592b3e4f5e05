"""GET /v1/issues/search: keyword search over issues in Chinese (title, description, progress
notes, resolutions), narrowed by tier subtree, status, category and dates.

Who sees what is `GET /v1/issues`'s rule: residents the issues they raised or follow (a
duplicate of theirs was merged into it), department staff the issues assigned to their
department, other staff their scope.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.issues.api.deps import Pool
from services.issues.api.filters import Where, make_cursor
from services.issues.domain.issue import STATUSES
from services.issues.projections import SEARCH
from shared.auth import Principal
from shared.errors import Invalid
from shared.http import CurrentPrincipal
from shared.inputs import in_range
from shared.text_search import tsquery
from shared.tiers import PATH_PATTERN

router = APIRouter(prefix="/v1/issues", tags=["issues"])
Status = Literal[STATUSES]  # type: ignore[valid-type]


class SearchHit(BaseModel):
    id: str
    node: str
    status: str
    category: str
    title: str
    raised_at: str
    updated_at: str


class SearchPage(BaseModel):
    items: list[SearchHit]
    next_cursor: str | None


@router.get("/search", response_model=SearchPage, name="search_issues")
async def search_issues(
    who: CurrentPrincipal,
    pool: Pool,
    q: Annotated[str, Query(max_length=200, description="words or a phrase, 中文 or ASCII")],
    node: Annotated[str | None, Query(pattern=PATH_PATTERN)] = None,
    status: Annotated[Status | None, Query()] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    raised_from: Annotated[str | None, Query(alias="from", max_length=40,
                                             description="a date or an ISO 8601 instant")] = None,
    raised_to: Annotated[str | None, Query(alias="to", max_length=40,
                                           description="a date (the whole day) or an instant")
                         ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> SearchPage:
    """Issues holding every word of `q`, newest first (raised time, the service's clock)."""
    query = tsquery(q)
    if query is None:
        raise Invalid("the query has no words to search for", field="q")
    start = _instant(raised_from, "from", end_of_day=False)
    end = _instant(raised_to, "to", end_of_day=True)
    if start and end and start >= end:
        raise Invalid("'from' must come before 'to'", field="to")
    where = Where("words @@ $1::tsquery", args=(query,))
    where.common(_visible(who, node, where), status, category, cursor)
    if start:
        where.add(f"raised_at >= {where.arg(start)}")
    if end:
        where.add(f"raised_at < {where.arg(end)}")
    rows = await pool.fetch(
        f'SELECT id, node, status, category, title, raised_at, updated_at '
        f'FROM "{SEARCH.schema}".issues WHERE {where.sql} '
        f"ORDER BY raised_at DESC, id DESC LIMIT {where.arg(limit + 1)}", *where.args)
    more = len(rows) > limit
    rows = rows[:limit]
    return SearchPage(
        items=[SearchHit(id=str(r["id"]), node=r["node"], status=r["status"],
                         category=r["category"], title=r["title"],
                         raised_at=r["raised_at"].isoformat(),
                         updated_at=r["updated_at"].isoformat()) for r in rows],
        next_cursor=make_cursor(rows[-1]["raised_at"], rows[-1]["id"]) if more else None,
    )


def _visible(who: Principal, node: str | None, where: Where) -> str | None:
    """Adds who-may-see-what to `where`; returns the subtree to search (staff: their scope
    unless they name a node inside it)."""
    if who.role == "resident":
        where.add(f"followers @> ARRAY[{where.arg(who.sub)}]::text[]")
    elif who.role == "department_staff":
        where.add(f"department = {where.arg(who.department)}")
    else:
        node = node or who.scope
        who.require_scope(node, "search issues")
    return node


def _instant(value: str | None, field: str, *, end_of_day: bool) -> datetime | None:
    """A date means the whole day (UTC): as `to`, up to the end of it."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = in_range(date.fromisoformat(value), field)
            return datetime.combine(day + timedelta(days=end_of_day), time(), UTC)
        instant = in_range(datetime.fromisoformat(value), field)
    except ValueError:
        raise Invalid(f"'{value}' is neither a date (2026-11-23) nor an ISO 8601 instant",
                      field=field) from None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)
