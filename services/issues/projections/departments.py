"""The departments the issues service knows, from grid's department events: codes, names and
jurisdictions, so a consultation may name the departments taking part (issue 11)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from shared.bus.envelope import Envelope
from shared.projections.projection import Projection

REGISTERED = "gongzhi.department.registered.v1"


class Departments(Projection):
    schema = "issues_departments"
    streams = ("grid",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.departments (
        code text PRIMARY KEY,
        name text NOT NULL,
        jurisdiction text[] NOT NULL
    );
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        rows = [(e.data["code"], e.data["name"], e.data["jurisdiction"])
                for e in events if e.type == REGISTERED]
        if rows:
            await conn.executemany(
                f"INSERT INTO {schema}.departments VALUES ($1, $2, $3) "
                f"ON CONFLICT (code) DO NOTHING", rows)


async def find_departments(pool: asyncpg.Pool, codes: list[str]) -> dict[str, dict[str, Any]]:
    rows = await pool.fetch(
        f'SELECT code, name, jurisdiction FROM "{Departments.schema}".departments '
        f"WHERE code = ANY($1::text[])", codes)
    return {r["code"]: dict(r) for r in rows}
