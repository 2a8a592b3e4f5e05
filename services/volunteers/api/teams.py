"""/v1/teams: vanguard, volunteer and red-vest teams at a node, their leader and members."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from services.volunteers.api import schemas as s
from services.volunteers.api.deps import Pool, Volunteers, community_of, require_staff
from services.volunteers.application import VolunteersApplication
from services.volunteers.domain.team import Team
from services.volunteers.projections import REGISTRY
from shared.auth import Principal
from shared.errors import Forbidden
from shared.eventstore import meta
from shared.http import CurrentPrincipal
from shared.tiers import PATH_PATTERN, subtree_like

router = APIRouter(prefix="/v1/teams", tags=["teams"])


def _out(t: Team) -> s.TeamOut:
    return s.TeamOut(id=str(t.id), node=t.node, code=t.code, name=t.name, kind=t.kind,
                     leader=t.leader, members=t.members, version=t.version)


async def _managed(app: VolunteersApplication, team_id: UUID, who: Principal,
                   doing: str) -> Team:
    """Staff over the team's node manage it; so does its leader, for its members."""
    team = await run_in_threadpool(app.get_team, team_id)
    if who.sub == team.leader and not who.is_staff:
        return team
    if not who.is_staff:
        raise Forbidden(f"a {who.role} may not {doing}; the team's leader and community "
                        "staff do")
    require_staff(who, team.node, doing)
    return team


@router.post("", status_code=201, response_model=s.TeamOut, name="form_team")
async def form(body: s.TeamBody, who: CurrentPrincipal, app: Volunteers,
               pool: Pool) -> s.TeamOut:
    require_staff(who, body.node, "form teams")
    await community_of(pool, body.node)
    team = await run_in_threadpool(lambda: app.form_team(
        node=body.node, code=body.code, name=body.name, kind=body.kind, leader=body.leader,
        meta=meta(who)))
    return _out(team)


@router.get("", response_model=list[s.TeamRow], name="list_teams")
async def list_teams(who: CurrentPrincipal, pool: Pool,
                     node: Annotated[str | None, Query(pattern=PATH_PATTERN)] = None
                     ) -> list[s.TeamRow]:
    """Teams at a node and beneath it (default: the caller's scope), for a community to
    dispatch wishes to and a volunteer to find their own; `mine` says the caller is in it."""
    node = node or who.scope
    who.require_scope(node, "list teams")
    rows = await pool.fetch(
        f'SELECT t.*, array_remove(array_agg(m.person ORDER BY m.person), NULL) AS members '
        f'FROM "{REGISTRY.schema}".teams t LEFT JOIN "{REGISTRY.schema}".team_members m '
        f"ON m.team_id = t.id WHERE t.node = $1 OR t.node LIKE $2 GROUP BY t.id "
        f"ORDER BY t.node, t.code", node, subtree_like(node))
    return [s.TeamRow(id=str(r["id"]), node=r["node"], code=r["code"], name=r["name"],
                      kind=r["kind"], leader=r["leader"], members=len(r["members"]),
                      mine=who.sub in r["members"]) for r in rows]


@router.get("/{team_id}", response_model=s.TeamOut, name="get_team")
async def get(team_id: UUID, who: CurrentPrincipal, app: Volunteers) -> s.TeamOut:
    return _out(await run_in_threadpool(app.get_team, team_id))


@router.post("/{team_id}/members", response_model=s.TeamOut, name="add_team_member")
async def add_member(team_id: UUID, body: s.MemberBody, who: CurrentPrincipal,
                     app: Volunteers) -> s.TeamOut:
    await _managed(app, team_id, who, "add team members")
    return _out(await run_in_threadpool(app.add_member, team_id, body.person, meta(who)))


@router.post("/{team_id}/members/remove", response_model=s.TeamOut,
             name="remove_team_member")
async def remove_member(team_id: UUID, body: s.LeaveBody, who: CurrentPrincipal,
                        app: Volunteers) -> s.TeamOut:
    if who.sub != body.person:  # anyone may leave; others are removed by leader or staff
        await _managed(app, team_id, who, "remove team members")
    return _out(await run_in_threadpool(app.remove_member, team_id, body.person, body.reason,
                                        meta(who)))


@router.post("/{team_id}/leader", response_model=s.TeamOut, name="change_team_leader")
async def change_leader(team_id: UUID, body: s.MemberBody, who: CurrentPrincipal,
                        app: Volunteers) -> s.TeamOut:
    team = await run_in_threadpool(app.get_team, team_id)
    require_staff(who, team.node, "name a team's leader")
    return _out(await run_in_threadpool(app.change_leader, team_id, body.person, meta(who)))
