"""Issues assigned to departments, learnt from the issues service's events (never from its
tables), so a department's board lists what it was given beside the whistles it was summoned
by: where, what, the resolve-by deadline, and whether it is still open.

One row per issue whose latest assignee is a department; a later assignment to anyone else
takes it off that department's board.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from contracts.issues import IssueResolved
from shared.bus.envelope import Envelope, business_time
from shared.projections.projection import Projection

RAISED = "gongzhi.issue.raised.v1"
TRIAGED = "gongzhi.issue.triaged.v1"
ASSIGNED = "gongzhi.issue.assigned.v1"
REOPENED = "gongzhi.issue.reopened.v1"
# The status an issue is in after these public events (gongzhi.issue.* contract).
STATUS_AFTER = {
    "gongzhi.issue.acknowledged.v1": "acknowledged", ASSIGNED: "assigned",
    IssueResolved.TYPE: "resolved", REOPENED: "reopened",
    "gongzhi.issue.closed.v1": "closed", "gongzhi.issue.merged.v1": "merged",
}
OPEN = ("raised", "acknowledged", "assigned", "reopened")


class AssignedIssues(Projection):
    schema = "grid_assigned_issues"
    streams = ("issues",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.issues (
        id uuid PRIMARY KEY,
        node text NOT NULL,
        title text NOT NULL,
        category text NOT NULL,
        status text NOT NULL,
        resolve_by timestamptz,
        department text,
        assigned_at timestamptz
    );
    CREATE INDEX IF NOT EXISTS issues_department ON {schema}.issues (department)
        WHERE department IS NOT NULL;
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            d = e.data
            if e.type == RAISED:
                await conn.execute(
                    f"INSERT INTO {schema}.issues (id, node, title, category, status) "
                    f"VALUES ($1, $2, $3, $4, 'raised') ON CONFLICT (id) DO NOTHING",
                    e.subject, d["node"], d["title"], d["category"])
                continue
            if e.type in (TRIAGED, REOPENED) and d.get("resolve_by"):
                await conn.execute(f"UPDATE {schema}.issues SET resolve_by = $2 WHERE id = $1",
                                   e.subject, datetime.fromisoformat(d["resolve_by"]))
            if e.type == ASSIGNED:
                assignee = d.get("assignee") or {}
                department = assignee.get("id") if assignee.get("kind") == "department" else None
                await conn.execute(
                    f"UPDATE {schema}.issues SET department = $2, assigned_at = $3 "
                    f"WHERE id = $1", e.subject, department, business_time(e))
            if status := STATUS_AFTER.get(e.type):
                await conn.execute(f"UPDATE {schema}.issues SET status = $2 WHERE id = $1",
                                   e.subject, status)


async def open_for(pool: asyncpg.Pool, department: str) -> list[dict[str, Any]]:
    """The department's open assigned issues, the nearest deadline first."""
    rows = await pool.fetch(
        f'SELECT id AS issue_id, node, title, category, status, resolve_by, assigned_at '
        f'FROM "{AssignedIssues.schema}".issues WHERE department = $1 '
        f"AND status = ANY($2::text[]) ORDER BY resolve_by NULLS LAST, id", department,
        list(OPEN))
    return [dict(r) for r in rows]
