"""Dependencies the routes share: the application, the read pool, where a node sits, and
who may do what."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import Path

from services.volunteers.application import VolunteersApplication
from services.volunteers.domain.rules import PERSON_PATTERN
from services.volunteers.projections import TIER_TREE
from shared.auth import Principal
from shared.errors import Forbidden, Invalid
from shared.http import ReadPool, ServiceApp
from shared.roles import SERVING_ROLES
from shared.tiers import ancestors_and_self

Volunteers = Annotated[VolunteersApplication, ServiceApp]
# A person's id in a route's path: the account and the volunteer of that person.
PersonId = Annotated[str, Path(pattern=PERSON_PATTERN)]
Pool = ReadPool


async def community_of(pool: asyncpg.Pool, node: str, field: str = "node") -> str:
    """The community `node` lies in (or is): wishes, volunteers and their figures belong
    to one. Refuses unknown and retired nodes, and nodes above community level."""
    rows = await pool.fetch(
        f'SELECT path, level, retired FROM "{TIER_TREE.schema}".nodes '
        f"WHERE path = ANY($1::text[])", ancestors_and_self(node))
    found = {r["path"]: r for r in rows}
    if node not in found:
        raise Invalid(f"unknown tier node '{node}'", field=field)
    if found[node]["retired"]:
        raise Invalid(f"tier node '{node}' is retired", field=field)
    community = next((p for p, r in found.items() if r["level"] == "community"), None)
    if community is None:
        raise Invalid(f"'{node}' is a {found[node]['level']}, not a community or a place "
                      "within one", field=field)
    return community


async def require_live_node(pool: asyncpg.Pool, node: str, field: str = "node") -> None:
    row = await pool.fetchrow(f'SELECT retired FROM "{TIER_TREE.schema}".nodes WHERE path = $1',
                              node)
    if row is None:
        raise Invalid(f"unknown tier node '{node}'", field=field)
    if row["retired"]:
        raise Invalid(f"tier node '{node}' is retired", field=field)


def require_staff(who: Principal, node: str, doing: str) -> None:
    """Community work (dispatching, teams, activities, rewards, civic acts) is staff's, at
    nodes within their scope."""
    if not who.is_staff:
        raise Forbidden(f"a {who.role} may not {doing}; community staff do")
    who.require_scope(node, doing)


def require_serving(who: Principal, doing: str) -> None:
    if who.role not in SERVING_ROLES:
        raise Forbidden(f"a {who.role} may not {doing}; party members, volunteers and "
                        "couriers do, under their own registration")


def require_self_or_staff(who: Principal, person: str, node: str, doing: str) -> None:
    if who.sub == person and not who.is_staff:
        return
    if not who.is_staff:
        raise Forbidden(f"a {who.role} may {doing} only for themself, not for {person}")
    who.require_scope(node, doing)
