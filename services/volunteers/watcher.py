"""The wishes' watcher: a wish still unclaimed when the date it was wanted by has passed is
flagged to its community, once, by the injected clock.

It asks the board which wishes look overdue and tells each wish to flag itself: the
aggregate decides, once, so replicas racing each other, or a board a little behind, never
store a flag twice.
"""

from __future__ import annotations

import asyncpg
from starlette.concurrency import run_in_threadpool

from services.volunteers.application import VolunteersApplication
from services.volunteers.projections import BOARD

WATCHER = {"actor": {"sub": "gongzhi-wish-watcher", "role": "system", "name": "心愿到期提醒"}}


async def check_once(volunteers: VolunteersApplication, pool: asyncpg.Pool) -> int:
    """Flag every wish unclaimed past its date as of the clock's now; returns how many."""
    due = await pool.fetch(
        f'SELECT id FROM "{BOARD.schema}".wishes WHERE status IN '
        f"('posted', 'dispatched', 'open') AND flagged_at IS NULL AND wanted_by < $1",
        volunteers.clock.now())
    flagged = 0
    for row in due:
        flagged += await run_in_threadpool(volunteers.flag_overdue_wish, row["id"], WATCHER)
    return flagged
