"""Patrol logged with problems to raise → one issue per problem, raised by the worker.

Each issue's idempotency key is `patrol:<patrol id>:<n>`, so an event handed over twice
(a crash between the command and the stored position) finds the issues it already made.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import asyncpg
from starlette.concurrency import run_in_threadpool

from services.issues.application import RaiseIssue
from services.issues.policies.base import IssuesPolicy
from shared.bus.envelope import Envelope

log = logging.getLogger("gongzhi.issues.policies")


class RaisePatrolProblems(IssuesPolicy):
    schema = "issues_policy_patrols"
    streams = ("grid",)

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            if e.type != "gongzhi.patrol.logged.v1":
                continue
            for n, problem in enumerate(e.data["problems"]):
                if not problem.get("raise_issue"):
                    continue
                catalog = await run_in_threadpool(self.issues.catalog)
                if not catalog.is_known(problem["category"]):
                    log.warning("patrol %s problem %d: unknown category %r, not raised",
                                e.subject, n, problem["category"])
                    continue
                cmd = RaiseIssue(node=problem["node"], title=problem["title"],
                                 description=problem.get("description", ""),
                                 category=problem["category"], channel="grid_patrol",
                                 location=None, photos=[], contact=None)
                meta = {"actor": e.data.get("actor"), "traceparent": e.traceparent}
                placement = await self.placement(conn, problem["node"])
                await run_in_threadpool(self.issues.raise_issue, cmd,
                                        reporter=e.data["worker"], meta=meta,
                                        placement=placement,
                                        idempotency_key=f"patrol:{e.subject}:{n}")
