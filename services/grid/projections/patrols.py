"""Patrols (巡查) read back: one row per logged patrol, by node subtree and by worker, newest
first, with the problems found and how many were raised as issues."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from contracts import read
from contracts.grid import PatrolLogged
from shared.bus.envelope import Envelope
from shared.projections.projection import Projection
from shared.tiers import subtree_like


class Patrols(Projection):
    schema = "grid_patrols"
    streams = ("grid",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.patrols (
        id uuid PRIMARY KEY,
        node text NOT NULL,
        worker text NOT NULL,
        households_visited integer NOT NULL,
        problems jsonb NOT NULL,
        issues_raised integer NOT NULL,
        note text NOT NULL,
        at timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS patrols_node ON {schema}.patrols (node text_pattern_ops, at);
    CREATE INDEX IF NOT EXISTS patrols_worker ON {schema}.patrols (worker, at);
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        rows = [(e.subject, p.node, p.worker, p.households_visited,
                 json.dumps(p.problems, ensure_ascii=False),
                 sum(1 for problem in p.problems if problem.get("raise_issue")),
                 p.note, datetime.fromisoformat(p.at))
                for e in events if (p := read(e, PatrolLogged))]
        if rows:
            await conn.executemany(
                f"INSERT INTO {schema}.patrols VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8) "
                f"ON CONFLICT (id) DO NOTHING", rows)


def _out(r: asyncpg.Record) -> dict[str, Any]:
    return {"id": str(r["id"]), "node": r["node"], "worker": r["worker"],
            "households_visited": r["households_visited"], "problems": json.loads(r["problems"]),
            "issues_raised": r["issues_raised"], "note": r["note"], "at": r["at"].isoformat()}


async def find_patrols(pool: asyncpg.Pool, node: str, *, worker: str | None,
                       since: datetime | None, until: datetime | None,
                       limit: int) -> list[dict[str, Any]]:
    """Patrols at `node` or beneath it (of one worker, if named), newest first."""
    rows = await pool.fetch(
        f'SELECT * FROM "{Patrols.schema}".patrols WHERE (node = $1 OR node LIKE $2) '
        f"AND ($3::text IS NULL OR worker = $3) AND ($4::timestamptz IS NULL OR at >= $4) "
        f"AND ($5::timestamptz IS NULL OR at < $5) ORDER BY at DESC, id LIMIT $6",
        node, subtree_like(node), worker, since, until, limit)
    return [_out(r) for r in rows]


async def find_patrol(pool: asyncpg.Pool, patrol_id: str) -> dict[str, Any] | None:
    row = await pool.fetchrow(f'SELECT * FROM "{Patrols.schema}".patrols WHERE id = $1::uuid',
                              patrol_id)
    return _out(row) if row else None
