"""The deadline watcher: marks departments that missed their report-in deadline.

It asks the whistles read model which summons are past due (by the injected clock) and
tells each whistle to mark them. Marking is idempotent in the aggregate and saves conflict
on a race, so any number of replicas may watch at once: each overdue is stored once.
"""

from __future__ import annotations

import asyncpg
from starlette.concurrency import run_in_threadpool

from services.grid.application import GridApplication
from services.grid.projections import WHISTLES

WATCHER = {"actor": {"sub": "gongzhi-deadline-watcher", "role": "system", "name": "到期监督"}}


async def check_once(grid: GridApplication, pool: asyncpg.Pool) -> int:
    """Mark everything overdue as of the clock's now; returns how many were marked."""
    due = await pool.fetch(
        f'SELECT DISTINCT whistle_id FROM "{WHISTLES.schema}".summons '
        f"WHERE reported_at IS NULL AND overdue_at IS NULL AND deadline < $1",
        grid.clock.now())
    marked = 0
    for row in due:
        marked += len(await run_in_threadpool(grid.mark_overdue, row["whistle_id"], WATCHER))
    return marked

