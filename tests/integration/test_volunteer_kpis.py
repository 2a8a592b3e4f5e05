"""The evaluation service counts volunteer service in a node's month: hours and points
credited there, wishes posted and confirmed, and their rate, which weighs in a score only
when the rules give it a weight (zero by default)."""

from __future__ import annotations

from datetime import timedelta

from services.evaluation.bootstrap import create_app as evaluation_app
from shared.clock import ManualClock
from shared.settings import Settings
from tests.utils.huayin import (
    ELDER,
    HUAYUE,
    P2,
    STAFF,
    STREET,
    T0,
    form_vanguard,
    member,
    ok,
    post_wish,
    register_members,
    volunteers_service,
)
from tests.utils.serve import serve
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

ADMIN = bearer("admin", "wn", sub="admin")
LEADER = bearer("street_staff", STREET, sub="s-yuemiao")


async def test_a_months_report_counts_volunteer_service(settings: Settings) -> None:
    async with volunteers_service(settings) as svc, \
            serve(evaluation_app(settings, clock=ManualClock(T0 + timedelta(days=2)))) as ev:
        api = svc.api
        await register_members(api)
        team = await form_vanguard(api)
        confirmed, waiting = await post_wish(api, "w-1"), await post_wish(api, "w-2")
        ok(await api.post(f"/v1/wishes/{confirmed['id']}/dispatch", headers=STAFF,
                          json={"team_id": team}))
        ok(await api.post(f"/v1/wishes/{confirmed['id']}/claim", headers=member(P2)))
        ok(await api.post(f"/v1/wishes/{confirmed['id']}/fulfil", headers=member(P2),
                          json={"hours": 2}))
        ok(await api.post(f"/v1/wishes/{confirmed['id']}/confirm", headers=ELDER, json={}))
        assert waiting["status"] == "posted"

        report = await eventually(
            lambda: ev.get(f"/v1/tiers/{STREET}/report", params={"month": "2026-11"},
                           headers=LEADER),
            lambda r: r.status_code == 200 and r.json()["figures"]["volunteer_points"] == 20,
            timeout=30)
        figures = report.json()["figures"]
        assert (figures["volunteer_hours"], figures["wishes_posted"],
                figures["wishes_confirmed"], figures["wish_rate"]) == (2, 2, 1, 0.5)
        assert figures["score"] is None  # no issues, and wish_rate weighs 0 by default
        assert {c["node"]: c["volunteer_points"] for c in report.json()["children"]} == {
            HUAYUE: 20, f"{STREET}.other": 0}

        rules = ok(await ev.get("/v1/kpi-rules", headers=ADMIN))["rules"]
        assert rules["node_weights"]["wish_rate"] == 0
        ok(await ev.put("/v1/kpi-rules", headers=ADMIN, json={
            "rules": rules | {"node_weights": rules["node_weights"] | {"wish_rate": 1}},
            "reason": "志愿服务纳入考核"}))
        weighed = ok(await ev.get(f"/v1/tiers/{STREET}/report", params={"month": "2026-11"},
                                  headers=LEADER))
        assert weighed["figures"]["score"] == 50.0
