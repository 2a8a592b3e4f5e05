"""/v1/patrols: a grid worker logs a visit; problems can become issues in the same step.
Patrols are read back by node subtree and by worker from the patrols read model."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from services.grid.application import GridApplication
from services.grid.domain.person import STAFF_ID_PATTERN
from services.grid.projections.patrols import find_patrol, find_patrols
from shared import idempotency
from shared.auth import Principal
from shared.errors import Forbidden, Invalid, NotFound
from shared.eventstore import meta
from shared.http import CurrentPrincipal, ReadPool, ServiceApp
from shared.inputs import Instant
from shared.tiers import PATH_PATTERN, is_within

router = APIRouter(prefix="/v1/patrols", tags=["patrols (巡查)"])
Grid = Annotated[GridApplication, ServiceApp]
PATROLLERS = ("grid_worker", "info_officer", "compound_head", "building_head", "unit_head",
              "community_staff", "admin")


class ProblemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=100)
    category: str = Field(min_length=1, max_length=64)
    description: str = Field(default="", max_length=2000)
    node: str | None = Field(default=None, pattern=PATH_PATTERN,
                             description="where exactly (default: the patrolled node)")
    raise_issue: bool = Field(default=False, description="raise it as an issue now")


class PatrolIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    node: str = Field(pattern=PATH_PATTERN)
    households_visited: int = Field(ge=0, le=10000)
    problems: list[ProblemIn] = Field(default_factory=list, max_length=50)
    note: str = Field(default="", max_length=2000)


@router.post("", status_code=201, name="log_patrol")
async def log_patrol(body: PatrolIn, who: CurrentPrincipal, grid: Grid) -> dict[str, Any]:
    if who.role not in PATROLLERS:
        raise Forbidden(f"a {who.role} does not patrol; grid workers and heads do")
    who.require_scope(body.node, "log a patrol")
    for problem in body.problems:
        # On dot boundaries: compound y017's head may not raise in sibling y0170.
        if problem.node and not is_within(problem.node, body.node):
            raise Forbidden(f"problem at '{problem.node}' lies outside the patrolled node")
    problems = [p.model_dump() | {"node": p.node or body.node} for p in body.problems]
    patrol = await run_in_threadpool(grid.log_patrol, body.node, who.sub,
                                     body.households_visited, problems, body.note, meta(who),
                                     idempotency.derived_id("patrol", who.sub))
    return {"id": str(patrol.id), "node": patrol.node, "at": patrol.at,
            "households_visited": patrol.households_visited, "problems": patrol.problems,
            "issues_to_raise": sum(1 for p in patrol.problems if p["raise_issue"])}


def _require_may_read(who: Principal, node: str) -> None:
    """Staff over the node (a grid worker reads their own grid's patrols, a street all of
    its communities'); residents and departments do not read patrol records."""
    if not who.is_staff:
        raise Forbidden(f"a {who.role} may not read patrol records; grid and community "
                        "staff and the tiers above them do")
    who.require_scope(node, "read patrols")


@router.get("", name="list_patrols")
async def list_patrols(
    who: CurrentPrincipal, pool: ReadPool,
    node: Annotated[str | None, Query(pattern=PATH_PATTERN,
                                      description="subtree (default: the caller's scope)")] = None,
    worker: Annotated[str | None, Query(pattern=STAFF_ID_PATTERN,
                                        description="only this worker's patrols")] = None,
    since: Annotated[Instant | None, Query()] = None,
    until: Annotated[Instant | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Patrols at the node or beneath it, newest first; `worker` narrows to one worker."""
    node = node or who.scope
    _require_may_read(who, node)
    if since and until and since >= until:
        raise Invalid("since must be before until", field="since")
    return await find_patrols(pool, node, worker=worker, since=since, until=until, limit=limit)


@router.get("/{patrol_id}", name="get_patrol")
async def get_patrol(patrol_id: UUID, who: CurrentPrincipal, pool: ReadPool) -> dict[str, Any]:
    patrol = await find_patrol(pool, str(patrol_id))
    if patrol is None:
        raise NotFound(f"no patrol {patrol_id}")
    _require_may_read(who, patrol["node"])
    return patrol
