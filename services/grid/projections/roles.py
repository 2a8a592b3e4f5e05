"""Who holds which role at which node, and who held it when: from grid's person events.

One row per assignment, closed (`until`) when the role is relieved, so "who was the grid
worker of g03 on 1 May" is a range query, not a replay. `since` and `until` are the events'
business time (`at`, from grid's clock); `registered_at` and `updated_at` when they were
stored. Names only: contact details stay sealed in grid's event store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import asyncpg

from contracts import Payload, read
from contracts.grid import (
    PersonRegistered,
    PersonRoleAssigned,
    PersonRoleRelieved,
    PersonUpdated,
)
from shared.bus.envelope import Envelope
from shared.projections.projection import Projection
from shared.tiers import subtree_like

# A date in a query ("on 1 May") is a day in China Standard Time: the platform serves
# Chinese cities, and China keeps one zone with no daylight saving, so a fixed offset is exact.
CHINA = timezone(timedelta(hours=8), "CST")


class Roles(Projection):
    schema = "grid_roles"
    streams = ("grid",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.people (
        staff_id text PRIMARY KEY,
        person_id uuid NOT NULL UNIQUE,
        name text NOT NULL,
        home text NOT NULL,
        registered_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    );
    CREATE TABLE IF NOT EXISTS {schema}.assignments (
        id bigserial PRIMARY KEY,
        staff_id text NOT NULL,
        role text NOT NULL,
        node text NOT NULL,
        department text,
        since timestamptz NOT NULL,
        until timestamptz,
        assigned_by text,
        relieved_by text,
        relief_reason text
    );
    CREATE UNIQUE INDEX IF NOT EXISTS assignments_open
        ON {schema}.assignments (staff_id, role, node) WHERE until IS NULL;
    CREATE INDEX IF NOT EXISTS assignments_node ON {schema}.assignments (node text_pattern_ops);
    CREATE INDEX IF NOT EXISTS assignments_staff ON {schema}.assignments (staff_id);
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            match read(e, PersonRegistered, PersonUpdated, PersonRoleAssigned,
                       PersonRoleRelieved):
                case PersonRegistered() as p:
                    await conn.execute(
                        f"INSERT INTO {schema}.people (staff_id, person_id, name, home,"
                        f" registered_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)"
                        f" ON CONFLICT (staff_id) DO NOTHING",
                        p.staff_id, e.subject, p.name, p.home, datetime.fromisoformat(e.time),
                    )
                case PersonUpdated() as p:
                    await conn.execute(
                        f"UPDATE {schema}.people SET name = $2, updated_at = $3 "
                        f"WHERE staff_id = $1", p.staff_id, p.name, datetime.fromisoformat(e.time),
                    )
                case PersonRoleAssigned() as p:
                    await conn.execute(
                        f"INSERT INTO {schema}.assignments (staff_id, role, node, department,"
                        f" since, assigned_by) VALUES ($1, $2, $3, $4, $5, $6)"
                        f" ON CONFLICT (staff_id, role, node) WHERE until IS NULL DO NOTHING",
                        p.staff_id, p.role, p.node, p.department,
                        datetime.fromisoformat(p.at), _by(p),
                    )
                case PersonRoleRelieved() as p:
                    await conn.execute(
                        f"UPDATE {schema}.assignments SET until = $4, relieved_by = $5,"
                        f" relief_reason = $6 WHERE staff_id = $1 AND role = $2 AND node = $3"
                        f" AND until IS NULL",
                        p.staff_id, p.role, p.node, datetime.fromisoformat(p.at), _by(p),
                        p.reason,
                    )


def _by(p: Payload) -> str | None:
    return p.actor["sub"] if p.actor else None


_COLUMNS = ("a.staff_id, p.name, a.role, a.node, a.department, a.since, a.until, "
            "a.relief_reason")


async def holders(
    pool: asyncpg.Pool,
    node: str,
    *,
    subtree: bool = False,
    role: str | None = None,
    as_of: datetime | date | None = None,
    history: bool = False,
    limit: int = 1000,
    schema: str = Roles.schema,
) -> list[dict[str, Any]]:
    """Role holders at `node` (and beneath it with `subtree`), ordered by node, role, since.

    - default: who holds a role now;
    - `as_of` a datetime: who held it at that instant (naive means China time);
    - `as_of` a date: who held it at any time that day, China time;
    - `history`: every assignment ever made there, past and present.
    Returns up to `limit` rows; ask for `limit + 1` to learn whether more exist.
    """
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    place = f"a.node = {arg(node)}"
    if subtree:
        place = f"({place} OR a.node LIKE {arg(subtree_like(node))})"
    where = [place]
    if role:
        where.append(f"a.role = {arg(role)}")
    if not history:
        where.append(_held(as_of, arg))
    rows = await pool.fetch(
        f'SELECT {_COLUMNS} FROM "{schema}".assignments a '
        f'JOIN "{schema}".people p USING (staff_id) WHERE {" AND ".join(where)} '
        f"ORDER BY a.node, a.role, a.since, a.staff_id LIMIT {arg(limit)}",
        *args,
    )
    return [dict(r) for r in rows]


def _held(as_of: datetime | date | None, arg: Any) -> str:
    """The condition on (since, until) for "held now", "held at that instant" or "held at
    any time that day"; an assignment covers [since, until)."""
    if as_of is None:
        return "a.until IS NULL"
    if isinstance(as_of, datetime):
        at = arg(as_of if as_of.tzinfo else as_of.replace(tzinfo=CHINA))
        return f"a.since <= {at} AND (a.until IS NULL OR a.until > {at})"
    start = datetime.combine(as_of, time(), CHINA)
    return (f"a.since < {arg(start + timedelta(days=1))} "
            f"AND (a.until IS NULL OR a.until > {arg(start)})")


async def roles_of(
    pool: asyncpg.Pool, staff_id: str, *, history: bool = False, schema: str = Roles.schema
) -> list[dict[str, Any]]:
    """A person's current roles (or, with `history`, every role they ever held)."""
    rows = await pool.fetch(
        f'SELECT {_COLUMNS} FROM "{schema}".assignments a '
        f'JOIN "{schema}".people p USING (staff_id) WHERE a.staff_id = $1 '
        f"{'' if history else 'AND a.until IS NULL '}ORDER BY a.since, a.role, a.node",
        staff_id,
    )
    return [dict(r) for r in rows]


async def find_person(
    pool: asyncpg.Pool, staff_id: str, *, schema: str = Roles.schema
) -> dict[str, Any] | None:
    row = await pool.fetchrow(
        f'SELECT staff_id, name, home, registered_at, updated_at FROM "{schema}".people '
        f"WHERE staff_id = $1",
        staff_id,
    )
    return dict(row) if row else None
