"""Whistles as the people who answer them see them.

- `whistles`, `summons`: every whistle and, per summoned department, its deadline, report-in,
  completion and overdue times: the department boards, the street's whistle record, the
  supervision list of the tier above, and report-in statistics all read these;
- `departments`: the registered departments, for listing and jurisdiction;
- `feed`: one row per (event, department concerned), numbered, for the server-sent-events
  stream a department's console follows (its `id` is the SSE event id).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from contracts import read
from contracts.grid import (
    DepartmentRegistered,
    WhistleBlown,
    WhistleClosed,
    WhistleDepartmentCompleted,
    WhistleDepartmentReported,
    WhistleOverdue,
)
from shared.bus.cloudevents import to_structured
from shared.bus.envelope import Envelope
from shared.projections.projection import Projection


def concerned(e: Envelope, summoned: list[str]) -> list[str]:
    """The departments an event is about: one for a report-in, completion or overdue; all
    summoned for a blown or closed whistle."""
    one = read(e, WhistleDepartmentReported, WhistleDepartmentCompleted, WhistleOverdue)
    return one.departments_concerned() if one is not None else summoned


class Whistles(Projection):
    schema = "grid_whistles"
    streams = ("grid",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.whistles (
        id uuid PRIMARY KEY,
        node text NOT NULL,
        situation text NOT NULL,
        title text NOT NULL,
        issue_id text,
        mode text NOT NULL,
        status text NOT NULL,
        departments text[] NOT NULL,
        blown_at timestamptz NOT NULL,
        closed_at timestamptz
    );
    CREATE INDEX IF NOT EXISTS whistles_node ON {schema}.whistles (node text_pattern_ops);
    CREATE TABLE IF NOT EXISTS {schema}.summons (
        whistle_id uuid NOT NULL,
        department text NOT NULL,
        deadline timestamptz NOT NULL,
        reported_at timestamptz,
        late boolean,
        completed_at timestamptz,
        outcome text,
        overdue_at timestamptz,
        supervisor text NOT NULL,
        PRIMARY KEY (whistle_id, department)
    );
    CREATE INDEX IF NOT EXISTS summons_department ON {schema}.summons (department);
    CREATE INDEX IF NOT EXISTS summons_waiting ON {schema}.summons (deadline)
        WHERE reported_at IS NULL AND overdue_at IS NULL;
    CREATE TABLE IF NOT EXISTS {schema}.departments (
        code text PRIMARY KEY,
        name text NOT NULL,
        kind text NOT NULL,
        categories text[] NOT NULL,
        jurisdiction text[] NOT NULL
    );
    CREATE TABLE IF NOT EXISTS {schema}.feed (
        id bigserial PRIMARY KEY,
        department text NOT NULL,
        whistle_id uuid NOT NULL,
        type text NOT NULL,
        event jsonb NOT NULL
    );
    CREATE INDEX IF NOT EXISTS feed_department ON {schema}.feed (department, id);
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            p = read(e, DepartmentRegistered, WhistleBlown, WhistleDepartmentReported,
                     WhistleDepartmentCompleted, WhistleOverdue, WhistleClosed)
            match p:
                case None:
                    continue
                case DepartmentRegistered():
                    await conn.execute(
                        f"INSERT INTO {schema}.departments VALUES ($1, $2, $3, $4, $5) "
                        f"ON CONFLICT (code) DO NOTHING",
                        p.code, p.name, p.kind, p.categories, p.jurisdiction)
                    continue
                case WhistleBlown():
                    await self._blown(conn, schema, e.subject, p)
                case WhistleDepartmentReported():
                    await conn.execute(
                        f"UPDATE {schema}.summons SET reported_at = $3, late = $4 "
                        f"WHERE whistle_id = $1 AND department = $2",
                        e.subject, p.department, _ts(p.at), p.late)
                case WhistleDepartmentCompleted():
                    await conn.execute(
                        f"UPDATE {schema}.summons SET completed_at = $3, outcome = $4 "
                        f"WHERE whistle_id = $1 AND department = $2",
                        e.subject, p.department, _ts(p.at), p.outcome)
                case WhistleOverdue():
                    await conn.execute(
                        f"UPDATE {schema}.summons SET overdue_at = $3 "
                        f"WHERE whistle_id = $1 AND department = $2",
                        e.subject, p.department, _ts(p.at))
                case WhistleClosed():
                    await conn.execute(
                        f"UPDATE {schema}.whistles SET status = 'closed', closed_at = $2 "
                        f"WHERE id = $1", e.subject, _ts(p.at))
            summoned = await conn.fetchval(
                f"SELECT departments FROM {schema}.whistles WHERE id = $1", e.subject) or []
            await conn.executemany(
                f"INSERT INTO {schema}.feed (department, whistle_id, type, event) "
                f"VALUES ($1, $2, $3, $4::jsonb)",
                [(code, e.subject, e.type, _public(e)) for code in concerned(e, summoned)])

    async def _blown(self, conn: asyncpg.Connection, schema: str, whistle_id: str,
                     p: WhistleBlown) -> None:
        await conn.execute(
            f"INSERT INTO {schema}.whistles (id, node, situation, title, issue_id, mode, status,"
            f" departments, blown_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8)"
            f" ON CONFLICT (id) DO NOTHING",
            whistle_id, p.node, p.situation, p.title, p.issue_id, p.mode, p.departments,
            _ts(p.at))
        supervisor = p.node.rpartition(".")[0] or p.node
        await conn.executemany(
            f"INSERT INTO {schema}.summons (whistle_id, department, deadline, supervisor) "
            f"VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [(whistle_id, code, _ts(deadline), supervisor)
             for code, deadline in p.summons.items()])


def _public(e: Envelope) -> str:
    """The event as a department receives it: the structured CloudEvent every HTTP channel
    sends (shared/bus/cloudevents.py)."""
    return to_structured(e)


def _ts(iso: str) -> datetime:
    return datetime.fromisoformat(iso)
