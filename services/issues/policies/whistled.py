"""Whistle blown for an issue → the issue records it (and its history shows who blew it)."""

from __future__ import annotations

import logging
from uuid import UUID

from starlette.concurrency import run_in_threadpool

from contracts.grid import WhistleBlown
from shared.bus.envelope import Envelope
from shared.errors import NotFound
from shared.reactions import Reacting

log = logging.getLogger("gongzhi.issues.policies")


async def mark_whistled(r: Reacting, e: Envelope) -> None:
    """The issue the whistle names records it (Issue.mark_whistled)."""
    whistle = WhistleBlown.of(e)
    if not whistle.issue_id:
        return
    meta = {"actor": whistle.actor, "traceparent": e.traceparent}
    try:
        await run_in_threadpool(
            r.app.mark_whistled, UUID(whistle.issue_id), e.subject,
            whistle.departments, whistle.node, meta)
    except (NotFound, ValueError):
        # Grid cannot see our issues; a whistle naming one we do not have is noted
        # and passed over rather than retried for ever.
        log.warning("whistle %s names unknown issue %s", e.subject, whistle.issue_id)
