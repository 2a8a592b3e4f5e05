"""Keyword search over issues in Chinese: one row per issue with what the filters need and a
tsvector of its title, description, progress notes and resolutions (shared/text_search.py
makes the lexemes: CJK bigrams, no extension needed).

The vector only grows: a note or a resolution adds its lexemes, so an issue stays findable
by every word ever written about it (a reopened issue by its first resolution too).
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from contracts import read
from contracts.issues import (
    IssueAbsorbed,
    IssueAssigned,
    IssueClassified,
    IssueProgressNoted,
    IssueRaised,
    IssueResolved,
    IssueTriaged,
)
from services.issues.domain.issue import STATUS_AFTER
from shared.bus.envelope import Envelope, business_time
from shared.projections.projection import Projection
from shared.text_search import document_tokens


class IssueSearch(Projection):
    schema = "issues_search"
    streams = ("issues",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.issues (
        id uuid PRIMARY KEY,
        node text NOT NULL,
        status text NOT NULL,
        category text NOT NULL,
        title text NOT NULL,
        reporter text NOT NULL,
        followers text[] NOT NULL,   -- the reporter and the reporters of merged duplicates
        department text,             -- the department it is assigned to, if any
        raised_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        words tsvector NOT NULL
    );
    -- A small pending list (64 kB, the least allowed): with the default 4 MB, a busy
    -- stream leaves thousands of unmerged entries that every search scans (and the
    -- planner, costing them, turns to the node index): p50 30 ms instead of 3 ms on 20 000
    -- issues, for no faster writes (docs/benchmarks.md).
    CREATE INDEX IF NOT EXISTS issues_words ON {schema}.issues USING gin (words)
        WITH (gin_pending_list_limit = 64);
    CREATE INDEX IF NOT EXISTS issues_followers ON {schema}.issues USING gin (followers);
    CREATE INDEX IF NOT EXISTS issues_node ON {schema}.issues (node text_pattern_ops);
    CREATE INDEX IF NOT EXISTS issues_raised ON {schema}.issues (raised_at DESC, id DESC);
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        raised = [(e, p) for e in events if (p := read(e, IssueRaised))]
        if raised:
            await conn.executemany(
                f"INSERT INTO {schema}.issues (id, node, status, category, title, reporter,"
                f" followers, raised_at, updated_at, words) VALUES ($1, $2, 'raised', $3, $4,"
                f" $5, ARRAY[$5], $6, $6, array_to_tsvector($7::text[]))"
                f" ON CONFLICT (id) DO NOTHING",
                [(e.subject, p.node, p.category, p.title, p.reporter, business_time(e),
                  document_tokens(p.title, p.description))
                 for e, p in raised],
            )
        changes = [_change(e) for e in events
                   if e.type.startswith("gongzhi.issue.") and e.type != IssueRaised.TYPE]
        if changes:
            # In event order, one statement; a NULL leaves its column as it was.
            await conn.executemany(
                f"UPDATE {schema}.issues SET status = COALESCE($2, status),"
                f" category = COALESCE($3, category),"
                f" department = CASE WHEN $4 THEN $5 ELSE department END,"
                f" followers = ARRAY(SELECT DISTINCT f FROM unnest(followers || $6::text[]) f),"
                f" words = words || array_to_tsvector($7::text[]),"
                f" updated_at = $8 WHERE id = $1",
                changes,
            )


def _change(e: Envelope) -> tuple:
    p = read(e, IssueClassified, IssueTriaged, IssueAssigned, IssueAbsorbed, IssueProgressNoted,
             IssueResolved)
    assigned = isinstance(p, IssueAssigned)
    text = p.note if isinstance(p, IssueProgressNoted) else \
        p.resolution if isinstance(p, IssueResolved) else None
    return (
        e.subject,
        STATUS_AFTER.get(e.type),
        p.category if isinstance(p, IssueClassified | IssueTriaged) else None,
        assigned,
        p.assignee["id"] if assigned and p.assignee["kind"] == "department" else None,
        p.reporters if isinstance(p, IssueAbsorbed) else [],
        document_tokens(text) if text else [],
        business_time(e),
    )
