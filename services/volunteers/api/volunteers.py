"""/v1/volunteers and /v1/organisations: double registration (双报到), profiles, moves,
deregistration with history; who has reported to a community, by kind and organisation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool

from services.volunteers.api import schemas as s
from services.volunteers.api.deps import (
    PersonId,
    Pool,
    Volunteers,
    community_of,
    require_live_node,
    require_self_or_staff,
    require_staff,
)
from services.volunteers.application import VolunteersApplication
from services.volunteers.domain.rules import CODE_PATTERN
from services.volunteers.domain.volunteer import (
    PARTY_KINDS,
    ROLE_OF_KIND,
    Organisation,
    Volunteer,
)
from services.volunteers.projections import REGISTRY
from shared import telemetry
from shared.auth import Principal
from shared.errors import Forbidden
from shared.eventstore import meta
from shared.http import CurrentPrincipal, HistoryEntry
from shared.tiers import PATH_PATTERN, subtree_like

router = APIRouter(tags=["volunteers (双报到)"])
Code = Annotated[str, Path(pattern=CODE_PATTERN)]


def _out(app: VolunteersApplication, v: Volunteer, history: bool = False) -> s.VolunteerOut:
    return s.VolunteerOut(
        person=v.person, name=v.name, kind=v.kind, home=v.home, community=v.community,
        organisation=v.organisation, skills=v.skills, availability=v.availability,
        active=v.active, registered_at=v.registered_at, version=v.version,
        history=[HistoryEntry(**h) for h in app.history(v.id)] if history else None)


@router.post("/v1/volunteers", status_code=201, response_model=s.VolunteerOut,
             name="register_volunteer")
async def register(body: s.RegisterBody, who: CurrentPrincipal, app: Volunteers,
                   pool: Pool) -> s.VolunteerOut:
    """双报到: a party member, volunteer or courier registers with their home community
    (and, in service, with their employer organisation); or staff register them."""
    person = body.person or who.sub
    if who.sub == person and not who.is_staff:
        if who.role not in (ROLE_OF_KIND[body.kind], "resident"):
            raise Forbidden(f"a {who.role} registers as their own kind; a {body.kind} signs "
                            f"in as a {ROLE_OF_KIND[body.kind]}")
    else:
        require_self_or_staff(who, person, body.home, "register volunteers")
    community = await community_of(pool, body.home, "home")
    with telemetry.span("volunteers register_volunteer", node=body.home):
        v = await run_in_threadpool(lambda: app.register_volunteer(
            person=person, name=body.name, kind=body.kind, home=body.home,
            community=community, organisation=body.organisation, skills=body.skills,
            availability=list(body.availability), meta=meta(who)))
    return _out(app, v)


async def _own(app: VolunteersApplication, who: Principal, person: str,
               doing: str) -> Volunteer:
    v = await run_in_threadpool(app.get_volunteer, person)
    require_self_or_staff(who, person, v.home, doing)
    return v


@router.get("/v1/volunteers/{person}", response_model=s.VolunteerOut, name="get_volunteer")
async def get_volunteer(person: PersonId, who: CurrentPrincipal,
                        app: Volunteers) -> s.VolunteerOut:
    """A registration and its history: skills, moves, deregistration, who did each."""
    v = await _own(app, who, person, "see this registration")
    return await run_in_threadpool(_out, app, v, True)


@router.post("/v1/volunteers/{person}/profile", response_model=s.VolunteerOut,
             name="update_volunteer_profile")
async def update_profile(person: PersonId, body: s.ProfileBody, who: CurrentPrincipal,
                         app: Volunteers) -> s.VolunteerOut:
    await _own(app, who, person, "change skills and availability")
    v = await run_in_threadpool(app.update_profile, person, body.skills,
                                list(body.availability), meta(who))
    return _out(app, v)


@router.post("/v1/volunteers/{person}/move", response_model=s.VolunteerOut,
             name="move_volunteer")
async def move(person: PersonId, body: s.MoveBody, who: CurrentPrincipal, app: Volunteers,
               pool: Pool) -> s.VolunteerOut:
    """A new home: the volunteer reports to the community it lies in from now on."""
    await _own(app, who, person, "move volunteers")
    community = await community_of(pool, body.home, "home")
    v = await run_in_threadpool(app.move_volunteer, person, body.home, community, body.reason,
                                meta(who))
    return _out(app, v)


@router.post("/v1/volunteers/{person}/deregister", response_model=s.VolunteerOut,
             name="deregister_volunteer")
async def deregister(person: PersonId, body: s.ReasonBody, who: CurrentPrincipal,
                     app: Volunteers) -> s.VolunteerOut:
    await _own(app, who, person, "deregister volunteers")
    v = await run_in_threadpool(app.deregister_volunteer, person, body.reason, meta(who))
    return _out(app, v)


@router.get("/v1/tiers/{path}/registrations", response_model=s.Registrations,
            name="registrations_at")
async def registrations(
    path: Annotated[str, Path(pattern=PATH_PATTERN)], who: CurrentPrincipal, pool: Pool,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    organisation: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
    include_left: bool = False,
) -> s.Registrations:
    """Who has reported to the communities at or beneath `path` (a community, its street,
    its district…), counted by kind and by organisation; filter by either."""
    require_staff(who, path, "see who has reported here")
    where = ["(community = $1 OR community LIKE $2 OR home = $1 OR home LIKE $2)"]
    args: list[object] = [path, subtree_like(path)]
    if not include_left:
        where.append("active")
    if kind:
        args.append(kind)
        where.append(f"kind = ${len(args)}")
    if organisation:
        args.append(organisation)
        where.append(f"organisation = ${len(args)}")
    rows = await pool.fetch(
        f'SELECT * FROM "{REGISTRY.schema}".volunteers WHERE {" AND ".join(where)} '
        f"ORDER BY community, registered_at, person", *args)
    items = [s.RegisteredRow(person=r["person"], name=r["name"], kind=r["kind"], home=r["home"],
                             community=r["community"], organisation=r["organisation"],
                             active=r["active"], registered_at=r["registered_at"].isoformat())
             for r in rows]
    by_kind: dict[str, int] = {}
    by_org: dict[str, int] = {}
    for item in items:
        by_kind[item.kind] = by_kind.get(item.kind, 0) + 1
        if item.organisation:
            by_org[item.organisation] = by_org.get(item.organisation, 0) + 1
    return s.Registrations(node=path, by_kind=by_kind, by_organisation=by_org,
                           party_members=sum(by_kind.get(k, 0) for k in PARTY_KINDS),
                           items=items)


# -- organisations --------------------------------------------------------------------------

def _org_out(o: Organisation) -> s.OrganisationOut:
    return s.OrganisationOut(code=o.code, name=o.name, node=o.node, commitments=o.commitments,
                             version=o.version)


@router.post("/v1/organisations", status_code=201, response_model=s.OrganisationOut,
             name="register_organisation")
async def register_organisation(body: s.OrganisationBody, who: CurrentPrincipal,
                                app: Volunteers, pool: Pool) -> s.OrganisationOut:
    """An employer organisation registers with the community (or street) it pairs with
    (共建), with its commitments; its in-service party members then name it."""
    require_staff(who, body.node, "register organisations")
    await require_live_node(pool, body.node)
    o = await run_in_threadpool(lambda: app.register_organisation(
        code=body.code, name=body.name, node=body.node, commitments=body.commitments,
        meta=meta(who)))
    return _org_out(o)


@router.get("/v1/organisations/{code}", response_model=s.OrganisationOut,
            name="get_organisation")
async def get_organisation(code: Code, who: CurrentPrincipal,
                           app: Volunteers) -> s.OrganisationOut:
    return _org_out(await run_in_threadpool(app.get_organisation, code))


@router.put("/v1/organisations/{code}/commitments", response_model=s.OrganisationOut,
            name="set_commitments")
async def set_commitments(code: Code, body: s.CommitmentsBody, who: CurrentPrincipal,
                          app: Volunteers) -> s.OrganisationOut:
    o = await run_in_threadpool(app.get_organisation, code)
    require_staff(who, o.node, "change an organisation's commitments")
    return _org_out(await run_in_threadpool(app.set_commitments, code, body.commitments,
                                            meta(who)))


@router.get("/v1/organisations/{code}/members", response_model=s.Registrations,
            name="organisation_members")
async def organisation_members(code: Code, who: CurrentPrincipal, app: Volunteers,
                               pool: Pool) -> s.Registrations:
    """The organisation's party members and where each has reported: what the employer
    sees of their double registration."""
    o = await run_in_threadpool(app.get_organisation, code)
    require_staff(who, o.node, "see an organisation's members")
    rows = await pool.fetch(
        f'SELECT * FROM "{REGISTRY.schema}".volunteers WHERE organisation = $1 AND active '
        f"ORDER BY community, person", code)
    items = [s.RegisteredRow(person=r["person"], name=r["name"], kind=r["kind"], home=r["home"],
                             community=r["community"], organisation=r["organisation"],
                             active=r["active"], registered_at=r["registered_at"].isoformat())
             for r in rows]
    by_community: dict[str, int] = {}
    for item in items:
        by_community[item.community] = by_community.get(item.community, 0) + 1
    return s.Registrations(node=o.node, by_kind={}, by_organisation={code: len(items)},
                           party_members=sum(1 for i in items if i.kind in PARTY_KINDS),
                           items=items)

