"""/v1/people: register people, assign and relieve roles on tier nodes, read who serves where.

Also `GET /v1/nodes/{path}/roles` (who holds roles at a node, now or on a date), kept here
beside the rules it shares. Include `router` only: it carries both.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from services.grid.application_people import PeopleCommands
from services.grid.domain.person import DEPARTMENT_PATTERN, ROLES, STAFF_ID_PATTERN, Person
from services.grid.projections import TIER_TREE
from services.grid.projections.roles import holders
from shared import telemetry
from shared.auth import Principal
from shared.errors import Forbidden, Invalid, NotFound
from shared.eventstore import meta
from shared.http import CurrentPrincipal, HistoryEntry, ReadPool, ServiceApp
from shared.inputs import in_range
from shared.projections.tier_tree import find_node
from shared.scope import require_reach
from shared.tiers import PATH_PATTERN

people = APIRouter(prefix="/v1/people", tags=["people and roles"])
router = APIRouter(tags=["people and roles"])

Role = Literal[ROLES]  # type: ignore[valid-type]
StaffId = Annotated[str, Path(pattern=STAFF_ID_PATTERN)]
NodePath = Annotated[str, Path(pattern=PATH_PATTERN)]
NodeField = Field(pattern=PATH_PATTERN, max_length=270, examples=["km.guandu.taihe.heping.g03"])
People = Annotated[PeopleCommands, ServiceApp]

# Who may manage people: admins anywhere; city, district and street staff for any role at a
# node in their scope; community staff only for the 三长两员 of their own community.
MANAGERS = ("admin", "city_staff", "district_staff", "street_staff", "community_staff")
COMMUNITY_ASSIGNABLE = ("grid_worker", "compound_head", "building_head", "unit_head",
                        "info_officer")


# -- bodies ---------------------------------------------------------------------------------

class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Contact(Strict):
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9][0-9 -]{4,19}$")
    email: str | None = Field(default=None, max_length=120, pattern=r"^[^@\s]+@[^@\s]+$")


class RegisterBody(Strict):
    staff_id: str = Field(pattern=STAFF_ID_PATTERN, examples=["u-km-heping-g03"])
    name: str = Field(min_length=1, max_length=50)
    home: str = NodeField  # the node that keeps the person's file, e.g. their community
    contact: Contact | None = None


class UpdateBody(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=50)
    contact: Contact | None = None  # present and null: erase the contact details


class AssignBody(Strict):
    role: Role
    node: str = NodeField
    department: str | None = Field(default=None, pattern=DEPARTMENT_PATTERN)


class RelieveBody(Strict):
    role: Role
    node: str = NodeField
    reason: str = Field(min_length=1, max_length=500)


class RoleOut(BaseModel):
    role: str
    node: str
    department: str | None = None
    since: str


class PersonOut(BaseModel):
    staff_id: str
    name: str
    home: str
    version: int
    contact: dict[str, str] | None  # null unless the caller may see it
    roles: list[RoleOut]


class HolderOut(BaseModel):
    staff_id: str
    name: str
    role: str
    node: str
    department: str | None = None
    since: str
    until: str | None = None
    relief_reason: str | None = None


class NodeRolesOut(BaseModel):
    node: str
    as_of: str | None
    holders: list[HolderOut]
    truncated: bool  # more rows matched than `limit`: narrow the query


# -- rules ----------------------------------------------------------------------------------

def require_manager(who: Principal, node: str, doing: str) -> None:
    if who.role not in MANAGERS:
        raise Forbidden(f"a {who.role} may not {doing}: admins and city, district, street "
                        "and community staff manage people and roles")
    who.require_scope(node, doing)


def require_may_manage(who: Principal, role: str, node: str, doing: str) -> None:
    require_manager(who, node, doing)
    if who.role == "community_staff" and role not in COMMUNITY_ASSIGNABLE:
        raise Forbidden(f"community staff manage only grid workers, heads and information "
                        f"officers; to {doing} ask street staff", role=role)


def _places(person: Person) -> list[str]:
    return [person.home, *(r["node"] for r in person.roles)]


def may_see_contact(who: Principal, person: Person) -> bool:
    """The person themself, and staff whose scope covers their home or a node they serve."""
    if who.sub == person.staff_id or who.role == "admin":
        return True
    return who.is_staff and any(who.covers(p) for p in _places(person))


def require_may_update(who: Principal, person: Person) -> None:
    if who.role not in MANAGERS:
        raise Forbidden(f"a {who.role} may not change a person's details")
    if not any(who.covers(p) for p in _places(person)):
        raise Forbidden(
            f"{who.role} scoped to '{who.scope}' may not change {person.staff_id}: neither "
            "their home nor any node they serve lies within that scope", scope=who.scope)


def _parse_as_of(value: str | None) -> datetime | date | None:
    if value is None:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return in_range(date.fromisoformat(value), "as_of")
        return in_range(datetime.fromisoformat(value), "as_of")
    except ValueError:
        raise Invalid(f"as_of '{value}' is neither a date (2024-05-01) nor an ISO 8601 time "
                      "(2024-05-01T09:00+08:00)", field="as_of") from None


def _out(app: PeopleCommands, who: Principal, person: Person) -> PersonOut:
    return PersonOut(
        staff_id=person.staff_id, name=person.name, home=person.home, version=person.version,
        contact=app.person_contact(person) if may_see_contact(who, person) else None,
        roles=[RoleOut(**r) for r in person.roles],
    )


# -- routes ---------------------------------------------------------------------------------

@people.post("", status_code=201, response_model=PersonOut, name="register_person")
async def register_person(body: RegisterBody, who: CurrentPrincipal, app: People,
                          response: Response) -> PersonOut:
    """Register a person with their home node; roles are assigned separately."""
    require_manager(who, body.home, "register people")
    contact = body.contact.model_dump(exclude_none=True) if body.contact else None
    with telemetry.span("grid register_person", node=body.home):
        person = await run_in_threadpool(app.register_person, body.staff_id, body.name,
                                         contact or None, meta(who), home=body.home)
    response.headers["Location"] = f"/v1/people/{person.staff_id}"
    return _out(app, who, person)


@people.get("/{staff_id}", response_model=PersonOut, name="get_person")
async def get_person(staff_id: StaffId, who: CurrentPrincipal, app: People) -> PersonOut:
    """A person and their current roles. Who serves where is public (公示); contact details
    only to the handling chain."""
    person = await run_in_threadpool(app.get_person, staff_id)
    return _out(app, who, person)


@people.patch("/{staff_id}", response_model=PersonOut, name="update_person")
async def update_person(staff_id: StaffId, body: UpdateBody, who: CurrentPrincipal,
                        app: People) -> PersonOut:
    if not body.model_fields_set:
        raise Invalid("send a name, a contact, or both")
    person = await run_in_threadpool(app.get_person, staff_id)
    require_may_update(who, person)
    contact_changed = "contact" in body.model_fields_set
    contact = body.contact.model_dump(exclude_none=True) if body.contact else None
    person = await run_in_threadpool(app.update_person, staff_id, meta(who), name=body.name,
                                     contact=contact or None, contact_changed=contact_changed)
    return _out(app, who, person)


@people.post("/{staff_id}/roles", response_model=PersonOut, name="assign_role")
async def assign_role(staff_id: StaffId, body: AssignBody, who: CurrentPrincipal,
                      app: People) -> PersonOut:
    require_may_manage(who, body.role, body.node, f"assign {body.role}")
    with telemetry.span("grid assign_role", node=body.node):
        person = await run_in_threadpool(app.assign_role, staff_id, body.role, body.node,
                                         body.department, meta(who))
    return _out(app, who, person)


@people.post("/{staff_id}/roles/relieve", response_model=PersonOut, name="relieve_role")
async def relieve_role(staff_id: StaffId, body: RelieveBody, who: CurrentPrincipal,
                       app: People) -> PersonOut:
    require_may_manage(who, body.role, body.node, f"relieve {body.role}")
    with telemetry.span("grid relieve_role", node=body.node):
        person = await run_in_threadpool(app.relieve_role, staff_id, body.role, body.node,
                                         body.reason, meta(who))
    return _out(app, who, person)


@people.get("/{staff_id}/history", response_model=list[HistoryEntry], name="person_history")
async def person_history(staff_id: StaffId, who: CurrentPrincipal,
                         app: People) -> list[HistoryEntry]:
    """Every change to the person, oldest first: who did it and when. The person, and
    staff whose scope covers their home or a node they serve."""
    if not who.is_staff and who.sub != staff_id:
        raise Forbidden(f"a {who.role} may not read the history of people and roles; "
                        "staff may")
    person = await run_in_threadpool(app.get_person, staff_id)
    require_reach(who, "read the history of this person", _places(person), person=staff_id)
    return [HistoryEntry(**h) for h in await run_in_threadpool(app.person_history, staff_id)]


@router.get("/v1/nodes/{path}/roles", response_model=NodeRolesOut, name="node_roles")
async def node_roles(
    path: NodePath,
    _: CurrentPrincipal,
    pool: ReadPool,
    as_of: Annotated[str | None, Query(max_length=40, description=(
        "a date (who served that day, China time) or an ISO 8601 time (who served then; "
        "without an offset, China time); omitted: now"))] = None,
    subtree: bool = False,
    role: Annotated[Role | None, Query()] = None,
    history: Annotated[bool, Query(description="every assignment ever, past and present")] = False,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> NodeRolesOut:
    """Who holds roles at a node (and beneath it with `subtree=true`), from the read model."""
    when = _parse_as_of(as_of)
    if when is not None and history:
        raise Invalid("ask for either as_of or history, not both", field="as_of")
    if await find_node(pool, TIER_TREE.schema, path) is None:
        raise NotFound(f"unknown tier node '{path}'")
    rows = await holders(pool, path, subtree=subtree, role=role, as_of=when, history=history,
                         limit=limit + 1)
    return NodeRolesOut(
        node=path, as_of=as_of, truncated=len(rows) > limit,
        holders=[HolderOut(**r | {"since": r["since"].isoformat(),
                                  "until": r["until"].isoformat() if r["until"] else None})
                 for r in rows[:limit]],
    )


# Last, so every /v1/people route above is carried along.
router.include_router(people)
