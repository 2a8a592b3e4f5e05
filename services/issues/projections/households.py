"""The issues service's copy of grid's household register: households with floor area, and
the resident accounts verified for each. Consultations read it to know whose online ballot
counts for which household and to weigh ballots by area; never grid's tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import asyncpg

from shared.bus.envelope import Envelope
from shared.projections.projection import Projection
from shared.tiers import subtree_like

REGISTERED = "gongzhi.household.registered.v1"
AREA_CHANGED = "gongzhi.household.area_changed.v1"
LINKED = "gongzhi.household.resident_linked.v1"
VERIFIED = "gongzhi.household.resident_verified.v1"
LEFT = "gongzhi.household.resident_left.v1"


class Households(Projection):
    schema = "issues_households"
    streams = ("grid",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.households (
        code text PRIMARY KEY,
        node text NOT NULL,
        area numeric(12, 2) NOT NULL
    );
    CREATE INDEX IF NOT EXISTS households_node ON {schema}.households (node text_pattern_ops);
    CREATE TABLE IF NOT EXISTS {schema}.members (
        code text NOT NULL,
        resident text NOT NULL,
        relation text NOT NULL,
        verified boolean NOT NULL DEFAULT false,
        PRIMARY KEY (resident, code)
    );
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            d = e.data
            if e.type == REGISTERED:
                await conn.execute(
                    f"INSERT INTO {schema}.households (code, node, area) VALUES ($1, $2, $3)"
                    f" ON CONFLICT (code) DO NOTHING", d["code"], d["node"], Decimal(d["area"]))
            elif e.type == AREA_CHANGED:
                await conn.execute(f"UPDATE {schema}.households SET area = $2 WHERE code = $1",
                                   d["household"], Decimal(d["area"]))
            elif e.type == LINKED:
                await conn.execute(
                    f"INSERT INTO {schema}.members (code, resident, relation) VALUES ($1, $2, $3)"
                    f" ON CONFLICT (resident, code) DO NOTHING",
                    d["household"], d["resident"], d["relation"])
            elif e.type == VERIFIED:
                await conn.execute(
                    f"UPDATE {schema}.members SET verified = true "
                    f"WHERE code = $1 AND resident = $2", d["household"], d["resident"])
            elif e.type == LEFT:
                await conn.execute(
                    f"DELETE FROM {schema}.members WHERE code = $1 AND resident = $2",
                    d["household"], d["resident"])


async def verified_households(pool: asyncpg.Pool, resident: str) -> frozenset[str]:
    """The households a resident account is a verified member of."""
    rows = await pool.fetch(
        f'SELECT code FROM "{Households.schema}".members WHERE resident = $1 AND verified',
        resident)
    return frozenset(r["code"] for r in rows)


async def households_under(pool: asyncpg.Pool, node: str) -> dict[str, Decimal]:
    """Every registered household at or under `node`, with its floor area."""
    rows = await pool.fetch(
        f'SELECT code, area FROM "{Households.schema}".households '
        f"WHERE node = $1 OR node LIKE $2 ORDER BY code", node, subtree_like(node))
    return {r["code"]: r["area"] for r in rows}


async def nodes_of(pool: asyncpg.Pool, codes: list[str]) -> dict[str, str]:
    """Where each of these households is registered (unregistered ones are left out)."""
    rows = await pool.fetch(
        f'SELECT code, node FROM "{Households.schema}".households WHERE code = ANY($1::text[])',
        codes)
    return {r["code"]: r["node"] for r in rows}


async def areas_of(pool: asyncpg.Pool, codes: list[str]) -> dict[str, Decimal]:
    rows = await pool.fetch(
        f'SELECT code, area FROM "{Households.schema}".households '
        f"WHERE code = ANY($1::text[])", codes)
    return {r["code"]: r["area"] for r in rows}


async def memberships(pool: asyncpg.Pool, resident: str) -> list[dict]:
    """The households a resident account is linked to, verified or not, with their areas."""
    rows = await pool.fetch(
        f'SELECT m.code, h.node, h.area, m.relation, m.verified '
        f'FROM "{Households.schema}".members m '
        f'JOIN "{Households.schema}".households h USING (code) '
        f"WHERE m.resident = $1 ORDER BY m.code", resident)
    return [dict(r) | {"area": str(r["area"])} for r in rows]
