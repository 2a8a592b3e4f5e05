"""What each issue's reporters may rate, and what they rated.

- `issues`: the evaluation service's own copy of every issue, from the issues stream: where
  it is and who handles it, who reported it (the reporter and the followers merged issues
  brought), its current resolution round, its status and when the round was resolved;
- `ratings`: every rating, from this service's own stream.

Events the issues service added later (triage, merges, reopenings) may be absent from older
logs; their contracts give every field (`gongzhi.issue.resolved.v2` its round and reporters,
upcast from v1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from contracts import Payload, read
from contracts.evaluation import RatingIssueRated
from contracts.issues import (
    IssueAbsorbed,
    IssueClassified,
    IssueClosed,
    IssueEscalated,
    IssueMerged,
    IssueRaised,
    IssueReopened,
    IssueResolved,
    IssueTriaged,
)
from services.evaluation.domain.rating import IssueFacts
from shared.bus.envelope import Envelope, business_time
from shared.projections.projection import Projection

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
            if (p := read(e, *_READS)) is not None:
                await self._apply(conn, schema, e, p)

    async def _apply(self, conn: asyncpg.Connection, schema: str, e: Envelope,
                     p: Payload) -> None:
        issue = UUID(e.subject)
        match p:
            case RatingIssueRated():
                await conn.execute(
                    f"INSERT INTO {schema}.ratings (id, issue_id, round, rater, verdict, "
                    f"comment, node, handling_node, category, at) VALUES ($1, $2, $3, $4, $5,"
                    f" $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
                    issue, UUID(p.issue_id), p.round, p.rater, p.verdict, p.comment, p.node,
                    p.handling_node, p.category, business_time(e))
                return
            case IssueRaised():
                await conn.execute(
                    f"INSERT INTO {schema}.issues (id, node, handling_node, category, "
                    f"reporters, status) VALUES ($1, $2, $2, $3, $4, 'open') "
                    f"ON CONFLICT (id) DO NOTHING",
                    issue, p.node, p.category, [p.reporter])
                return
            case IssueTriaged():
                sql, args = ("handling_node = $2, category = $3",
                             (p.handling_node, p.category))
            case IssueClassified():
                sql, args = "category = $2", (p.category,)
            case IssueEscalated():
                sql, args = "handling_node = $2", (p.to_node,)
            case IssueResolved():
                sql, args = (f"status = 'resolved', round = $3, resolved_at = $4, "
                             f"{_WITH_REPORTERS}", (p.reporters, p.round, business_time(e)))
            case IssueReopened():
                sql, args = "status = 'open', round = $2, resolved_at = NULL", (p.round,)
            case IssueAbsorbed():
                sql, args = _WITH_REPORTERS, (p.reporters,)
            case IssueMerged():
                sql, args = "status = 'merged', merged_into = $2", (UUID(p.into),)
            case IssueClosed():
                sql, args = "status = 'closed'", ()
            case _:
                return
        await conn.execute(f"UPDATE {schema}.issues SET {sql} WHERE id = $1", issue, *args)


_READS = (RatingIssueRated, IssueRaised, IssueTriaged, IssueClassified, IssueEscalated,
          IssueResolved, IssueReopened, IssueAbsorbed, IssueMerged, IssueClosed)


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
