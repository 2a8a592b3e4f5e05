"""One row per issue, for filtered, paginated lists by subtree, status and category."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from services.issues.domain.issue import STATUS_AFTER
from shared.bus.envelope import Envelope
from shared.projections.projection import Projection

_RAISED = "gongzhi.issue.raised.v1"
_CLASSIFIED = "gongzhi.issue.classified.v1"


class IssueList(Projection):
    schema = "issues_issue_list"
    streams = ("issues",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.issues (
        id uuid PRIMARY KEY,
        node text NOT NULL,
        status text NOT NULL,
        category text NOT NULL,
        channel text NOT NULL,
        title text NOT NULL,
        reporter text NOT NULL,
        assignee jsonb,
        raised_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS issues_node ON {schema}.issues (node text_pattern_ops);
    CREATE INDEX IF NOT EXISTS issues_raised ON {schema}.issues (raised_at DESC, id DESC);
    CREATE INDEX IF NOT EXISTS issues_reporter ON {schema}.issues (reporter);
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        raised = [e for e in events if e.type == _RAISED]
        if raised:
            await conn.executemany(
                f"INSERT INTO {schema}.issues (id, node, status, category, channel, title,"
                f" reporter, raised_at, updated_at) VALUES ($1, $2, 'raised', $3, $4, $5, $6,"
                f" $7::timestamptz, $7::timestamptz) ON CONFLICT (id) DO NOTHING",
                [(e.subject, e.data["node"], e.data["category"], e.data["channel"],
                  e.data["title"], e.data["reporter"], _ts(e.time)) for e in raised],
            )
        # Every later change of the batch in one statement, applied in event order (a
        # NULL column is left as it was).
        changes = [
            (e.subject, STATUS_AFTER.get(e.type), e.data.get("category") if e.type == _CLASSIFIED
             else None, json.dumps(e.data["assignee"], ensure_ascii=False)
             if e.data.get("assignee") else None, _ts(e.time))
            for e in events if e.type == _CLASSIFIED or (e.type in STATUS_AFTER
                                                        and e.type != _RAISED)
        ]
        if changes:
            await conn.executemany(
                f"UPDATE {schema}.issues SET status = COALESCE($2, status),"
                f" category = COALESCE($3, category), assignee = COALESCE($4::jsonb, assignee),"
                f" updated_at = $5::timestamptz WHERE id = $1",
                changes,
            )


def _ts(iso: str) -> datetime:
    return datetime.fromisoformat(iso)
