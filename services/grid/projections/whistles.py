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

from shared.bus.cloudevents import to_structured
from shared.bus.envelope import Envelope
from shared.projections.projection import Projection

BLOWN = "gongzhi.whistle.blown.v1"
REPORTED = "gongzhi.whistle.department_reported.v1"
COMPLETED = "gongzhi.whistle.department_completed.v1"
OVERDUE = "gongzhi.whistle.overdue.v1"
CLOSED = "gongzhi.whistle.closed.v1"
DEPARTMENT = "gongzhi.department.registered.v1"


def concerned(e: Envelope, summoned: list[str]) -> list[str]:
    """The departments an event is about: one for a report-in, completion or overdue; all
    summoned for a blown or closed whistle."""
    return [e.data["department"]] if "department" in e.data else summoned


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
            d = e.data
            if e.type == DEPARTMENT:
                await conn.execute(
                    f"INSERT INTO {schema}.departments VALUES ($1, $2, $3, $4, $5) "
                    f"ON CONFLICT (code) DO NOTHING",
                    d["code"], d["name"], d["kind"], d["categories"], d["jurisdiction"])
                continue
            if not e.type.startswith("gongzhi.whistle."):
                continue
            if e.type == BLOWN:
                await self._blown(conn, schema, e)
            elif e.type == REPORTED:
                await conn.execute(
                    f"UPDATE {schema}.summons SET reported_at = $3, late = $4 "
                    f"WHERE whistle_id = $1 AND department = $2",
                    e.subject, d["department"], _ts(d["at"]), d["late"])
            elif e.type == COMPLETED:
                await conn.execute(
                    f"UPDATE {schema}.summons SET completed_at = $3, outcome = $4 "
                    f"WHERE whistle_id = $1 AND department = $2",
                    e.subject, d["department"], _ts(d["at"]), d["outcome"])
            elif e.type == OVERDUE:
                await conn.execute(
                    f"UPDATE {schema}.summons SET overdue_at = $3 "
                    f"WHERE whistle_id = $1 AND department = $2",
                    e.subject, d["department"], _ts(d["at"]))
            elif e.type == CLOSED:
                await conn.execute(
                    f"UPDATE {schema}.whistles SET status = 'closed', closed_at = $2 "
                    f"WHERE id = $1", e.subject, _ts(d["at"]))
            summoned = await conn.fetchval(
                f"SELECT departments FROM {schema}.whistles WHERE id = $1", e.subject) or []
            await conn.executemany(
                f"INSERT INTO {schema}.feed (department, whistle_id, type, event) "
                f"VALUES ($1, $2, $3, $4::jsonb)",
                [(code, e.subject, e.type, _public(e)) for code in concerned(e, summoned)])

    async def _blown(self, conn: asyncpg.Connection, schema: str, e: Envelope) -> None:
        d = e.data
        await conn.execute(
            f"INSERT INTO {schema}.whistles (id, node, situation, title, issue_id, mode, status,"
            f" departments, blown_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8)"
            f" ON CONFLICT (id) DO NOTHING",
            e.subject, d["node"], d["situation"], d["title"], d.get("issue_id"), d["mode"],
            d["departments"], _ts(d["at"]))
        supervisor = d["node"].rpartition(".")[0] or d["node"]
        await conn.executemany(
            f"INSERT INTO {schema}.summons (whistle_id, department, deadline, supervisor) "
            f"VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [(e.subject, code, _ts(deadline), supervisor)
             for code, deadline in d["summons"].items()])


def _public(e: Envelope) -> str:
    """The event as a department receives it: the structured CloudEvent every HTTP channel
    sends (shared/bus/cloudevents.py)."""
    return to_structured(e)


def _ts(iso: str) -> datetime:
    return datetime.fromisoformat(iso)
