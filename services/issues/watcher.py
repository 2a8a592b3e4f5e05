"""The issues' deadline watcher (督办): supervises issues not acknowledged or not resolved in
time, by the injected clock.

It asks the issue list which issues look past due and not yet supervised, and tells each
issue to supervise itself: the aggregate decides, once per deadline (and per round for the
resolve deadline), so replicas racing each other, or a read model a little behind, never
store a supervision twice.
"""

from __future__ import annotations

import asyncpg
from starlette.concurrency import run_in_threadpool

from services.issues.application import IssuesApplication
from services.issues.projections import ISSUE_LIST

WATCHER = {"actor": {"sub": "gongzhi-issue-watcher", "role": "system", "name": "到期督办"}}


async def check_once(issues: IssuesApplication, pool: asyncpg.Pool) -> int:
    """Supervise everything overdue as of the clock's now; returns how many were stored."""
    due = await pool.fetch(
        f'SELECT id FROM "{ISSUE_LIST.schema}".issues '
        f"WHERE (status = 'raised' AND ack_by < $1 AND NOT ack_supervised) "
        f"OR (status IN ('raised', 'acknowledged', 'assigned', 'reopened') "
        f"AND resolve_by < $1 AND resolve_supervised_round IS DISTINCT FROM round)",
        issues.clock.now())
    stored = 0
    for row in due:
        stored += len(await run_in_threadpool(issues.supervise_overdue, row["id"], WATCHER))
    return stored

