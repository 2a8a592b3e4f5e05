"""A hazard reported by a registered courier or rider (移动探头) → once the issue is resolved,
the time bank credits the reporter PROBE_POINTS.

Couriers raise issues through the issues service like anyone in their scope, on the `probe`
channel (or any channel, signed in as a courier). The resolved event does not name the
reporter, so this policy keeps who reported which issue from the raised events it sees.
Key: `probe_report:<issue id>`: a report counts once, however often it is resolved.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from starlette.concurrency import run_in_threadpool

from services.volunteers.application import VolunteersApplication
from services.volunteers.domain.rules import PROBE_POINTS
from services.volunteers.policies.service import BANK
from shared.bus.envelope import Envelope
from shared.projections.projection import Projection

RAISED = "gongzhi.issue.raised.v1"
RESOLVED = "gongzhi.issue.resolved.v1"


class CreditProbeReports(Projection):
    schema = "volunteers_policy_probes"
    streams = ("issues",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.reports (
        issue_id text PRIMARY KEY,
        reporter text NOT NULL,
        node text NOT NULL
    );
    """

    def __init__(self, volunteers: VolunteersApplication) -> None:
        self.volunteers = volunteers

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            d = e.data
            if e.type == RAISED:
                role = (d.get("actor") or {}).get("role")
                if d.get("channel") == "probe" or role == "courier":
                    await conn.execute(
                        f"INSERT INTO {schema}.reports (issue_id, reporter, node) "
                        f"VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        e.subject, d["reporter"], d["node"])
            elif e.type == RESOLVED:
                report = await conn.fetchrow(
                    f"SELECT reporter, node FROM {schema}.reports WHERE issue_id = $1",
                    e.subject)
                if report:
                    await self._credit(e, report["reporter"], report["node"])

    async def _credit(self, e: Envelope, reporter: str, node: str) -> None:
        courier = await run_in_threadpool(self.volunteers.find_volunteer, reporter)
        if courier is None or courier.kind != "courier":
            return  # a probe report by someone not registered as a courier earns nothing
        meta = {**BANK, "traceparent": e.traceparent} if e.traceparent else BANK
        await run_in_threadpool(
            self.volunteers.credit, person=reporter, source="probe_report",
            source_id=e.subject, points=PROBE_POINTS, hours=0, node=node, team=None,
            reason="移动探头报告隐患已办结", meta=meta)
