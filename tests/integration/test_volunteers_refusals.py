"""Every refusal of the volunteers service is a 4xx problem with its reason, and writes
nothing; the watcher flags an unclaimed wish once; attendance and team issues earn points
once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from services.volunteers.reactions import TEAM_ISSUES
from services.volunteers.watcher import check_once
from shared.bus.envelope import Envelope
from shared.settings import Settings
from tests.utils.huayin import (
    ADMIN,
    ELDER,
    HUAYUE,
    JYC,
    STAFF,
    T0,
    UNIT,
    ZHHSC,
    Service,
    member,
    volunteers_service,
)
from tests.utils.reactions import react
from tests.utils.store import count_events, stored_events
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

P1, P2, P3 = "p-1", "p-2", "p-3"
OTHER_STAFF = bearer("community_staff", "wn.huayin.yuemiao.other", sub="c-other")
DEPT = bearer("department_staff", "wn.huayin", sub="d-1", department="hy-scjg")


@pytest.fixture
async def svc(settings: Settings) -> AsyncIterator[Service]:
    async with volunteers_service(settings) as s:
        yield s


async def setup_state(svc: Service) -> dict[str, str]:
    api = svc.api
    assert (await api.post("/v1/organisations", headers=STAFF, json={
        "code": "hy-tax", "name": "税务局", "node": HUAYUE})).status_code == 201
    for p in (P1, P2, P3):
        assert (await api.post("/v1/volunteers", headers=member(p), json={
            "name": p, "kind": "in_service_party_member", "home": ZHHSC,
            "organisation": "hy-tax"})).status_code == 201
    team = (await api.post("/v1/teams", headers=STAFF, json={
        "node": ZHHSC, "code": "v1", "name": "先锋队", "kind": "vanguard",
        "leader": P1})).json()["id"]
    wish = (await api.post("/v1/wishes", headers=ELDER, json={
        "node": UNIT, "kind": "repair", "text": "修灯", "wanted_by":
        (T0 + timedelta(days=1)).isoformat()})).json()["id"]
    await api.post(f"/v1/wishes/{wish}/dispatch", headers=STAFF, json={"team_id": team})
    opened = (await api.post("/v1/wishes", headers=ELDER, json={
        "node": UNIT, "kind": "errand", "text": "取快递", "wanted_by":
        (T0 + timedelta(days=1)).isoformat()})).json()["id"]
    await api.post(f"/v1/wishes/{opened}/dispatch", headers=STAFF, json={})
    assert (await api.post("/v1/volunteers", headers=OTHER_STAFF, json={
        "person": "p-far", "name": "远", "kind": "resident_volunteer",
        "home": "wn.huayin.yuemiao.other"})).status_code == 201
    reward = (await api.post("/v1/rewards", headers=STAFF, json={
        "node": HUAYUE, "code": "soap", "name": "肥皂", "kind": "goods", "points": 5,
        "stock": 0})).json()["id"]
    await api.post(f"/v1/accounts/{P3}/civic-acts", headers=STAFF,
                   json={"points": 10, "node": ZHHSC, "reason": "捡拾垃圾"})
    pen = (await api.post("/v1/rewards", headers=STAFF, json={
        "node": HUAYUE, "code": "pen", "name": "笔", "kind": "goods", "points": 2,
        "stock": 5})).json()["id"]
    await eventually(lambda: api.get(f"/v1/accounts/{P3}", headers=member(P3)),
                     lambda r: r.status_code == 200)
    assert (await api.post(f"/v1/accounts/{P3}/redemptions", json={"reward_id": pen},
                           headers=member(P3) | {"Idempotency-Key": "k-1"})).status_code == 201
    assert (await api.post("/v1/wishes", headers=ELDER | {"Idempotency-Key": "k-1"}, json={
        "node": UNIT, "kind": "repair", "text": "修门", "wanted_by":
        (T0 + timedelta(days=1)).isoformat()})).status_code == 201
    return {"team": team, "wish": wish, "reward": reward, "opened": opened}


async def test_each_refusal_names_its_reason_and_writes_nothing(svc: Service,
                                                               settings: Settings) -> None:
    ids = await setup_state(svc)
    team, wish, reward = ids["team"], ids["wish"], ids["reward"]
    later = (T0 + timedelta(days=1)).isoformat()
    cases = [
        # registration
        ("post", "/v1/volunteers", member("p-9"), {"name": "x", "kind": "in_service_party_member",
                                                   "home": ZHHSC}, 422, "organisation"),
        ("post", "/v1/volunteers", member("p-9"), {"name": "x", "kind": "courier",
                                                   "home": ZHHSC}, 403, "courier"),
        ("post", "/v1/volunteers", member("p-9"), {"name": "x", "kind": "resident_party_member",
                                                   "home": "wn.huayin"}, 422, "not a community"),
        ("post", "/v1/volunteers", member("p-9"), {"name": "x", "kind": "resident_party_member",
                                                   "home": f"{HUAYUE}.nowhere"}, 422, "unknown"),
        ("post", "/v1/volunteers", member("p-9"), {"name": "x", "kind": "in_service_party_member",
                                                   "home": ZHHSC, "organisation": "nobody"},
         404, "no organisation"),
        ("post", "/v1/volunteers", member(P1), {"name": "x", "kind": "resident_party_member",
                                                "home": ZHHSC}, 409, "already registered"),
        ("post", "/v1/volunteers", member("p-9"), {"person": "p-8", "name": "x",
                                                   "kind": "resident_party_member",
                                                   "home": ZHHSC}, 403, "only for themself"),
        ("post", "/v1/volunteers", OTHER_STAFF, {"person": "p-8", "name": "x",
                                                 "kind": "resident_party_member",
                                                 "home": ZHHSC}, 403, "outside that scope"),
        ("post", f"/v1/volunteers/{P1}/move", member(P1), {"home": ZHHSC, "reason": "r"},
         409, "already lives"),
        ("post", "/v1/volunteers/p-none/deregister", STAFF, {"reason": "r"}, 404, "no volunteer"),
        # teams
        ("post", "/v1/teams", member(P1), {"node": ZHHSC, "code": "t2", "name": "t",
                                           "kind": "vanguard", "leader": P1}, 403, "may not"),
        ("post", "/v1/teams", STAFF, {"node": ZHHSC, "code": "t2", "name": "t",
                                      "kind": "vanguard", "leader": "p-none"}, 403, "register"),
        ("post", "/v1/teams", STAFF, {"node": ZHHSC, "code": "v1", "name": "t",
                                      "kind": "vanguard", "leader": P1}, 409, "already exists"),
        ("post", f"/v1/teams/{team}/members", STAFF, {"person": P1}, 409, "already a member"),
        ("post", f"/v1/teams/{team}/members", member(P2), {"person": P3}, 403, "leader"),
        ("post", f"/v1/teams/{team}/members/remove", STAFF, {"person": P1, "reason": "r"},
         409, "leads"),
        # wishes
        ("post", "/v1/wishes", ELDER, {"node": UNIT, "kind": "repair", "text": "x",
                                       "wanted_by": T0.isoformat()}, 422, "wanted_by"),
        ("post", "/v1/wishes", ELDER, {"node": "wn.huayin.yuemiao.other", "kind": "repair",
                                       "text": "x", "wanted_by": later}, 403, "scope"),
        ("post", "/v1/wishes", ELDER, {"node": UNIT, "kind": "flying", "text": "x",
                                       "wanted_by": later}, 422, "kind"),
        ("post", "/v1/wishes", DEPT, {"node": UNIT, "kind": "repair", "text": "x",
                                      "wanted_by": later}, 403, "department"),
        ("post", "/v1/wishes", ELDER, {"node": UNIT, "kind": "repair", "text": "x",
                                       "wanted_by": "9999-12-31T23:00:00+00:00"}, 422, "years"),
        ("post", f"/v1/wishes/{wish}/dispatch", ELDER, {}, 403, "community staff"),
        ("post", f"/v1/wishes/{wish}/dispatch", STAFF, {"team_id": "-" * 36}, 422, "team_id"),
        ("post", f"/v1/wishes/{wish}/dispatch", STAFF,
         {"team_id": "7f0c5b8e-0000-4000-8000-000000000000"}, 404, "no team"),
        ("post", f"/v1/wishes/{wish}/claim", ELDER, None, 403, "party members"),
        ("post", f"/v1/wishes/{wish}/claim", member(P3), None, 403, "not one"),
        ("post", f"/v1/wishes/{wish}/claim", member("p-none"), None, 403, "register"),
        ("post", f"/v1/wishes/{ids['opened']}/claim", bearer("volunteer", "wn.huayin.yuemiao.other",
                                                            sub="p-far"), None, 403,
         "reports to"),
        ("post", f"/v1/wishes/{wish}/fulfil", member(P1), {"hours": 1}, 409, "claimed"),
        ("post", f"/v1/wishes/{wish}/confirm", ELDER, {}, 409, "fulfilled"),
        ("post", f"/v1/wishes/{wish}/withdraw", member(P1), {"reason": "r"}, 409, "posted"),
        ("post", "/v1/wishes/7f0c5b8e-0000-4000-8000-000000000000/claim", member(P1), None,
         404, "no wish"),
        # the time bank
        ("post", f"/v1/accounts/{P3}/redemptions", member(P3), {"reward_id": reward}, 409,
         "out of stock"),
        ("post", f"/v1/accounts/{P2}/redemptions", member(P2), {"reward_id": reward}, 409,
         "balance of p-2 is 0"),
        ("post", f"/v1/accounts/{P3}/redemptions", member(P2), {"reward_id": reward}, 403,
         "holder"),
        ("post", f"/v1/accounts/{P3}/redemptions", member(P3) | {"Idempotency-Key": "k-1"},
         {"reward_id": reward}, 409, "different request"),
        ("post", "/v1/wishes", ELDER | {"Idempotency-Key": "k-1"},
         {"node": UNIT, "kind": "repair", "text": "修窗", "wanted_by": later}, 409,
         "different wish"),
        ("post", f"/v1/accounts/{P3}/gifts", member(P3), {"to": P1, "points": 9}, 409,
         "balance of p-3 is 8"),
        ("post", f"/v1/accounts/{P3}/gifts", member(P3), {"to": P3, "points": 1}, 422,
         "someone else"),
        ("post", f"/v1/accounts/{P3}/gifts", member(P3), {"to": "stranger", "points": 1}, 404,
         "neither"),
        ("post", f"/v1/accounts/{P3}/gifts", member(P3), {"to": P1, "points": 0}, 422, "points"),
        ("post", f"/v1/accounts/{P1}/civic-acts", member(P3), {"points": 5, "node": ZHHSC,
                                                               "reason": "r"}, 403, "staff"),
        ("post", f"/v1/accounts/{P1}/civic-acts", STAFF, {"points": 500, "node": ZHHSC,
                                                          "reason": "r"}, 422, "points"),
        ("post", f"/v1/accounts/{P1}/civic-acts", STAFF, {"points": 5, "node": JYC + ".zz",
                                                          "reason": "r"}, 422, "unknown"),
        ("get", f"/v1/accounts/{P3}/statement", member(P1), None, 403, "only for themself"),
        ("get", f"/v1/tiers/{HUAYUE}/leaderboard?since=9999-01-01T00:00:00Z", member(P1), None,
         422, "since"),
        ("post", "/v1/rewards", STAFF, {"node": HUAYUE, "code": "soap", "name": "x",
                                        "kind": "goods", "points": 5, "stock": 1}, 409,
         "already offered"),
        ("post", f"/v1/rewards/{reward}/restock", STAFF, {"quantity": 0}, 422, "quantity"),
    ]
    await eventually(lambda: svc.api.get(f"/v1/accounts/{P3}/statement", headers=member(P3)),
                     lambda r: r.status_code == 200)
    before = count_events(settings.database_url, "volunteers")
    for method, url, headers, body, status, word in cases:
        kwargs = {"json": body} if body is not None else {}
        r = await svc.api.request(method.upper(), url, headers=headers, **kwargs)
        assert r.status_code == status, (url, body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json"), r.text
        assert word in r.text, (url, body, r.json())
        assert count_events(settings.database_url, "volunteers") == before, (url, body)


async def test_an_unclaimed_wish_is_flagged_once(svc: Service, settings: Settings) -> None:
    api = svc.api
    r = await api.post("/v1/wishes", headers=ELDER, json={
        "node": UNIT, "kind": "companionship", "text": "周末陪我去公园",
        "wanted_by": (T0 + timedelta(hours=6)).isoformat()})
    wish = r.json()["id"]
    state = svc.app.state
    await eventually(lambda: state.pool.fetchval(
        "SELECT count(*) FROM volunteers_board.wishes"), lambda n: n == 1)
    assert await check_once(state.application, state.pool) == 0  # not yet due
    svc.clock.advance(timedelta(hours=7))
    assert await check_once(state.application, state.pool) == 1
    assert await check_once(state.application, state.pool) == 0  # the aggregate says once
    flags = [e for e in stored_events(settings.database_url, "volunteers")
             if e[2] == "gongzhi.wish.flagged_overdue.v1"]
    assert len(flags) == 1 and HUAYUE.encode() in flags[0][3]
    got = (await api.get(f"/v1/wishes/{wish}", headers=STAFF)).json()
    assert got["flagged"] is True and got["status"] == "posted"


async def test_attendance_earns_hours_and_points_once(svc: Service) -> None:
    api = svc.api
    activity = (await api.post("/v1/activities", headers=STAFF, json={
        "node": ZHHSC, "title": "义诊", "starts_at": T0.isoformat(), "hours": 3,
        "slots": 10})).json()["id"]
    for sub in ("r-a", "r-b"):
        r = await api.post(f"/v1/activities/{activity}/signups",
                           headers=bearer("resident", HUAYUE, sub=sub))
        assert r.status_code == 200, r.text
    r = await api.post(f"/v1/activities/{activity}/attendance", headers=STAFF, json={
        "attended": [{"person": "r-a", "hours": 3}, {"person": "r-b", "hours": 1.5}]})
    assert r.status_code == 200, r.text
    again = await api.post(f"/v1/activities/{activity}/attendance", headers=STAFF, json={
        "attended": [{"person": "r-a", "hours": 3}]})
    assert again.status_code == 409 and "already recorded" in again.text
    figures = await eventually(lambda: api.get(f"/v1/tiers/{HUAYUE}/service", headers=ADMIN),
                               lambda r: r.json()["points"] == 45)
    assert figures.json()["hours"] == 4.5


async def test_a_team_issue_resolved_twice_over_credits_once(svc: Service,
                                                            settings: Settings) -> None:
    """An issue assigned to a volunteer team and resolved by a member credits that member;
    the resolved event handed over twice credits nothing more."""
    api = svc.api
    for p in (P1, P2):
        await api.post("/v1/volunteers", headers=member(p), json={
            "name": p, "kind": "resident_party_member", "home": ZHHSC})
    team = (await api.post("/v1/teams", headers=STAFF, json={
        "node": ZHHSC, "code": "rv", "name": "红马甲", "kind": "red_vest",
        "leader": P1})).json()["id"]
    await api.post(f"/v1/teams/{team}/members", headers=STAFF, json={"person": P2})
    issue = "5b0a7f5e-1111-4111-8111-111111111111"

    def envelope(type_: str, seq: int, data: dict) -> Envelope:
        return Envelope(id=f"{issue}/{seq}", source="/gongzhi/issues", type=type_,
                        subject=issue, time=T0.isoformat(), seq=seq, tier=UNIT, data=data)

    assigned = envelope("gongzhi.issue.assigned.v1", 3, {
        "assignee": {"kind": "volunteer_team", "id": team, "name": "红马甲"}, "note": ""})
    resolved = envelope("gongzhi.issue.resolved.v2", 4, {
        "resolution": "", "evidence": [], "round": 1, "reporters": [], "at": T0.isoformat(),
        "actor": {"sub": P2, "role": "party_member", "name": ""}})
    policy = TEAM_ISSUES.bind(svc.app.state.application)
    for batch in ([assigned, resolved], [resolved]):
        await react(settings.database_url, policy, batch, schema="p")
    app = svc.app.state.application
    assert app.get_account(P2).balance == 20
    credits = [e for e in stored_events(settings.database_url, "volunteers")
               if e[2] == "gongzhi.account.credited.v1"]
    assert len(credits) == 1
