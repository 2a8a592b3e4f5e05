"""The issues service's copy of grid's household register: households with floor area, and
the resident accounts verified for each. Consultations read it to know whose online ballot
counts for which household and to weigh ballots by area; never grid's tables.
"""

from __future__ import annotations

from decimal import Decimal

import asyncpg

from shared.projections.households import HouseholdsCopy
from shared.tiers import subtree_like


class Households(HouseholdsCopy):
    schema = "issues_households"


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
