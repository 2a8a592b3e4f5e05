"""Rated "unsatisfied" (evaluation) → the issue reopens, or, once it has been reopened as
often as the settings allow, the tier above supervises it instead.

Idempotent: the rating names the round it judged, and an issue only reopens from that
round's resolution, so an event handed over twice (or a second unsatisfied rating of the same
round by another follower) changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from uuid import UUID

import asyncpg
from starlette.concurrency import run_in_threadpool

from services.issues.policies.base import IssuesPolicy
from shared.bus.envelope import Envelope
from shared.errors import NotFound

log = logging.getLogger("gongzhi.issues.policies")
RATED = "gongzhi.rating.issue_rated.v1"


class ReopenUnsatisfied(IssuesPolicy):
    schema = "issues_policy_rated"
    streams = ("evaluation",)

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            if e.type != RATED or e.data.get("verdict") != "unsatisfied":
                continue
            meta = {"actor": e.data.get("actor"), "traceparent": e.traceparent}
            placement = await self.placement(conn, e.data["node"])  # the rating names the node
            try:
                await run_in_threadpool(self.issues.reopen_after_rating, UUID(e.data["issue_id"]),
                                        int(e.data["round"]), e.subject, placement, meta)
            except (NotFound, ValueError):
                log.warning("rating %s names unknown issue %s", e.subject, e.data["issue_id"])
