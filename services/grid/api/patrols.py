"""/v1/patrols: a grid worker logs a visit; problems can become issues in the same step."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from services.grid.application import GridApplication
from shared.errors import Forbidden
from shared.eventstore import meta
from shared.http import CurrentPrincipal, ServiceApp
from shared.tiers import PATH_PATTERN

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
        if problem.node and not problem.node.startswith(body.node):
            raise Forbidden(f"problem at '{problem.node}' lies outside the patrolled node")
    problems = [p.model_dump() | {"node": p.node or body.node} for p in body.problems]
    patrol = await run_in_threadpool(grid.log_patrol, body.node, who.sub,
                                     body.households_visited, problems, body.note, meta(who))
    return {"id": str(patrol.id), "node": patrol.node, "at": patrol.at,
            "households_visited": patrol.households_visited, "problems": patrol.problems,
            "issues_to_raise": sum(1 for p in patrol.problems if p["raise_issue"])}
