"""Patrol logged with problems to raise → one issue per problem, raised by the worker.

Each issue's idempotency key is `patrol:<patrol id>:<n>`, so a patrol logged twice under
one id (or an event replayed by hand) finds the issues it already made.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool

from contracts.grid import PatrolLogged
from services.issues.application import RaiseIssue
from services.issues.policies.base import placement
from shared.bus.envelope import Envelope
from shared.reactions import Reacting

log = logging.getLogger("gongzhi.issues.policies")


async def raise_patrol_problems(r: Reacting, e: Envelope) -> None:
    """Each problem marked to raise becomes an issue raised by the worker (raise_issue)."""
    patrol = PatrolLogged.of(e)
    for n, problem in enumerate(patrol.problems):
        if not problem.get("raise_issue"):
            continue
        catalog = await run_in_threadpool(r.app.catalog)
        if not catalog.is_known(problem["category"]):
            log.warning("patrol %s problem %d: unknown category %r, not raised",
                        e.subject, n, problem["category"])
            continue
        cmd = RaiseIssue(node=problem["node"], title=problem["title"],
                         description=problem.get("description", ""),
                         category=problem["category"], channel="grid_patrol",
                         location=None, photos=[], contact=None)
        meta = {"actor": patrol.actor, "traceparent": e.traceparent}
        where = await placement(r, problem["node"])
        await run_in_threadpool(r.app.raise_issue, cmd, reporter=patrol.worker, meta=meta,
                                placement=where, idempotency_key=f"patrol:{e.subject}:{n}")
