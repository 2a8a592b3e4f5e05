"""Whistles, as far as evaluating the departments they summoned goes, and the evaluations.

- `whistles`: from grid's stream: where each was blown, whom it summoned, who completed,
  whether it closed;
- `evaluations`: every department evaluation, from this service's own stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from contracts import read
from contracts.evaluation import DepartmentEvaluationRecorded
from contracts.grid import WhistleBlown, WhistleClosed, WhistleDepartmentCompleted
from services.evaluation.domain.department_evaluation import WhistleFacts
from shared.bus.envelope import Envelope, business_time
from shared.projections.projection import Projection
from shared.tiers import subtree_like


class WhistlesDone(Projection):
    schema = "evaluation_whistles_done"
    streams = ("grid", "evaluation")
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.whistles (
        id uuid PRIMARY KEY,
        node text NOT NULL,
        departments text[] NOT NULL,
        completed text[] NOT NULL DEFAULT '{{}}',
        status text NOT NULL,
        blown_at timestamptz NOT NULL,
        closed_at timestamptz
    );
    CREATE TABLE IF NOT EXISTS {schema}.evaluations (
        id uuid PRIMARY KEY,
        whistle_id uuid NOT NULL,
        department text NOT NULL,
        node text NOT NULL,
        timeliness int NOT NULL,
        effectiveness int NOT NULL,
        attitude int NOT NULL,
        comment text NOT NULL,
        at timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS evaluations_department ON {schema}.evaluations (department, at);
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            match read(e, WhistleBlown, WhistleDepartmentCompleted, WhistleClosed,
                       DepartmentEvaluationRecorded):
                case WhistleBlown() as p:
                    await conn.execute(
                        f"INSERT INTO {schema}.whistles (id, node, departments, status, "
                        f"blown_at) VALUES ($1, $2, $3, 'open', $4) ON CONFLICT (id) DO NOTHING",
                        UUID(e.subject), p.node, p.departments, business_time(e))
                case WhistleDepartmentCompleted() as p:
                    await conn.execute(
                        f"UPDATE {schema}.whistles SET completed = completed || $2::text "
                        f"WHERE id = $1 AND NOT $2 = ANY(completed)",
                        UUID(e.subject), p.department)
                case WhistleClosed():
                    await conn.execute(
                        f"UPDATE {schema}.whistles SET status = 'closed', closed_at = $2 "
                        f"WHERE id = $1", UUID(e.subject), business_time(e))
                case DepartmentEvaluationRecorded() as p:
                    await conn.execute(
                        f"INSERT INTO {schema}.evaluations (id, whistle_id, department, node,"
                        f" timeliness, effectiveness, attitude, comment, at) VALUES ($1, $2, "
                        f"$3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
                        UUID(e.subject), UUID(p.whistle_id), p.department, p.node,
                        p.timeliness, p.effectiveness, p.attitude, p.comment,
                        business_time(e))


async def whistle_facts(pool: asyncpg.Pool, whistle_id: UUID) -> WhistleFacts | None:
    row = await pool.fetchrow(
        f'SELECT id, node, departments, status FROM "{WhistlesDone.schema}".whistles '
        f"WHERE id = $1", whistle_id)
    if row is None:
        return None
    return WhistleFacts(whistle_id=row["id"], node=row["node"],
                        departments=tuple(row["departments"]), status=row["status"])


async def evaluations_of(pool: asyncpg.Pool, department: str,
                         within: str | None) -> list[dict[str, Any]]:
    """A department's evaluations, newest first; only those at or under `within` if given."""
    rows = await pool.fetch(
        f'SELECT * FROM "{WhistlesDone.schema}".evaluations WHERE department = $1 '
        f"AND ($2::text IS NULL OR node = $2 OR node LIKE $3) ORDER BY at DESC",
        department, within, subtree_like(within) if within else None)
    return [dict(r) for r in rows]
