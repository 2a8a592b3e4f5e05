"""/v1/whistles: blow, report in, complete; and a node's whistle record and supervision list."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from services.grid.api.access import (
    may_see_whistle,
    require_may_blow,
    require_summoned,
)
from services.grid.application import BlowWhistle, GridApplication
from services.grid.domain.whistle import SITUATIONS, Whistle
from services.grid.projections import WHISTLES
from shared import telemetry
from shared.auth import Principal
from shared.errors import Forbidden
from shared.eventstore import history, meta
from shared.http import CurrentPrincipal, ReadPool, ServiceApp
from shared.tiers import PATH_PATTERN, subtree_like

router = APIRouter(tags=["whistles (吹哨报到)"])
Grid = Annotated[GridApplication, ServiceApp]
NodePath = Annotated[str, Path(pattern=PATH_PATTERN)]


class BlowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    node: str = Field(pattern=PATH_PATTERN)
    situation: Literal[SITUATIONS]  # type: ignore[valid-type]
    title: str = Field(min_length=1, max_length=200)
    departments: list[str] = Field(min_length=1, max_length=20)
    issue_id: UUID | None = None
    report_within_minutes: float | None = Field(
        default=None, gt=0, le=7 * 24 * 60,
        description="overrides the situation's allowance (emergency mode still shortens it)")


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(default="", max_length=1000)


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: str = Field(min_length=1, max_length=2000)


def _out(grid: GridApplication, whistle: Whistle, with_history: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(whistle.id), "node": whistle.node, "situation": whistle.situation,
        "title": whistle.title, "issue_id": whistle.issue_id, "mode": whistle.mode,
        "status": whistle.status, "blown_at": whistle.blown_at,
        "supervisor": whistle.supervisor, "summons": whistle.summons,
    }
    if with_history:
        out["history"] = history(grid, whistle.id)
    return out


@router.post("/v1/whistles", status_code=201, name="blow_whistle")
async def blow(body: BlowIn, who: CurrentPrincipal, grid: Grid, response: Response,
               idempotency_key: Annotated[str | None, Header(max_length=128)] = None
               ) -> dict[str, Any]:
    """Summon departments to a node. Refused outside one's scope, for a situation not among
    the three, or at a department with no jurisdiction there. Retrying with the same
    `Idempotency-Key` returns the whistle the first call blew (200); the key with another
    request is a 409."""
    require_may_blow(who, body.node)
    cmd = BlowWhistle(
        node=body.node, situation=body.situation, title=body.title,
        departments=body.departments, issue_id=str(body.issue_id) if body.issue_id else None,
        report_within=(timedelta(minutes=body.report_within_minutes)
                       if body.report_within_minutes else None))
    whistle_id = Whistle.id_for(who.sub, idempotency_key) if idempotency_key else None
    with telemetry.span("grid blow_whistle", node=body.node):
        whistle, blown = await run_in_threadpool(grid.blow_whistle, cmd, meta(who), whistle_id)
    if not blown:  # a retry of the same request: the whistle the first one blew
        response.status_code = 200
    response.headers["Location"] = f"/v1/whistles/{whistle.id}"
    return _out(grid, whistle)


@router.get("/v1/whistles/{whistle_id}", name="get_whistle")
async def get_whistle(whistle_id: UUID, who: CurrentPrincipal, grid: Grid) -> dict[str, Any]:
    whistle = await run_in_threadpool(grid.get_whistle, whistle_id)
    if not may_see_whistle(who, whistle):
        who.require_scope(whistle.node, "see this whistle")
        raise Forbidden("department staff see only whistles that summon their department")
    return await run_in_threadpool(_out, grid, whistle, True)


@router.post("/v1/whistles/{whistle_id}/report", name="report_in")
async def report_in(whistle_id: UUID, body: NoteIn, who: CurrentPrincipal,
                    grid: Grid) -> dict[str, Any]:
    """A summoned department reports in (报到)."""
    department = require_summoned(who, await run_in_threadpool(grid.get_whistle, whistle_id),
                                  "report in")
    with telemetry.span("grid report_in"):
        whistle = await run_in_threadpool(grid.report_in, whistle_id, department, body.note,
                                          meta(who))
    return _out(grid, whistle)


@router.post("/v1/whistles/{whistle_id}/complete", name="complete_whistle_task")
async def complete(whistle_id: UUID, body: CompleteIn, who: CurrentPrincipal,
                   grid: Grid) -> dict[str, Any]:
    """A department that reported in completes, with its outcome; the last one closes it."""
    department = require_summoned(who, await run_in_threadpool(grid.get_whistle, whistle_id),
                                  "complete")
    with telemetry.span("grid complete"):
        whistle = await run_in_threadpool(grid.complete, whistle_id, department, body.outcome,
                                          meta(who))
    return _out(grid, whistle)


@router.get("/v1/nodes/{path}/whistles", name="node_whistle_record")
async def whistle_record(path: NodePath, who: CurrentPrincipal, pool: ReadPool,
                         status: Literal["open", "closed"] | None = None) -> list[dict]:
    """A street's (or any node's) whistle record: every whistle blown in its subtree, with
    each department's deadline, report-in, completion and overdue times."""
    _require_staff_over(who, path, "see the whistle record")
    rows = await pool.fetch(
        f'SELECT w.*, coalesce(json_agg(s.* ORDER BY s.department), \'[]\') AS summons '
        f'FROM "{WHISTLES.schema}".whistles w JOIN "{WHISTLES.schema}".summons s '
        f"ON s.whistle_id = w.id WHERE (w.node = $1 OR w.node LIKE $2) "
        f"AND ($3::text IS NULL OR w.status = $3) GROUP BY w.id ORDER BY w.blown_at DESC",
        path, subtree_like(path), status)
    return [as_json_row(r) for r in rows]


@router.get("/v1/nodes/{path}/supervision", name="node_supervision")
async def supervision(path: NodePath, who: CurrentPrincipal, pool: ReadPool) -> list[dict]:
    """督办: departments that missed a deadline on whistles this node (or its subtree)
    supervises, i.e. whistles blown one tier below."""
    _require_staff_over(who, path, "see the supervision list")
    rows = await pool.fetch(
        f'SELECT s.*, w.node, w.title, w.situation, w.status FROM "{WHISTLES.schema}".summons s '
        f'JOIN "{WHISTLES.schema}".whistles w ON w.id = s.whistle_id '
        f"WHERE s.overdue_at IS NOT NULL AND (s.supervisor = $1 OR s.supervisor LIKE $2) "
        f"ORDER BY s.overdue_at DESC", path, subtree_like(path))
    return [as_json_row(r) for r in rows]


def _require_staff_over(who: Principal, path: str, doing: str) -> None:
    if not who.is_staff:
        raise Forbidden(f"a {who.role} may not {doing}")
    who.require_scope(path, doing)


def as_json_row(record: Any) -> dict[str, Any]:
    import json

    out = {}
    for key, value in dict(record).items():
        if key == "summons" and isinstance(value, str):
            value = json.loads(value)
        out[key] = value.isoformat() if hasattr(value, "isoformat") else (
            str(value) if isinstance(value, UUID) else value)
    return out
