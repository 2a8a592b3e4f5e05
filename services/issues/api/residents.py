"""/v1/me: a resident's own issues with their timelines, and a live feed of every change.

"Mine" is every issue the caller follows: the ones they raised, and the survivors of
duplicates of theirs that were merged (whose outcome they are told). Lines are in Chinese,
for people; the event types beside them are for apps.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from services.issues.api.deps import Pool
from services.issues.api.filters import make_cursor, read_cursor
from services.issues.domain.issue import OPEN
from services.issues.projections import ISSUE_LIST, RESIDENT_FEED
from services.issues.projections.households import memberships
from shared.errors import Forbidden
from shared.http import CurrentPrincipal
from shared.sse import STREAM_RESPONSES, event_stream, start_after
from shared.tiers import ancestors_and_self, subtree_like

router = APIRouter(prefix="/v1/me", tags=["residents"])
_S = f'"{RESIDENT_FEED.schema}"'


class TimelineEntry(BaseModel):
    seq: int
    type: str
    at: str
    summary: str


class MyIssue(BaseModel):
    id: str
    title: str
    node: str
    category: str
    status: str
    raised_at: str
    updated_at: str
    following: str  # "reporter"; "merged" when a duplicate of yours was merged into it;
    # "cosigned" when you said "me too" (附议)
    timeline: list[TimelineEntry]


class MyIssues(BaseModel):
    items: list[MyIssue]
    next_cursor: str | None


@router.get("/issues", response_model=MyIssues, name="my_issues")
async def my_issues(
    who: CurrentPrincipal,
    pool: Pool,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> MyIssues:
    """The issues you raised or follow, newest first, each with its timeline oldest first."""
    after = read_cursor(cursor) if cursor else None
    rows = await pool.fetch(
        f"SELECT i.*, f.since_seq, f.via FROM {_S}.followers f"
        f" JOIN {_S}.issues i ON i.id = f.issue_id"
        f" WHERE f.person = $1 AND ($2::timestamptz IS NULL OR (i.raised_at, i.id) < ($2, $3))"
        f" ORDER BY i.raised_at DESC, i.id DESC LIMIT $4",
        who.sub, after[0] if after else None, after[1] if after else None, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    timelines: dict[str, list[TimelineEntry]] = defaultdict(list)
    for t in await pool.fetch(
            f"SELECT issue_id, seq, type, at, summary FROM {_S}.timeline"
            f" WHERE issue_id = ANY($1::uuid[]) ORDER BY issue_id, seq", [r["id"] for r in rows]):
        timelines[str(t["issue_id"])].append(TimelineEntry(
            seq=t["seq"], type=t["type"], at=t["at"].isoformat(), summary=t["summary"]))
    return MyIssues(
        items=[MyIssue(id=str(r["id"]), title=r["title"], node=r["node"],
                       category=r["category"], status=r["status"],
                       raised_at=r["raised_at"].isoformat(),
                       updated_at=r["updated_at"].isoformat(),
                       following=r["via"] or ("reporter" if r["since_seq"] == 1
                                              else "merged"),
                       timeline=timelines[str(r["id"])]) for r in rows],
        next_cursor=make_cursor(rows[-1]["raised_at"], rows[-1]["id"]) if more else None,
    )


@router.get("/events", name="my_events", response_class=StreamingResponse,
            responses=STREAM_RESPONSES)
async def my_events(who: CurrentPrincipal, pool: Pool, request: Request,
                    last_event_id: Annotated[str | None, Header()] = None) -> StreamingResponse:
    """Server-sent events: one per change of an issue you follow (`event` is its type, `data`
    {issue_id, seq, type, at, summary, title, status}). Send `Last-Event-ID` to resume after a
    reconnect; without it the stream starts from now."""

    async def fetch(after: int, limit: int) -> list[tuple[int, str, str]]:
        rows = await pool.fetch(
            f"SELECT f.id, t.type, json_build_object('issue_id', f.issue_id, 'seq', f.seq,"
            f" 'type', t.type, 'at', t.at, 'summary', t.summary, 'title', i.title,"
            f" 'status', i.status)::text AS data"
            f" FROM {_S}.feed f JOIN {_S}.timeline t ON (t.issue_id, t.seq) = (f.issue_id, f.seq)"
            f" JOIN {_S}.issues i ON i.id = f.issue_id"
            f" WHERE f.person = $1 AND f.id > $2 ORDER BY f.id LIMIT $3", who.sub, after, limit)
        return [(r["id"], r["type"], r["data"]) for r in rows]

    after = await start_after(last_event_id, lambda: pool.fetchval(
        f"SELECT coalesce(max(id), 0) FROM {_S}.feed WHERE person = $1", who.sub))
    return event_stream(request, fetch, after)


class MyHousehold(BaseModel):
    code: str
    node: str
    area: str
    relation: str
    verified: bool  # only a verified member's online ballot counts for the household


@router.get("/households", response_model=list[MyHousehold], name="my_households")
async def my_households(who: CurrentPrincipal, pool: Pool) -> list[MyHousehold]:
    """The households the register links the caller to (grid's register, as this service
    learned it): the ones their online ballots may count for once verified."""
    return [MyHousehold(**m) for m in await memberships(pool, who.sub)]


class NearbyIssue(BaseModel):
    id: str
    title: str
    node: str
    category: str
    status: str
    raised_at: str


@router.get("/nearby", response_model=list[NearbyIssue], name="nearby_issues")
async def nearby(
    who: CurrentPrincipal,
    pool: Pool,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
) -> list[NearbyIssue]:
    """Open issues at or near your place (your node, beneath it, or a node containing it),
    newest first: what a neighbour may already have raised, so you can say "me too" instead
    of raising it again. Titles and places only: no description, reporter or contact."""
    if who.role != "resident":
        raise Forbidden(f"a {who.role} reads issue lists, not a resident's neighbourhood")
    rows = await pool.fetch(
        f'SELECT id, title, node, category, status, raised_at FROM "{ISSUE_LIST.schema}".issues'
        f" WHERE status = ANY($1::text[]) AND (node = ANY($2::text[]) OR node LIKE $3)"
        f" ORDER BY raised_at DESC, id DESC LIMIT $4",
        list(OPEN), ancestors_and_self(who.scope), subtree_like(who.scope), limit)
    return [NearbyIssue(**{**dict(r), "id": str(r["id"]),
                           "raised_at": r["raised_at"].isoformat()}) for r in rows]
