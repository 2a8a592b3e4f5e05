"""Wish confirmed → the volunteer who fulfilled it earns its hours' points; activity attended
→ the participant earns theirs. Keys: `wish:<wish id>`, `activity:<activity id>:<person>`."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from contracts.volunteers import ActivityAttended, WishConfirmed
from services.volunteers.domain.rules import points_for_hours
from shared.bus.envelope import Envelope
from shared.reactions import Reacting

BANK = {"actor": {"sub": "gongzhi-time-bank", "role": "system", "name": "时间银行"}}


def bank_meta(e: Envelope) -> dict:
    """The time bank acts, in the trace of the event it answers."""
    return {**BANK, "traceparent": e.traceparent} if e.traceparent else BANK


async def credit_wish(r: Reacting, e: Envelope) -> None:
    """The volunteer who fulfilled the wish earns its hours' points, once."""
    wish = WishConfirmed.of(e)
    await _credit(r, e, person=wish.volunteer, source="wish", source_id=e.subject,
                  hours=float(wish.hours), team=wish.team, reason="心愿单服务")


async def credit_activity(r: Reacting, e: Envelope) -> None:
    """The participant earns the activity's hours' points, once."""
    attended = ActivityAttended.of(e)
    await _credit(r, e, person=attended.person, source="activity",
                  source_id=f"{e.subject}:{attended.person}", hours=float(attended.hours),
                  team=None, reason="参加社区活动")


async def _credit(r: Reacting, e: Envelope, *, person: str, source: str, source_id: str,
                  hours: float, team: dict[str, str] | None, reason: str) -> None:
    await run_in_threadpool(
        r.app.credit, person=person, source=source, source_id=source_id,
        points=points_for_hours(hours), hours=hours, node=e.tier or "", team=team,
        reason=reason, meta=bank_meta(e))
