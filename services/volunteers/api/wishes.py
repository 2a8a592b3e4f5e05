"""/v1/wishes: 群众点单、社区派单、党员接单. A resident posts a wish; community staff dispatch
it to a team or open it; one volunteer claims it; they fulfil it with the hours spent; the
resident confirms (points follow) or disputes."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response
from starlette.concurrency import run_in_threadpool

from services.volunteers.api import schemas as s
from services.volunteers.api.deps import (
    Pool,
    Volunteers,
    community_of,
    require_serving,
    require_staff,
)
from services.volunteers.application import VolunteersApplication
from services.volunteers.domain.wish import WISH_STATUSES, Wish
from services.volunteers.projections import BOARD
from shared import telemetry
from shared.auth import Principal
from shared.errors import Forbidden
from shared.eventstore import meta
from shared.http import CurrentPrincipal, HistoryEntry
from shared.tiers import PATH_PATTERN, subtree_like

router = APIRouter(prefix="/v1/wishes", tags=["wishes (心愿单)"])
Status = Literal[WISH_STATUSES]  # type: ignore[valid-type]


def _out(app: VolunteersApplication, w: Wish, history: bool = False) -> s.WishOut:
    return s.WishOut(
        id=str(w.id), node=w.node, community=w.community, poster=w.poster, kind=w.kind,
        text=w.text, wanted_by=w.wanted_by, status=w.status, team=w.team, claimer=w.claimer,
        claimed_at=w.claimed_at, hours=w.hours, flagged=w.flagged, posted_at=w.posted_at,
        version=w.version,
        history=[HistoryEntry(**h) for h in app.history(w.id)] if history else None)


@router.post("", status_code=201, response_model=s.WishOut, name="post_wish")
async def post(body: s.WishBody, who: CurrentPrincipal, app: Volunteers, pool: Pool,
               response: Response,
               idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
               ) -> s.WishOut:
    """点单: a wish at the resident's node. Retrying with the same `Idempotency-Key` returns
    the wish the first call posted (200)."""
    if who.role == "department_staff":
        raise Forbidden("department staff do not post wishes")
    who.require_scope(body.node, "post a wish")
    community = await community_of(pool, body.node)
    with telemetry.span("volunteers post_wish", node=body.node):
        wish, created = await run_in_threadpool(lambda: app.post_wish(
            node=body.node, community=community, poster=who.sub, kind=body.kind,
            text=body.text, wanted_by=body.wanted_by, meta=meta(who),
            idempotency_key=idempotency_key))
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"/v1/wishes/{wish.id}"
    return _out(app, wish)


def _may_see(who: Principal, wish: Wish) -> bool:
    return who.sub in (wish.poster, wish.claimer) or (who.is_staff and who.covers(wish.node)) \
        or (wish.status in ("dispatched", "open") and who.covers(wish.node))


@router.get("/{wish_id}", response_model=s.WishOut, name="get_wish")
async def get(wish_id: UUID, who: CurrentPrincipal, app: Volunteers) -> s.WishOut:
    """A wish and its history."""
    wish = await run_in_threadpool(app.get_wish, wish_id)
    if not _may_see(who, wish):
        raise Forbidden("a wish is seen by its poster, its claimer, staff over it, and "
                        "volunteers in its community while it waits to be claimed")
    return await run_in_threadpool(_out, app, wish, True)


@router.post("/{wish_id}/dispatch", response_model=s.WishOut, name="dispatch_wish")
async def dispatch(wish_id: UUID, body: s.DispatchBody, who: CurrentPrincipal,
                   app: Volunteers) -> s.WishOut:
    """派单: to a team (only its members claim it), or with no team, open to every
    registered volunteer."""
    wish = await run_in_threadpool(app.get_wish, wish_id)
    require_staff(who, wish.node, "dispatch wishes")
    wish = await run_in_threadpool(app.dispatch_wish, wish_id, body.team_id, meta(who))
    return _out(app, wish)


@router.post("/{wish_id}/claim", response_model=s.WishOut, name="claim_wish")
async def claim(wish_id: UUID, who: CurrentPrincipal, app: Volunteers) -> s.WishOut:
    """接单: exactly one volunteer claims a wish; every other claim gets 409."""
    require_serving(who, "claim wishes")
    with telemetry.span("volunteers claim_wish"):
        wish = await run_in_threadpool(app.claim_wish, wish_id, who.sub, meta(who))
    return _out(app, wish)


@router.post("/{wish_id}/fulfil", response_model=s.WishOut, name="fulfil_wish")
async def fulfil(wish_id: UUID, body: s.FulfilBody, who: CurrentPrincipal,
                 app: Volunteers) -> s.WishOut:
    return _out(app, await run_in_threadpool(app.fulfil_wish, wish_id, who.sub, body.hours,
                                             body.note, meta(who)))


@router.post("/{wish_id}/confirm", response_model=s.WishOut, name="confirm_wish")
async def confirm(wish_id: UUID, body: s.NoteBody, who: CurrentPrincipal,
                  app: Volunteers) -> s.WishOut:
    """The resident confirms: the time bank credits the volunteer's hours, once."""
    return _out(app, await run_in_threadpool(app.confirm_wish, wish_id, who.sub, body.note,
                                             meta(who)))


