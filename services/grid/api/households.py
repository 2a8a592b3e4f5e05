"""/v1/households: the household register (户) under building units, who lives where, moves.

Compound heads and community staff keep the register of the households in their scope
(register, correct the floor area, verify residents, record moves); a resident links
themself to a household, and counts for it online only once verified.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from services.grid.application import GridApplication
from services.grid.domain.household import (
    HOUSEHOLD_PATTERN,
    RELATIONS,
    RESIDENT_PATTERN,
    Household,
)
from services.grid.projections.households import list_households
from shared import telemetry
from shared.auth import Principal
from shared.errors import Forbidden, Invalid
from shared.eventstore import meta
from shared.http import CurrentPrincipal, HistoryEntry, ReadPool, ServiceApp
from shared.tiers import PATH_PATTERN

router = APIRouter(prefix="/v1/households", tags=["households (户)"])
Grid = Annotated[GridApplication, ServiceApp]
Code = Annotated[str, Path(pattern=HOUSEHOLD_PATTERN)]
ResidentId = Annotated[str, Path(pattern=RESIDENT_PATTERN)]
Relation = Literal[RELATIONS]  # type: ignore[valid-type]

# Who keeps the register (and verifies who lives where): the compound head and community
# staff, as the articles have it; admins for repairs.
KEEPERS = ("compound_head", "community_staff", "admin")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterBody(Strict):
    code: str = Field(pattern=HOUSEHOLD_PATTERN, examples=["jjy102-b1-301"])
    node: str = Field(pattern=PATH_PATTERN, max_length=270,
                      examples=["km.guandu.taihe.heping.g03.y017.b02.u1"])
    area: str | float = Field(description="floor area (专有部分面积) in m², two decimals at most",
                              examples=["89.50"])


class AreaBody(Strict):
    area: str | float
    reason: str = Field(min_length=1, max_length=500)


class LinkBody(Strict):
    resident: str | None = Field(default=None, pattern=RESIDENT_PATTERN,
                                 description="staff name the resident; a resident links themself")
    relation: Relation


class LeaveBody(Strict):
    reason: str = Field(min_length=1, max_length=500)


class MoveBody(Strict):
    to: str = Field(pattern=HOUSEHOLD_PATTERN)
    reason: str = Field(min_length=1, max_length=500)


# -- rules ----------------------------------------------------------------------------------

def require_keeper(who: Principal, node: str, doing: str) -> None:
    if who.role not in KEEPERS:
        raise Forbidden(f"a {who.role} may not {doing}: the compound head and community "
                        "staff keep the household register")
    who.require_scope(node, doing)


def require_may_read(who: Principal, household: Household) -> None:
    if who.role == "resident" and who.sub in household.members:
        return
    if who.is_staff and who.covers(household.node):
        return
    raise Forbidden(f"household {household.code} is read by the staff over "
                    f"'{household.node}' and the residents linked to it")


def _out(h: Household) -> dict[str, Any]:
    return {"code": h.code, "node": h.node, "area": h.area, "version": h.version,
            "registered_at": h.registered_at,
            "residents": [{"resident": r} | m for r, m in h.members.items()]}


# -- routes ---------------------------------------------------------------------------------

@router.post("", status_code=201, name="register_household")
async def register_household(body: RegisterBody, who: CurrentPrincipal, grid: Grid,
                             response: Response) -> dict[str, Any]:
    """A dwelling under a building unit, with its floor area."""
    require_keeper(who, body.node, "register a household")
    with telemetry.span("grid register_household", node=body.node):
        household = await run_in_threadpool(grid.register_household, body.code, body.node,
                                             body.area, meta(who))
    response.headers["Location"] = f"/v1/households/{household.code}"
    return _out(household)


@router.get("", name="list_households")
async def households(
    who: CurrentPrincipal, pool: ReadPool,
    node: Annotated[str | None, Query(pattern=PATH_PATTERN,
                                      description="subtree (default: the caller's scope)")] = None,
    pending: Annotated[bool, Query(description="only households with a resident waiting to "
                                               "be verified")] = False,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> list[dict[str, Any]]:
    """The register under a node, by code: floor area and residents (verified or waiting)."""
    node = node or who.scope
    if not who.is_staff:
        raise Forbidden(f"a {who.role} may not list the household register; staff over the "
                        "node do (a resident reads their own household)")
    who.require_scope(node, "list households")
    return await list_households(pool, node, pending_only=pending, limit=limit)


@router.get("/{code}", name="get_household")
async def get_household(code: Code, who: CurrentPrincipal, grid: Grid) -> dict[str, Any]:
    household = await run_in_threadpool(grid.get_household, code)
    require_may_read(who, household)
    return _out(household)


@router.patch("/{code}", name="change_household_area")
async def change_area(code: Code, body: AreaBody, who: CurrentPrincipal,
                      grid: Grid) -> dict[str, Any]:
    """Correct the floor area; consultations already open keep the areas they opened with."""
    household = await run_in_threadpool(grid.get_household, code)
    require_keeper(who, household.node, "change a household's floor area")
    return _out(await run_in_threadpool(grid.change_household_area, code, body.area,
                                        body.reason, meta(who)))


@router.post("/{code}/residents", status_code=201, name="link_resident")
async def link_resident(code: Code, body: LinkBody, who: CurrentPrincipal,
                        grid: Grid) -> dict[str, Any]:
    """A resident links themself (pending until verified); the compound head or community
    staff enrol a resident, verified at once."""
    household = await run_in_threadpool(grid.get_household, code)
    if who.role == "resident":
        if body.resident not in (None, who.sub):
            raise Forbidden("a resident links only themself to a household")
        who.require_scope(household.node, "join a household")
        resident, verify = who.sub, False
    else:
        require_keeper(who, household.node, "enrol a resident")
        if body.resident is None:
            raise Invalid("name the resident account to enrol", field="resident")
        resident, verify = body.resident, True
    return _out(await run_in_threadpool(grid.link_resident, code, resident, body.relation,
                                        meta(who), verify=verify))


@router.post("/{code}/residents/{resident}/verify", name="verify_resident")
async def verify_resident(code: Code, resident: ResidentId, who: CurrentPrincipal,
                          grid: Grid) -> dict[str, Any]:
    household = await run_in_threadpool(grid.get_household, code)
    require_keeper(who, household.node, "verify a resident")
    return _out(await run_in_threadpool(grid.verify_resident, code, resident, meta(who)))


@router.post("/{code}/residents/{resident}/leave", name="unlink_resident")
async def unlink_resident(code: Code, resident: ResidentId, body: LeaveBody,
                          who: CurrentPrincipal, grid: Grid) -> dict[str, Any]:
    """The resident leaves (or a link is refused); the resident themself may leave."""
    household = await run_in_threadpool(grid.get_household, code)
    if not (who.role == "resident" and who.sub == resident):
        require_keeper(who, household.node, "remove a resident from a household")
    return _out(await run_in_threadpool(grid.unlink_resident, code, resident, body.reason,
                                        meta(who)))


@router.post("/{code}/residents/{resident}/move", name="move_resident")
async def move_resident(code: Code, resident: ResidentId, body: MoveBody,
                        who: CurrentPrincipal, grid: Grid) -> dict[str, Any]:
    """Record a move: the resident leaves this household and joins `to`, verified, in one
    step; both households keep it in their history."""
    old = await run_in_threadpool(grid.get_household, code)
    new = await run_in_threadpool(grid.get_household, body.to)
    require_keeper(who, old.node, "record a move out of a household")
    require_keeper(who, new.node, "record a move into a household")
    old, new = await run_in_threadpool(grid.move_resident, code, resident, body.to,
                                       body.reason, meta(who))
    return {"from": _out(old), "to": _out(new)}


@router.get("/{code}/history", response_model=list[HistoryEntry], name="household_history")
async def household_history(code: Code, who: CurrentPrincipal,
                            grid: Grid) -> list[HistoryEntry]:
    """Every change, oldest first: who lived here when, who verified them, moves."""
    household = await run_in_threadpool(grid.get_household, code)
    if not (who.is_staff and who.covers(household.node)):
        raise Forbidden(f"the history of household {code} is for the staff over "
                        f"'{household.node}'")
    return [HistoryEntry(**h) for h in await run_in_threadpool(grid.household_history, code)]
