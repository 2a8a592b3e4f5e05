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

from contracts import read
from contracts.issues import (
    IssueAcknowledged,
    IssueAssigned,
    IssueClosed,
    IssueMerged,
    IssueRaised,
    IssueReopened,
    IssueResolved,
    IssueTriaged,
)
from shared.bus.envelope import Envelope, business_time
from shared.projections.projection import Projection

# The status an issue is in after these public events (gongzhi.issue.* contract).
STATUS_AFTER = {
    IssueAcknowledged.TYPE: "acknowledged", IssueAssigned.TYPE: "assigned",
    IssueResolved.TYPE: "resolved", IssueReopened.TYPE: "reopened",
    IssueClosed.TYPE: "closed", IssueMerged.TYPE: "merged",
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
            match read(e, IssueRaised, IssueTriaged, IssueReopened, IssueAssigned):
                case IssueRaised() as p:
                    await conn.execute(
                        f"INSERT INTO {schema}.issues (id, node, title, category, status) "
                        f"VALUES ($1, $2, $3, $4, 'raised') ON CONFLICT (id) DO NOTHING",
                        e.subject, p.node, p.title, p.category)
                    continue
                case IssueTriaged(resolve_by=resolve_by) | IssueReopened(
                        resolve_by=resolve_by) if resolve_by:
                    await conn.execute(
                        f"UPDATE {schema}.issues SET resolve_by = $2 WHERE id = $1",
                        e.subject, datetime.fromisoformat(resolve_by))
                case IssueAssigned() as p:
                    await conn.execute(
                        f"UPDATE {schema}.issues SET department = $2, assigned_at = $3 "
                        f"WHERE id = $1", e.subject, (p.departments_concerned() or [None])[0],
                        business_time(e))
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
