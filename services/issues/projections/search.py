"""Keyword search over issues in Chinese: one row per issue with what the filters need and a
tsvector of its title, description, progress notes and resolutions (shared/text_search.py
makes the lexemes: CJK bigrams, no extension needed).

The vector only grows: a note or a resolution adds its lexemes, so an issue stays findable
by every word ever written about it (a reopened issue by its first resolution too).
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from contracts.issues import IssueResolved
from services.issues.domain.issue import STATUS_AFTER
from shared.bus.envelope import Envelope, business_time
from shared.projections.projection import Projection
from shared.text_search import document_tokens

_RAISED = "gongzhi.issue.raised.v1"
_CATEGORY_FROM = ("gongzhi.issue.classified.v1", "gongzhi.issue.triaged.v1")
_ASSIGNED = "gongzhi.issue.assigned.v1"
_ABSORBED = "gongzhi.issue.absorbed.v1"
# The event field whose words become searchable, by type.
_TEXT_OF = {"gongzhi.issue.progress_noted.v1": "note", IssueResolved.TYPE: "resolution"}


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
        raised = [e for e in events if e.type == _RAISED]
        if raised:
            await conn.executemany(
                f"INSERT INTO {schema}.issues (id, node, status, category, title, reporter,"
                f" followers, raised_at, updated_at, words) VALUES ($1, $2, 'raised', $3, $4,"
                f" $5, ARRAY[$5], $6, $6, array_to_tsvector($7::text[]))"
                f" ON CONFLICT (id) DO NOTHING",
                [(e.subject, e.data["node"], e.data["category"], e.data["title"],
                  e.data["reporter"], business_time(e),
                  document_tokens(e.data["title"], e.data.get("description")))
                 for e in raised],
            )
        changes = [_change(e) for e in events
                   if e.type.startswith("gongzhi.issue.") and e.type != _RAISED]
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
    d = e.data
    assignee = d.get("assignee") or {}
    department = assignee.get("id") if assignee.get("kind") == "department" else None
    text_field = _TEXT_OF.get(e.type)
    return (
        e.subject,
        STATUS_AFTER.get(e.type),
        d.get("category") if e.type in _CATEGORY_FROM else None,
        e.type == _ASSIGNED,
        department,
        d.get("reporters", []) if e.type == _ABSORBED else [],
        document_tokens(d.get(text_field)) if text_field else [],
        business_time(e),
    )
