"""Rated "unsatisfied" (evaluation) → the issue reopens, or, once it has been reopened as
often as the settings allow, the tier above supervises it instead.

The rating names the round it judged, and an issue only reopens from that round's
resolution, so a second unsatisfied rating of the same round by another follower changes
nothing.
"""

from __future__ import annotations

import logging
from uuid import UUID

from starlette.concurrency import run_in_threadpool

from contracts.evaluation import RatingIssueRated
from services.issues.policies.base import placement
from shared.bus.envelope import Envelope
from shared.errors import NotFound
from shared.reactions import Reacting

log = logging.getLogger("gongzhi.issues.policies")


async def reopen_unsatisfied(r: Reacting, e: Envelope) -> None:
    """An unsatisfied rating reopens the issue, or has the tier above supervise it after the
    last reopening allowed (Issue.reopen_after_rating)."""
    rating = RatingIssueRated.of(e)
    if rating.verdict != "unsatisfied":
        return
    meta = {"actor": rating.actor, "traceparent": e.traceparent}
    where = await placement(r, rating.node)  # the rating names the node
    try:
        await run_in_threadpool(r.app.reopen_after_rating, UUID(rating.issue_id),
                                int(rating.round), e.subject, where, meta)
    except (NotFound, ValueError):
        log.warning("rating %s names unknown issue %s", e.subject, rating.issue_id)
