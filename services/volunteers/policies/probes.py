"""A hazard reported by a registered courier or rider (移动探头) → once the issue is resolved,
the time bank credits the reporter PROBE_POINTS.

Couriers raise issues through the issues service like anyone in their scope, on the `probe`
channel (or any channel, signed in as a courier). The resolved event does not name the
reporter, so this reaction keeps who reported which issue from the raised events it sees.
Key: `probe_report:<issue id>`: a report counts once, however often it is resolved.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from contracts.issues import IssueRaised
from services.volunteers.domain.rules import PROBE_POINTS
from services.volunteers.policies.service import bank_meta
from shared.bus.envelope import Envelope
from shared.reactions import Reacting

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.reports (
    issue_id text PRIMARY KEY,
    reporter text NOT NULL,
    node text NOT NULL
);
"""


async def note_probe_report(r: Reacting, e: Envelope) -> None:
    """An issue raised on the probe channel or by a courier is noted as their report."""
    raised = IssueRaised.of(e)
    role = raised.actor["role"] if raised.actor else None
    if raised.channel == "probe" or role == "courier":
        await r.conn.execute(
            f"INSERT INTO {r.schema}.reports (issue_id, reporter, node) "
            f"VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            e.subject, raised.reporter, raised.node)


async def credit_probe_report(r: Reacting, e: Envelope) -> None:
    """A courier's resolved hazard report earns them points, once."""
    report = await r.conn.fetchrow(
        f"SELECT reporter, node FROM {r.schema}.reports WHERE issue_id = $1", e.subject)
    if not report:
        return
    courier = await run_in_threadpool(r.app.find_volunteer, report["reporter"])
    if courier is None or courier.kind != "courier":
        return  # a probe report by someone not registered as a courier earns nothing
    await run_in_threadpool(
        r.app.credit, person=report["reporter"], source="probe_report",
        source_id=e.subject, points=PROBE_POINTS, hours=0, node=report["node"], team=None,
        reason="移动探头报告隐患已办结", meta=bank_meta(e))
