"""Counts of issues by status at every tier node, rolled up to every ancestor.

An issue at `km.guandu.taihe.heping.g03` counts at that node and at each of its four
ancestors, so a node's figure is its whole subtree. Moving an issue from one status to
another is a -1 and a +1 at each of those nodes; a batch's moves are summed in memory and
written in one statement.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import asyncpg

from contracts import read
from contracts.issues import IssueRaised
from services.issues.domain.issue import STATUS_AFTER
from shared.bus.envelope import Envelope
from shared.projections.projection import Projection
from shared.tiers import ancestors_and_self


class TierSummary(Projection):
    schema = "issues_tier_summary"
    streams = ("issues",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.issue_status (
        id uuid PRIMARY KEY,
        node text NOT NULL,
        status text NOT NULL
    );
    CREATE TABLE IF NOT EXISTS {schema}.counts (
        node text NOT NULL,
        status text NOT NULL,
        n bigint NOT NULL,
        PRIMARY KEY (node, status)
    );
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        moves = [e for e in events if e.type in STATUS_AFTER]
        if not moves:
            return
        known = await conn.fetch(
            f"SELECT id::text, node, status FROM {schema}.issue_status "
            f"WHERE id = ANY($1::uuid[])",
            list({e.subject for e in moves}),
        )
        current = {r["id"]: (r["node"], r["status"]) for r in known}
        delta: Counter[tuple[str, str]] = Counter()
        for e in moves:
            status = STATUS_AFTER[e.type]
            node, before = current.get(e.subject, (e.tier or _raised_at(e), None))
            for ancestor in ancestors_and_self(node):
                if before:
                    delta[(ancestor, before)] -= 1
                delta[(ancestor, status)] += 1
            current[e.subject] = (node, status)
        await conn.execute(
            f"INSERT INTO {schema}.issue_status (id, node, status) "
            f"SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) "
            f"ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status",
            list(current), [v[0] for v in current.values()], [v[1] for v in current.values()],
        )
        changed = [(k, n) for k, n in delta.items() if n]
        await conn.execute(
            f"INSERT INTO {schema}.counts (node, status, n) "
            f"SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) "
            f"ON CONFLICT (node, status) DO UPDATE SET n = {schema}.counts.n + EXCLUDED.n",
            [k[0] for k, _ in changed], [k[1] for k, _ in changed], [n for _, n in changed],
        )


async def summary_counts(pool: asyncpg.Pool, nodes: list[str]) -> dict[str, dict[str, int]]:
    rows = await pool.fetch(
        f'SELECT node, status, n FROM "{TierSummary.schema}".counts WHERE node = ANY($1::text[])',
        nodes,
    )
    out: dict[str, dict[str, int]] = {n: {} for n in nodes}
    for r in rows:
        out[r["node"]][r["status"]] = r["n"]
    return out


def _raised_at(e: Envelope) -> str | None:
    """An issue's node, for an event that lacks the `tier` every event carries now."""
    raised = read(e, IssueRaised)
    return raised.node if raised is not None else None
