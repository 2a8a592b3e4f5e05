"""Wish confirmed → the volunteer who fulfilled it earns its hours' points; activity attended
→ the participant earns theirs. Keys: `wish:<wish id>`, `activity:<activity id>:<person>`."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from starlette.concurrency import run_in_threadpool

from services.volunteers.application import VolunteersApplication
from services.volunteers.domain.rules import points_for_hours
from shared.bus.envelope import Envelope
from shared.projections.projection import Projection

CONFIRMED = "gongzhi.wish.confirmed.v1"
ATTENDED = "gongzhi.activity.attended.v1"
BANK = {"actor": {"sub": "gongzhi-time-bank", "role": "system", "name": "时间银行"}}


class CreditService(Projection):
    schema = "volunteers_policy_service"
    streams = ("volunteers",)
    ddl = ""

    def __init__(self, volunteers: VolunteersApplication) -> None:
        self.volunteers = volunteers

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            d = e.data
            if e.type == CONFIRMED:
                await self._credit(e, person=d["volunteer"], source="wish", source_id=e.subject,
                                   hours=float(d["hours"]), team=d.get("team"),
                                   reason="心愿单服务")
            elif e.type == ATTENDED:
                await self._credit(e, person=d["person"], source="activity",
                                   source_id=f"{e.subject}:{d['person']}",
                                   hours=float(d["hours"]), team=None, reason="参加社区活动")

    async def _credit(self, e: Envelope, *, person: str, source: str, source_id: str,
                      hours: float, team: dict[str, str] | None, reason: str) -> None:
        meta = {**BANK, "traceparent": e.traceparent} if e.traceparent else BANK
        await run_in_threadpool(
            self.volunteers.credit, person=person, source=source, source_id=source_id,
            points=points_for_hours(hours), hours=hours, node=e.tier or "", team=team,
            reason=reason, meta=meta)
