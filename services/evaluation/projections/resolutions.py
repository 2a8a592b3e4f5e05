"""What each issue's reporters may rate, and what they rated.

- `issues`: the evaluation service's own copy of every issue, from the issues stream: where
  it is and who handles it, who reported it (the reporter and the followers merged issues
  brought), its current resolution round, its status and when the round was resolved;
- `ratings`: every rating, from this service's own stream.

Events the issues service added later (triage, merges, reopenings, `round`, `reporters`,
`at`) may be absent from older logs: a missing round is the current one (1 until a
reopening), missing reporters are the ones already known, a missing `at` is the envelope's
time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from services.evaluation.domain.rating import IssueFacts
from shared.bus.envelope import Envelope, business_time
from shared.projections.projection import Projection

ISSUE = "gongzhi.issue."
RATED = "gongzhi.rating.issue_rated.v1"
# Adds the reporters an event names to those already known, without repeats.
_WITH_REPORTERS = "reporters = ARRAY(SELECT DISTINCT unnest(reporters || $2::text[]))"


class Resolutions(Projection):
    schema = "evaluation_resolutions"
    streams = ("issues", "evaluation")
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.issues (
        id uuid PRIMARY KEY,
        node text NOT NULL,
        handling_node text NOT NULL,
        category text NOT NULL,
        reporters text[] NOT NULL,
        round int NOT NULL DEFAULT 1,
        status text NOT NULL,
        resolved_at timestamptz,
        merged_into uuid
    );
    CREATE TABLE IF NOT EXISTS {schema}.ratings (
        id uuid PRIMARY KEY,
        issue_id uuid NOT NULL,
        round int NOT NULL,
        rater text NOT NULL,
        verdict text NOT NULL,
        comment text NOT NULL,
        node text NOT NULL,
        handling_node text NOT NULL,
        category text NOT NULL,
        at timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ratings_issue ON {schema}.ratings (issue_id, round);
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            if e.type == RATED:
                await self._rated(conn, schema, e)
            elif e.type.startswith(ISSUE):
                await self._issue(conn, schema, e)

    async def _issue(self, conn: asyncpg.Connection, schema: str, e: Envelope) -> None:
        d, kind = e.data, e.type.removeprefix(ISSUE).rsplit(".", 1)[0]
        issue = UUID(e.subject)
        if kind == "raised":
            await conn.execute(
                f"INSERT INTO {schema}.issues (id, node, handling_node, category, reporters,"
                f" status) VALUES ($1, $2, $2, $3, $4, 'open') ON CONFLICT (id) DO NOTHING",
                issue, d["node"], d["category"], [d["reporter"]])
            return
        sql, args = _CHANGES.get(kind, (None, None))
        if sql is None:
            return
        await conn.execute(f"UPDATE {schema}.issues SET {sql} WHERE id = $1", issue,
                           *args(d, e))

    async def _rated(self, conn: asyncpg.Connection, schema: str, e: Envelope) -> None:
        d = e.data
        await conn.execute(
            f"INSERT INTO {schema}.ratings (id, issue_id, round, rater, verdict, comment, node,"
            f" handling_node, category, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            f" ON CONFLICT (id) DO NOTHING",
            UUID(e.subject), UUID(d["issue_id"]), d["round"], d["rater"], d["verdict"],
            d["comment"], d["node"], d["handling_node"], d["category"], business_time(e))


# What each later issue event changes: SQL after SET ($1 is the issue id), and its arguments.
_CHANGES: dict[str, tuple[str, Any]] = {
    "triaged": ("handling_node = COALESCE($2, handling_node), category = COALESCE($3, category)",
                lambda d, e: (d.get("handling_node"), d.get("category"))),
    "classified": ("category = $2", lambda d, e: (d["category"],)),
    "escalated": ("handling_node = $2", lambda d, e: (d["to_node"],)),
    "resolved": (f"status = 'resolved', round = COALESCE($3, round), resolved_at = $4, "
                 f"{_WITH_REPORTERS}",
                 lambda d, e: (d.get("reporters") or [], d.get("round"), business_time(e))),
    "reopened": ("status = 'open', round = COALESCE($2, round + 1), resolved_at = NULL",
                 lambda d, e: (d.get("round"),)),
    "absorbed": (_WITH_REPORTERS, lambda d, e: (d.get("reporters") or [],)),
    "merged": ("status = 'merged', merged_into = $2", lambda d, e: (UUID(d["into"]),)),
    "closed": ("status = 'closed'", lambda d, e: ()),
}


async def issue_facts(pool: asyncpg.Pool, issue_id: UUID) -> IssueFacts | None:
    row = await pool.fetchrow(f'SELECT * FROM "{Resolutions.schema}".issues WHERE id = $1',
                              issue_id)
    if row is None:
        return None
    return IssueFacts(issue_id=row["id"], node=row["node"], handling_node=row["handling_node"],
                      category=row["category"], reporters=frozenset(row["reporters"]),
                      round=row["round"], status=row["status"], resolved_at=row["resolved_at"])


async def ratings_of(pool: asyncpg.Pool, issue_id: UUID) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        f'SELECT * FROM "{Resolutions.schema}".ratings WHERE issue_id = $1 ORDER BY round, at',
        issue_id)
    return [dict(r) for r in rows]
