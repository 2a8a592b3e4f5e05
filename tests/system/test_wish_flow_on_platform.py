"""Seed 001 (华阴) on the running platform: `gongzhi up`, four service processes, the demo
city. An elderly resident of 中海华山城 posts a wish (群众点单); the community dispatches it
to the compound's vanguard team (社区派单); one in-service party member claims it and a second
claim is refused (党员接单); it is fulfilled in two hours and confirmed; the member's points
rise once; a reward is redeemed, an overdraft refused with the balance, points gifted; and
the compound shows its branch, owners' committee and property company (一个中心 三方共治)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from services.volunteers.domain.account import Reward
from services.volunteers.domain.team import Team
from tests.utils.platform import gongzhi_up
from tests.utils.wait import eventually_sync

HUAYUE = "wn.huayin.yuemiao.huayue"
ZHHSC = f"{HUAYUE}.zhhsc"
LIU, ZHAO = "p-hy-liu", "p-hy-zhao"  # the demo's vanguard team: 刘建国 leads, 赵敏 serves


def test_seed_001_wish_flow_on_the_running_platform(tmp_path: Path) -> None:
    with gongzhi_up(tmp_path) as gz:
        volunteers, grid = gz.url("volunteers"), gz.url("grid")
        elder = gz.token("resident", HUAYUE, "--sub", "r-hy-laoli")
        staff = gz.token("community_staff", HUAYUE, "--sub", "u-hy-huayue-c01")
        liu = gz.token("party_member", HUAYUE, "--sub", LIU)
        zhao = gz.token("party_member", HUAYUE, "--sub", ZHAO)

        def post(url: str, who: dict, body: dict | None = None, status: int = 200) -> dict:
            r = httpx.post(f"{volunteers}{url}", headers=who, json=body or {})
            assert r.status_code == status, r.text
            return r.json()

        def balance(person: str, who: dict) -> int | None:
            r = httpx.get(f"{volunteers}/v1/accounts/{person}/statement", headers=who)
            return r.json()["balance"] if r.status_code == 200 else None

        # The demo's confirmed wish has already earned 赵敏 her points: the policy ran.
        eventually_sync(lambda: balance(ZHAO, zhao), lambda b: b == 20, timeout=60)

        wish = post("/v1/wishes", elder, {
            "node": f"{ZHHSC}.b01.u1", "kind": "errand", "text": "腿脚不便,想请人帮忙取药",
            "wanted_by": (datetime.now(UTC) + timedelta(days=2)).isoformat()}, 201)
        url = f"/v1/wishes/{wish['id']}"
        post(f"{url}/dispatch", staff, {"team_id": str(Team.id_for(ZHHSC, "vanguard"))})
        assert post(f"{url}/claim", liu)["claimer"] == LIU
        refused = httpx.post(f"{volunteers}{url}/claim", headers=zhao)
        assert refused.status_code == 409 and "already claimed" in refused.text
        post(f"{url}/fulfil", liu, {"hours": 2, "note": "药已送到"})
        post(f"{url}/confirm", elder, {"note": "谢谢刘书记"})
        assert httpx.post(f"{volunteers}{url}/confirm", headers=elder,
                          json={}).status_code == 409
        assert eventually_sync(lambda: balance(LIU, liu), lambda b: b == 20,
                               timeout=30) == 20

        haircut, rice = (str(Reward.id_for(HUAYUE, code)) for code in ("haircut", "rice-5kg"))
        key = {"Idempotency-Key": "liu-haircut-1"}
        assert post(f"/v1/accounts/{LIU}/redemptions", liu | key,
                    {"reward_id": haircut}, 201)["balance"] == 10
        assert post(f"/v1/accounts/{LIU}/redemptions", liu | key,
                    {"reward_id": haircut})["balance"] == 10  # the retry redeems nothing
        over = httpx.post(f"{volunteers}/v1/accounts/{LIU}/redemptions", headers=liu,
                          json={"reward_id": rice})
        assert over.status_code == 409 and "is 10 points" in over.json()["detail"]
        post(f"/v1/accounts/{LIU}/gifts", liu, {"to": ZHAO, "points": 5}, 201)
        statement = eventually_sync(
            lambda: httpx.get(f"{volunteers}/v1/accounts/{LIU}/statement", headers=liu).json(),
            lambda s: s["balance"] == 5)
        assert [e["kind"] for e in statement["entries"]] == ["gift_sent", "redemption", "credit"]
        received = eventually_sync(
            lambda: httpx.get(f"{volunteers}/v1/accounts/{ZHAO}/statement",
                              headers=zhao).json(),
            lambda s: s["balance"] == 25)
        assert received["entries"][0]["counterpart"] == LIU

        page = httpx.get(f"{grid}/v1/nodes/{ZHHSC}/co-governance", headers=elder).json()
        assert (page["centre"]["name"], page["owners_committee"]["name"],
                page["property_company"]["name"]) == (
            "中海华山城小区党支部", "中海华山城小区业主委员会", "中海物业管理有限公司华阴分公司")
