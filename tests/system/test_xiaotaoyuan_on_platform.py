"""Seed 004's Xiaotaoyuan case (有一说一) on the running platform: `gongzhi up`, four service
processes, the demo city. Residents of 姜家园102号 raise the back-alley problem (说事); triage
sends it to the community (理事); a council of residents, merchants, urban management and the
police votes under a two-thirds rule (议事); the conclusion is published and assigned, the
work is done and resolved (干事); residents rate it, and one resident's "unsatisfied" reopens
it once (评事) — a second "unsatisfied" goes to the street's supervision instead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from tests.utils.platform import gongzhi_up
from tests.utils.wait import eventually_sync

COMMUNITY_NODE = "nj.gulou.rehenan.xiaotaoyuan"
COMPOUND = "nj.gulou.rehenan.xiaotaoyuan.jjy102"
# The demo's household register (gongzhi/demo/households.json) has xty-n verified for the
# n-th of these: each resident's online ballot counts for their own household only.
HOUSEHOLDS = [f"jjy102-b1-{n}" for n in (101, 102, 201, 202, 301, 302, 401, 402, 501)]


def test_the_xiaotaoyuan_case_on_the_running_platform(tmp_path: Path) -> None:
    with gongzhi_up(tmp_path, GONGZHI_WATCH_SECONDS="0.5") as gz:
        issues, evaluation = gz.url("issues"), gz.url("evaluation")
        residents = [gz.token("resident", COMMUNITY_NODE, "--sub", f"xty-{n}") for n in range(9)]
        community = gz.token("community_staff", COMMUNITY_NODE, "--sub", "xty-staff")
        street = gz.token("street_staff", "nj.gulou.rehenan", "--sub", "rhn-staff")
        eventually_sync(lambda: httpx.get(f"{issues}/v1/tiers/{COMMUNITY_NODE}/summary",
                                          headers=community).status_code, lambda c: c == 200,
                        timeout=60)

        # 说事: two residents raise the same problem; 理事: the catalog sends it to the
        # community, and the duplicate is merged so its reporter follows the first.
        def raise_(who: dict, title: str) -> dict:
            r = httpx.post(f"{issues}/v1/issues", headers=who, json={
                "node": COMPOUND, "title": title, "channel": "app",
                "category": "commerce.lane_occupation",
                "description": "一楼餐饮店占用后巷搭披棚、堆杂物，长巷垃圾遍地、蚊蝇乱飞"})
            assert r.status_code == 201, r.text
            return r.json()

        issue = raise_(residents[0], "后巷被商户占用、垃圾遍地")
        duplicate = raise_(residents[1], "长巷垃圾没人管")
        assert (issue["level"], issue["handling_node"]) == ("community", COMMUNITY_NODE)
        url = f"{issues}/v1/issues/{issue['id']}"
        merged = httpx.post(f"{issues}/v1/issues/{duplicate['id']}/merge", headers=community,
                            json={"into": issue["id"]})
        assert merged.status_code == 200 and merged.json()["followers"] == ["xty-1"]
        assert httpx.post(f"{url}/acknowledge", headers=community,
                          json={"note": "有一说一工作室已受理"}).is_success

        # 议事: the council votes; over two thirds of the households approve the bike shed.
        r = httpx.post(f"{issues}/v1/consultations", headers=community, json={
            "node": COMMUNITY_NODE, "issue_id": issue["id"], "topic": "姜家园102号后巷整治",
            "form": "council", "convenor": {"name": "说事理事会", "role": "convenor"},
            "parties": [{"kind": "resident", "name": "居民代表"},
                        {"kind": "merchant", "name": "一楼八家商户"},
                        {"kind": "department", "name": "城管科"},
                        {"kind": "police", "name": "社区民警"}],
            "proposals": [{"title": "商户拆除后巷违建披棚"}, {"title": "公共区域修建车棚"},
                          {"title": "封堵商户后门"}],
            "eligible_households": HOUSEHOLDS, "rule": "two_thirds_eligible", "quorum": "1/2"})
        assert r.status_code == 201, r.text
        cid = r.json()["id"]
        stuffed = httpx.post(f"{issues}/v1/consultations/{cid}/votes", headers=residents[0],
                             json={"household": HOUSEHOLDS[1], "proposal": "p1",
                                   "choice": "yes"})
        assert stuffed.status_code == 403 and "not a verified member" in stuffed.text
        for n, household in enumerate(HOUSEHOLDS):
            for proposal, yes_until in (("p1", 9), ("p2", 7), ("p3", 2)):
                r = httpx.post(f"{issues}/v1/consultations/{cid}/votes", headers=residents[n],
                               json={"household": household, "proposal": proposal,
                                     "choice": "yes" if n < yes_until else "no"})
                assert r.status_code == 200, r.text
        closed = httpx.post(f"{issues}/v1/consultations/{cid}/close", headers=community)
        late = httpx.post(f"{issues}/v1/consultations/{cid}/votes", headers=residents[8],
                          json={"household": HOUSEHOLDS[8], "proposal": "p2", "choice": "yes"})
        assert late.status_code == 409 and "clos" in late.json()["detail"]
        tally = closed.json()["tally"]
        assert [tally[p]["passed"] for p in ("p1", "p2", "p3")] == [True, True, False]
        assert (tally["p2"]["yes"], tally["p2"]["yes_needed"]) == (7, 6)
        r = httpx.post(f"{issues}/v1/consultations/{cid}/conclude", headers=community, json={
            "conclusion": "商户同意拆除违建、修建车棚；居民同意维护环境、不再乱扔垃圾",
            "adopted": ["p1", "p2"], "assignments": [
                {"kind": "department", "id": "gl-cgj", "name": "鼓楼区城市管理局",
                 "task": "拆除违建披棚"},
                {"kind": "owners_committee", "id": "ywh-jjy102", "name": "业主委员会",
                 "task": "修建车棚，安装监控和充电桩"}]})
        assert r.status_code == 200, r.text
        notices = eventually_sync(
            lambda: httpx.get(f"{issues}/v1/consultations/notices?node={COMMUNITY_NODE}",
                              headers=residents[4]).json(), lambda n: len(n) == 1)
        assert notices[0]["adopted"] == ["p1", "p2"]  # 公示

        # 干事: progress with a photo, then resolution with evidence.
        assert httpx.get(url, headers=community).json()["assignee"]["id"] == "ywh-jjy102"
        assert httpx.post(f"{url}/progress", headers=community, json={
            "note": "披棚已拆除，车棚开工", "photos": ["https://img.example/xty/1.jpg"]}
        ).is_success

        def resolve(text: str) -> None:
            r = httpx.post(f"{url}/resolve", headers=community,
                           json={"resolution": text,
                                 "evidence": ["https://img.example/xty/after.jpg"]})
            assert r.status_code == 200, r.text

        def rate(who: dict, verdict: str) -> httpx.Response:
            return httpx.post(f"{evaluation}/v1/ratings", headers=who, json={
                "issue_id": issue["id"], "verdict": verdict, "comment": "后巷"})

        def issue_until(check: Callable[[dict], bool]) -> dict:
            return eventually_sync(lambda: httpx.get(url, headers=community).json(), check,
                                   timeout=30)

        resolve("后巷整治完毕，公共车棚建成")
        # 评事: the reporter is satisfied; the merged issue's reporter is not.
        satisfied = eventually_sync(lambda: rate(residents[0], "satisfied"),
                                    lambda r: r.status_code == 201, timeout=30)
        assert satisfied.json()["round"] == 1
        assert rate(residents[0], "satisfied").status_code == 409  # once per resolution
        assert rate(residents[5], "unsatisfied").status_code == 403  # not a reporter
        assert rate(residents[1], "unsatisfied").status_code == 201
        reopened = issue_until(lambda i: i["status"] == "reopened")
        assert (reopened["round"], reopened["reopenings"]) == (2, 1)

        # Resolved again; a second "unsatisfied" does not reopen it: the street supervises.
        resolve("补充保洁，车棚装上监控和充电桩")
        eventually_sync(lambda: rate(residents[1], "unsatisfied"),
                        lambda r: r.status_code == 201, timeout=30)
        supervised = issue_until(lambda i: "unsatisfied:2" in i["supervised"])
        assert supervised["status"] == "resolved" and supervised["reopenings"] == 1
        kinds = [h["type"].split(".")[2] for h in supervised["history"]]
        assert kinds.count("reopened") == 1 and kinds.count("resolved") == 2
        note = next(h for h in supervised["history"]
                    if h["type"] == "gongzhi.issue.supervised.v1")
        assert note["data"]["supervisor"] == "nj.gulou.rehenan"
        board = httpx.get(f"{issues}/v1/issues?node=nj.gulou.rehenan", headers=street).json()
        assert {i["id"] for i in board["items"]} == {issue["id"], duplicate["id"]}
