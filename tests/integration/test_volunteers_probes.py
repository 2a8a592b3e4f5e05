"""Mobile probes (移动探头): a registered courier reports a hazard on the issues service's
`probe` channel; once it is resolved, the volunteers service credits the courier, once.
Both services in-process on one database, each following the other's log."""

from __future__ import annotations

from services.issues.bootstrap import create_app as issues_app
from services.volunteers.domain.rules import PROBE_POINTS
from shared.settings import Settings
from tests.utils.huayin import HUAYUE, JYC, STAFF, balance, ok, volunteers_service
from tests.utils.serve import serve
from tests.utils.store import stored_events
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

RIDER = "p-hy-rider1"


async def test_a_couriers_hazard_report_earns_points_once_resolved(settings: Settings) -> None:
    rider = bearer("courier", HUAYUE, sub=RIDER)
    async with volunteers_service(settings) as svc, serve(issues_app(settings)) as issues:
        ok(await svc.api.post("/v1/volunteers", headers=rider, json={
            "name": "杜小龙", "kind": "courier", "home": HUAYUE}), 201)
        await eventually(lambda: issues.get(f"/v1/tiers/{HUAYUE}/summary", headers=STAFF),
                         lambda r: r.status_code == 200, timeout=60)
        reports = []
        for title in ("消防通道被电动车堵塞", "井盖松动"):
            reports.append(ok(await issues.post("/v1/issues", headers=rider, json={
                "node": JYC, "title": title, "category": "safety", "channel": "probe"}), 201))
        # A resident's report on the same channel earns nothing: only couriers are probes.
        resident = bearer("resident", HUAYUE, sub="r-hy-1")
        reports.append(ok(await issues.post("/v1/issues", headers=resident, json={
            "node": JYC, "title": "路灯不亮", "category": "safety", "channel": "probe"}), 201))
        for report in (reports[0], reports[2]):
            ok(await issues.post(f"/v1/issues/{report['id']}/acknowledge", headers=STAFF,
                                 json={}))
            ok(await issues.post(f"/v1/issues/{report['id']}/resolve", headers=STAFF,
                                 json={"resolution": "已清理"}))

        assert await eventually(lambda: balance(svc.api, RIDER),
                                lambda b: b == PROBE_POINTS, timeout=30) == PROBE_POINTS
        statement = ok(await svc.api.get(f"/v1/accounts/{RIDER}/statement", headers=rider))
        assert [(e["kind"], e["source"], e["node"]) for e in statement["entries"]] == [
            ("credit", "probe_report", JYC)]
        credits = [e for e in stored_events(settings.database_url, "volunteers")
                   if e[2] == "gongzhi.account.credited.v1"]
        assert len(credits) == 1
