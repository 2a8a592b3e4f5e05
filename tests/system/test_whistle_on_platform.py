"""Seed 002's case on the running platform (`gongzhi up`, four processes, the demo city), in
real time: the whistle gives departments three seconds, the police report in at once,
urban management lets the deadline pass, and the watcher (every half second) marks it."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.utils.platform import gongzhi_up
from tests.utils.wait import eventually_sync

BUILDING = "km.guandu.taihe.heping.g01.y001.b01"


def test_the_whistle_case_on_the_running_platform(tmp_path: Path) -> None:
    with gongzhi_up(tmp_path, GONGZHI_WATCH_SECONDS="0.5") as gz:
        issues, grid = gz.url("issues"), gz.url("grid")
        resident = gz.token("resident", "km.guandu.taihe.heping", "--sub", "r-200")
        community = gz.token("community_staff", "km.guandu.taihe.heping")
        street = gz.token("street_staff", "km.guandu.taihe")
        district = gz.token("district_staff", "km.guandu")
        urban = gz.token("department_staff", "km.guandu", "--department", "km-cgj")
        police = gz.token("department_staff", "km.guandu", "--department", "km-gaj")

        eventually_sync(lambda: httpx.get(f"{issues}/v1/tiers/km.guandu/summary",
                                          headers=district).status_code, lambda c: c == 200)
        issue = httpx.post(f"{issues}/v1/issues", headers=resident, json={
            "node": BUILDING, "title": "楼顶违章搭建",
            "category": "public_affairs.illegal_construction", "channel": "app"}).json()
        base_url = f"{issues}/v1/issues/{issue['id']}"
        assert issue["handling_node"] == "km.guandu.taihe"  # triage: a street matter
        # The community is below the handling tier (docs/access.md): the street takes it on.
        assert httpx.post(f"{base_url}/acknowledge", json={},
                          headers=community).status_code == 403
        assert httpx.post(f"{base_url}/acknowledge", json={}, headers=street).is_success
        r = httpx.post(f"{grid}/v1/whistles", headers=street, json={
            "node": "km.guandu.taihe", "situation": "law_enforcement", "title": "违建执法",
            "departments": ["km-cgj", "km-gaj"], "issue_id": issue["id"],
            "report_within_minutes": 0.05})
        assert r.status_code == 201, r.text
        wid = r.json()["id"]
        assert httpx.post(f"{grid}/v1/whistles/{wid}/report", json={},
                          headers=police).is_success
        supervision = eventually_sync(
            lambda: httpx.get(f"{grid}/v1/nodes/km.guandu/supervision", headers=district).json(),
            lambda s: any(x["whistle_id"] == wid for x in s), timeout=30)
        assert [(x["whistle_id"], x["department"]) for x in supervision] == [(wid, "km-cgj")]
        for who in (urban, police):
            if who is urban:
                assert httpx.post(f"{grid}/v1/whistles/{wid}/report", json={},
                                  headers=who).is_success
            assert httpx.post(f"{grid}/v1/whistles/{wid}/complete", json={"outcome": "ok"},
                              headers=who).is_success
        types = [h["type"].split(".")[2] for h in
                 httpx.get(f"{grid}/v1/whistles/{wid}", headers=street).json()["history"]]
        assert types == ["blown", "department_reported", "overdue", "department_reported",
                         "department_completed", "department_completed", "closed"]
        record = eventually_sync(
            lambda: httpx.get(f"{grid}/v1/nodes/km.guandu.taihe/whistles", headers=street).json(),
            lambda r: r and r[0]["status"] == "closed")
        assert {s["department"] for s in record[0]["summons"]} == {"km-cgj", "km-gaj"}
        board = httpx.get(f"{grid}/v1/departments/km-cgj/board", headers=urban).json()
        assert board["open"] == []
        issue_now = eventually_sync(lambda: httpx.get(base_url, headers=street).json(),
                                    lambda i: i["whistles"] == [wid])
        assert issue_now["handling_node"] == "km.guandu.taihe"
        time.sleep(0.5)
