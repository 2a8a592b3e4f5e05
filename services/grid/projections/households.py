"""The household register as a list: households under a node with their floor area and who
is linked to each, for the staff who keep it (GET /v1/households?node=)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import asyncpg

from shared.bus.envelope import Envelope
from shared.projections.projection import Projection
from shared.tiers import subtree_like

REGISTERED = "gongzhi.household.registered.v1"
AREA_CHANGED = "gongzhi.household.area_changed.v1"
LINKED = "gongzhi.household.resident_linked.v1"
VERIFIED = "gongzhi.household.resident_verified.v1"
LEFT = "gongzhi.household.resident_left.v1"


class HouseholdRegister(Projection):
    schema = "grid_households"
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
        PRIMARY KEY (code, resident)
    );
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            d = e.data
            if e.type == REGISTERED:
                await conn.execute(
                    f"INSERT INTO {schema}.households VALUES ($1, $2, $3) "
                    f"ON CONFLICT (code) DO NOTHING", d["code"], d["node"], Decimal(d["area"]))
            elif e.type == AREA_CHANGED:
                await conn.execute(f"UPDATE {schema}.households SET area = $2 WHERE code = $1",
                                   d["household"], Decimal(d["area"]))
            elif e.type == LINKED:
                await conn.execute(
                    f"INSERT INTO {schema}.members (code, resident, relation) "
                    f"VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    d["household"], d["resident"], d["relation"])
            elif e.type == VERIFIED:
                await conn.execute(f"UPDATE {schema}.members SET verified = true "
                                   f"WHERE code = $1 AND resident = $2",
                                   d["household"], d["resident"])
            elif e.type == LEFT:
                await conn.execute(f"DELETE FROM {schema}.members "
                                   f"WHERE code = $1 AND resident = $2",
                                   d["household"], d["resident"])


async def list_households(pool: asyncpg.Pool, node: str, *, pending_only: bool,
                          limit: int) -> list[dict[str, Any]]:
    """Households at or under `node`, by code, each with its residents; `pending_only`:
    those with a resident waiting to be verified (the keepers' to-do list)."""
    s = f'"{HouseholdRegister.schema}"'
    rows = await pool.fetch(
        f"SELECT h.code, h.node, h.area, coalesce(json_agg(json_build_object("
        f"'resident', m.resident, 'relation', m.relation, 'verified', m.verified) "
        f"ORDER BY m.resident) FILTER (WHERE m.resident IS NOT NULL), '[]')::text AS residents "
        f"FROM {s}.households h LEFT JOIN {s}.members m USING (code) "
        f"WHERE (h.node = $1 OR h.node LIKE $2) GROUP BY h.code "
        f"HAVING NOT $3 OR bool_or(NOT m.verified) ORDER BY h.code LIMIT $4",
        node, subtree_like(node), pending_only, limit)
    return [{"code": r["code"], "node": r["node"], "area": str(r["area"]),
             "residents": json.loads(r["residents"])} for r in rows]
