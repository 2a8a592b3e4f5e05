"""The household register as a list: households under a node with their floor area and who
is linked to each, for the staff who keep it (GET /v1/households?node=)."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from shared.projections.households import HouseholdsCopy
from shared.tiers import subtree_like


class HouseholdRegister(HouseholdsCopy):
    schema = "grid_households"


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