@router.post("/{wish_id}/dispute", response_model=s.WishOut, name="dispute_wish")
async def dispute(wish_id: UUID, body: s.ReasonBody, who: CurrentPrincipal,
                  app: Volunteers) -> s.WishOut:
    return _out(app, await run_in_threadpool(app.dispute_wish, wish_id, who.sub, body.reason,
                                             meta(who)))


@router.post("/{wish_id}/reopen", response_model=s.WishOut, name="reopen_wish")
async def reopen(wish_id: UUID, body: s.ReasonBody, who: CurrentPrincipal,
                 app: Volunteers) -> s.WishOut:
    """After a dispute, staff send the wish out again (to the same team, or open)."""
    wish = await run_in_threadpool(app.get_wish, wish_id)
    require_staff(who, wish.node, "reopen wishes")
    return _out(app, await run_in_threadpool(app.reopen_wish, wish_id, body.reason, meta(who)))


@router.post("/{wish_id}/withdraw", response_model=s.WishOut, name="withdraw_wish")
async def withdraw(wish_id: UUID, body: s.ReasonBody, who: CurrentPrincipal,
                   app: Volunteers) -> s.WishOut:
    return _out(app, await run_in_threadpool(app.withdraw_wish, wish_id, who.sub, body.reason,
                                             meta(who)))


@router.get("", response_model=list[s.WishRow], name="list_wishes")
async def list_wishes(
    who: CurrentPrincipal, pool: Pool,
    node: Annotated[str | None, Query(pattern=PATH_PATTERN)] = None,
    status: Annotated[Status | None, Query()] = None,
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[s.WishRow]:
    """Wishes at a node and beneath it, newest first. `mine`: the ones the caller posted or
    claimed. Residents and volunteers see their own and those waiting to be claimed."""
    node = node or who.scope
    who.require_scope(node, "list wishes")
    where = ["(node = $1 OR node LIKE $2)"]
    args: list[object] = [node, subtree_like(node)]
    if mine or not who.is_staff:
        args.append(who.sub)
        own = f"(poster = ${len(args)} OR claimer = ${len(args)})"
        where.append(own if mine else f"({own} OR status IN ('dispatched', 'open'))")
    if status:
        args.append(status)
        where.append(f"status = ${len(args)}")
    args.append(limit)
    rows = await pool.fetch(
        f'SELECT * FROM "{BOARD.schema}".wishes WHERE {" AND ".join(where)} '
        f"ORDER BY posted_at DESC, id LIMIT ${len(args)}", *args)
    return [s.WishRow(id=str(r["id"]), node=r["node"], kind=r["kind"], text=r["text"],
                      status=r["status"], team_name=r["team_name"], claimer=r["claimer"],
                      posted_at=r["posted_at"].isoformat(),
                      wanted_by=r["wanted_by"].isoformat(), flagged=r["flagged_at"] is not None)
            for r in rows]
