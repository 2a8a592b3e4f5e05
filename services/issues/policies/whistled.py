"""Whistle blown for an issue → the issue records it (and its history shows who blew it)."""

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


class MarkWhistled(IssuesPolicy):
    schema = "issues_policy_whistled"
    streams = ("grid",)

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            if e.type != "gongzhi.whistle.blown.v1" or not e.data.get("issue_id"):
                continue
            meta = {"actor": e.data.get("actor"), "traceparent": e.traceparent}
            try:
                await run_in_threadpool(
                    self.issues.mark_whistled, UUID(e.data["issue_id"]), e.subject,
                    e.data["departments"], e.data["node"], meta)
            except (NotFound, ValueError):
                # Grid cannot see our issues; a whistle naming one we do not have is noted
                # and passed over rather than retried for ever.
                log.warning("whistle %s names unknown issue %s", e.subject, e.data["issue_id"])
