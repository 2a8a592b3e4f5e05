"""Every service's copy of the registered departments, built from grid's department events:
what a department token may name, and where each department has jurisdiction (so a leader
reads only the departments working in their scope). Services never read grid's tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from contracts import read
from contracts.grid import DepartmentRegistered
from shared.bus.envelope import Envelope
from shared.projections.projection import Projection

REGISTERED = DepartmentRegistered.TYPE


class DepartmentsCopy(Projection):
    streams = ("grid",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.departments (
        code text PRIMARY KEY,
        name text NOT NULL,
        jurisdiction text[] NOT NULL
    );
    """

    def __init__(self, schema: str | None = None) -> None:
        if schema is not None:  # one class, a schema per service (or a subclass's own)
            self.schema = schema  # type: ignore[misc]

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            if (p := read(e, DepartmentRegistered)) is not None:
                await conn.execute(
                    f"INSERT INTO {schema}.departments VALUES ($1, $2, $3) "
                    f"ON CONFLICT (code) DO NOTHING", p.code, p.name, p.jurisdiction)


async def find_department(pool: asyncpg.Pool, schema: str, code: str) -> dict[str, Any] | None:
    row = await pool.fetchrow(
        f'SELECT code, name, jurisdiction FROM "{schema}".departments WHERE code = $1', code)
    return dict(row) if row else None


async def jurisdictions(pool: asyncpg.Pool, schema: str) -> dict[str, list[str]]:
    """code -> jurisdiction, for filtering tables of departments by the caller's scope."""
    rows = await pool.fetch(f'SELECT code, jurisdiction FROM "{schema}".departments')
    return {r["code"]: list(r["jurisdiction"]) for r in rows}
