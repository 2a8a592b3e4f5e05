"""/v1/activities: a community publishes an activity with slots; people sign up (never
beyond the slots); staff record who attended and for how long, which the time bank turns
into points."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response
from starlette.concurrency import run_in_threadpool

from services.volunteers.api import schemas as s
from services.volunteers.api.deps import Pool, Volunteers, community_of, require_staff
from services.volunteers.domain.activity import Activity
from services.volunteers.projections import BOARD
from shared.errors import Forbidden
from shared.eventstore import meta
from shared.http import CurrentPrincipal
from shared.tiers import PATH_PATTERN, subtree_like

router = APIRouter(prefix="/v1/activities", tags=["activities"])


def _out(a: Activity) -> s.ActivityOut:
    return s.ActivityOut(id=str(a.id), node=a.node, title=a.title, starts_at=a.starts_at,
                         hours=a.hours, slots=a.slots, participants=a.participants,
                         attended=a.attended, version=a.version)


@router.post("", status_code=201, response_model=s.ActivityOut, name="publish_activity")
async def publish(body: s.ActivityBody, who: CurrentPrincipal, app: Volunteers, pool: Pool,
                  response: Response,
                  idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
                  ) -> s.ActivityOut:
    require_staff(who, body.node, "publish activities")
    await community_of(pool, body.node)
    activity, created = await run_in_threadpool(lambda: app.publish_activity(
        node=body.node, title=body.title, starts_at=body.starts_at, hours=body.hours,
        slots=body.slots, publisher=who.sub, meta=meta(who), idempotency_key=idempotency_key))
    if not created:
        response.status_code = 200
    return _out(activity)


@router.get("/{activity_id}", response_model=s.ActivityOut, name="get_activity")
async def get(activity_id: UUID, who: CurrentPrincipal, app: Volunteers) -> s.ActivityOut:
    return _out(await run_in_threadpool(app.get_activity, activity_id))


@router.post("/{activity_id}/signups", response_model=s.ActivityOut, name="sign_up")
async def sign_up(activity_id: UUID, who: CurrentPrincipal, app: Volunteers) -> s.ActivityOut:
    """Take a slot for yourself; 409 when all are taken."""
    if who.role == "department_staff":
        raise Forbidden("department staff do not sign up for community activities")
    return _out(await run_in_threadpool(app.sign_up, activity_id, who.sub, meta(who)))


@router.post("/{activity_id}/signups/cancel", response_model=s.ActivityOut,
             name="cancel_sign_up")
async def cancel_sign_up(activity_id: UUID, body: s.NoteBody, who: CurrentPrincipal,
                         app: Volunteers) -> s.ActivityOut:
    """Free your slot for someone else."""
    return _out(await run_in_threadpool(app.cancel_sign_up, activity_id, who.sub, body.note,
                                        meta(who)))


@router.post("/{activity_id}/attendance", response_model=s.ActivityOut,
             name="record_attendance")
async def attendance(activity_id: UUID, body: s.AttendanceBody, who: CurrentPrincipal,
                     app: Volunteers) -> s.ActivityOut:
    """Staff record who came and for how long; all listed, or none if one is refused."""
    activity = await run_in_threadpool(app.get_activity, activity_id)
    require_staff(who, activity.node, "record attendance")
    return _out(await run_in_threadpool(
        app.record_attendance, activity_id, [(a.person, a.hours) for a in body.attended],
        meta(who)))


@router.get("", response_model=list[s.ActivityOut], name="list_activities")
async def list_activities(who: CurrentPrincipal, pool: Pool,
                          node: Annotated[str | None, Query(pattern=PATH_PATTERN)] = None,
                          ) -> list[s.ActivityOut]:
    """Activities at a node and beneath it, soonest first (counts, not names)."""
    node = node or who.scope
    rows = await pool.fetch(
        f'SELECT * FROM "{BOARD.schema}".activities WHERE node = $1 OR node LIKE $2 '
        f"ORDER BY starts_at, id LIMIT 200", node, subtree_like(node))
    return [s.ActivityOut(id=str(r["id"]), node=r["node"], title=r["title"],
                          starts_at=r["starts_at"].isoformat(), hours=r["hours"],
                          slots=r["slots"], participants=[], attended=[], version=0)
            for r in rows]
