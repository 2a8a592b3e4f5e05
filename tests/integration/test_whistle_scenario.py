"""Seed 002's case, on the embedded transport: a resident reports illegal construction; the
triage sends it to the street; the street blows a law-enforcement whistle at urban
management and the police; the police report in on time, urban management misses its
deadline and the district supervises; both complete; the whistle closes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from shared.settings import Settings
from tests.integration.conftest import T0, Platform
from tests.utils.store import count_events
from tests.utils.tokens import bearer
from tests.utils.wait import eventually
from tests.utils.whistles import (
    ADMIN,
    COMMUNITY,
    DISTRICT,
    ILLEGAL_BUILDING,
    POLICE,
    RESIDENT,
    STREET,
    URBAN,
)


async def test_the_illegal_construction_case_end_to_end(platform: Platform) -> None:
    await illegal_construction_case(platform)


async def test_the_illegal_construction_case_on_kafka(kafka_platform: Platform) -> None:
    await illegal_construction_case(kafka_platform)


async def illegal_construction_case(platform: Platform) -> None:
    grid, issues, clock = platform.grid, platform.issues, platform.clock
    issue = (await issues.post("/v1/issues", json=ILLEGAL_BUILDING, headers=RESIDENT)).json()
    base = f"/v1/issues/{issue['id']}"
    # Triage by the catalog: illegal construction is beyond a community, the street handles it.
    assert issue["handling_node"] == "km.guandu.taihe" and issue["level"] == "street"
    # The community is below the handling tier: it may not take the street's issue on.
    assert (await issues.post(f"{base}/acknowledge", json={}, headers=COMMUNITY)
            ).status_code == 403
    assert (await issues.post(f"{base}/acknowledge", json={}, headers=STREET)).is_success

    r = await grid.post("/v1/whistles", headers=STREET, json={
        "node": "km.guandu.taihe", "situation": "law_enforcement", "title": "和平路2栋楼顶违建",
        "departments": ["km-cgj", "km-gaj"], "issue_id": issue["id"]})
    assert r.status_code == 201, r.text
    whistle = r.json()
    wid = whistle["id"]
    assert whistle["summons"]["km-gaj"]["deadline"] == (T0 + timedelta(hours=2)).isoformat()
    assert whistle["supervisor"] == "km.guandu"

    # The issues service hears of the whistle through its policy.
    got = await eventually(lambda: issues.get(base, headers=STREET),
                           lambda r: r.json()["whistles"] == [wid])
    assert [h["type"] for h in got.json()["history"]][-2:] == [
        "gongzhi.issue.acknowledged.v1", "gongzhi.issue.whistled.v1"]

    # The watcher reads the whistles read model: on Kafka it is a consumer group of its own
    # and may lag the policy above, so wait until it holds the whistle.
    await eventually(lambda: grid.get("/v1/nodes/km.guandu.taihe/whistles", headers=STREET),
                     lambda r: any(w["id"] == wid for w in r.json()))
    clock.advance(timedelta(minutes=40))
    assert (await grid.post(f"/v1/whistles/{wid}/report", json={"note": "民警已到场"},
                            headers=POLICE)).status_code == 200
    clock.advance(timedelta(hours=2))  # urban management's deadline has passed
    assert await platform.watch() == 1
    assert await platform.watch() == 0  # once only

    board = await eventually(lambda: grid.get("/v1/departments/km-cgj/board", headers=URBAN),
                             lambda r: r.json()["overdue"])
    assert [o["whistle_id"] for o in board.json()["overdue"]] == [wid]
    supervision = (await grid.get("/v1/nodes/km.guandu/supervision", headers=DISTRICT)).json()
    assert [(s["whistle_id"], s["department"]) for s in supervision] == [(wid, "km-cgj")]

    clock.advance(timedelta(minutes=20))
    assert (await grid.post(f"/v1/whistles/{wid}/report", json={}, headers=URBAN)).is_success
    clock.advance(timedelta(hours=3))
    assert (await grid.post(f"/v1/whistles/{wid}/complete", json={"outcome": "已拆除"},
                            headers=URBAN)).is_success
    done = await grid.post(f"/v1/whistles/{wid}/complete", json={"outcome": "已配合执法"},
                           headers=POLICE)
    assert done.json()["status"] == "closed"

    got = (await grid.get(f"/v1/whistles/{wid}", headers=STREET)).json()
    history = got["history"]
    # The whistle itself says who reported in late, and by how long (3 h after a 2 h deadline).
    assert {d: (s["late"], s["late_minutes"]) for d, s in got["summons"].items()} == {
        "km-cgj": (True, 60), "km-gaj": (False, 0)}
    assert [h["type"].split(".")[2] for h in history] == [
        "blown", "department_reported", "overdue", "department_reported",
        "department_completed", "department_completed", "closed"]
    overdue = history[2]
    assert overdue["data"]["department"] == "km-cgj"
    assert overdue["data"]["supervisor"] == "km.guandu"
    late = history[3]["data"]
    assert late["department"] == "km-cgj" and late["late"] is True
    assert history[1]["data"]["late"] is False

    record = await eventually(lambda: grid.get("/v1/nodes/km.guandu.taihe/whistles",
                                               headers=STREET),
                              lambda r: r.json() and r.json()[0]["status"] == "closed")
    summons = {s["department"]: s for s in record.json()[0]["summons"]}
    assert summons["km-gaj"]["reported_at"].startswith("2026-11-23T09:40")
    assert summons["km-cgj"]["overdue_at"] and summons["km-cgj"]["completed_at"]
    for token, code in ((URBAN, "km-cgj"), (POLICE, "km-gaj")):
        b = (await grid.get(f"/v1/departments/{code}/board", headers=token)).json()
        assert b["open"] == []
    stats = (await grid.get("/v1/departments/km-gaj/stats", headers=DISTRICT)).json()
    assert stats["on_time_rate"] == 1.0 and stats["report_minutes"] == pytest.approx(40)


async def test_two_watchers_racing_mark_each_overdue_once(platform: Platform,
                                                          settings: Settings) -> None:
    r = await platform.grid.post("/v1/whistles", headers=STREET, json={
        "node": "km.guandu.taihe", "situation": "emergency", "title": "燃气泄漏",
        "departments": ["km-cgj", "km-gaj"]})
    wid = r.json()["id"]
    await eventually(lambda: platform.grid.get("/v1/nodes/km.guandu.taihe/whistles",
                                               headers=STREET), lambda r: len(r.json()) == 1)
    platform.clock.advance(timedelta(minutes=31))
    marked = await asyncio.gather(*(platform.watch() for _ in range(4)))
    assert sum(marked) == 2  # two departments, each marked by exactly one watcher
    history = (await platform.grid.get(f"/v1/whistles/{wid}", headers=STREET)).json()["history"]
    assert sorted(h["data"]["department"] for h in history
                  if h["type"] == "gongzhi.whistle.overdue.v1") == ["km-cgj", "km-gaj"]


async def test_emergency_mode_shortens_deadlines_beneath_it(platform: Platform) -> None:
    r = await platform.grid.post("/v1/nodes/km.guandu/mode", headers=DISTRICT,
                                 json={"mode": "emergency", "reason": "暴雨红色预警"})
    assert r.json() == {"node": "km.guandu", "mode": "emergency", "set_at": "km.guandu"}
    r = await platform.grid.post("/v1/whistles", headers=STREET, json={
        "node": "km.guandu.taihe", "situation": "law_enforcement", "title": "x",
        "departments": ["km-gaj"]})
    assert r.json()["mode"] == "emergency"
    assert r.json()["summons"]["km-gaj"]["deadline"] == (T0 + timedelta(hours=1)).isoformat()
    summary = await eventually(
        lambda: platform.issues.get("/v1/tiers/km.guandu.taihe.heping/summary", headers=ADMIN),
        lambda r: r.json()["node"].get("mode") == "emergency")
    assert summary.json()["node"]["mode_set_at"] == "km.guandu"


@pytest.mark.parametrize(("who", "body", "status", "words"), [
    (bearer("street_staff", "km.guandu.guanshang"), {}, 403, "outside that scope"),
    (bearer("grid_worker", "km.guandu.taihe"), {}, 403, "may not blow a whistle"),
    (STREET, {"situation": "routine"}, 422, "situation"),
    (STREET, {"departments": ["km-minhang-only"]}, 422, "no jurisdiction"),
    (STREET, {"departments": ["km-nobody"]}, 404, "unknown department"),
    (STREET, {"departments": ["km-gaj", "km-gaj"]}, 422, "summoned twice"),
    (STREET, {"node": "km.guandu.taihe.nowhere"}, 404, "unknown tier node"),
])
async def test_refused_whistles_say_why_and_write_nothing(
    platform: Platform, settings: Settings, who: dict, body: dict, status: int, words: str
) -> None:
    before = count_events(settings.database_url, "grid")
    r = await platform.grid.post("/v1/whistles", headers=who, json={
        "node": "km.guandu.taihe", "situation": "law_enforcement", "title": "t",
        "departments": ["km-gaj"], **body})
    assert r.status_code == status, r.text
    assert words in r.text
    assert count_events(settings.database_url, "grid") == before


async def test_departments_act_only_on_their_own_summons(platform: Platform,
                                                         settings: Settings) -> None:
    wid = (await platform.grid.post("/v1/whistles", headers=STREET, json={
        "node": "km.guandu.taihe", "situation": "key_task", "title": "创文检查",
        "departments": ["km-gaj"]})).json()["id"]
    before = count_events(settings.database_url, "grid")
    r = await platform.grid.post(f"/v1/whistles/{wid}/report", json={}, headers=URBAN)
    assert r.status_code == 403 and "not summoned" in r.text
    r = await platform.grid.post(f"/v1/whistles/{wid}/complete", json={"outcome": "x"},
                                 headers=POLICE)
    assert r.status_code == 409 and "report in before completing" in r.text
    assert count_events(settings.database_url, "grid") == before
    assert (await platform.grid.post(f"/v1/whistles/{wid}/report", json={},
                                     headers=POLICE)).is_success
    r = await platform.grid.post(f"/v1/whistles/{wid}/report", json={}, headers=POLICE)
    assert r.status_code == 409 and "already reported" in r.text
    r = await platform.grid.get(f"/v1/whistles/{wid}", headers=URBAN)
    assert r.status_code == 403


async def test_a_patrol_raises_its_problems_as_issues_once(platform: Platform) -> None:
    worker = bearer("grid_worker", "km.guandu.taihe.heping.g03", sub="w-g03")
    r = await platform.grid.post("/v1/patrols", headers=worker, json={
        "node": "km.guandu.taihe.heping.g03", "households_visited": 46, "problems": [
            {"title": "消防通道被占", "category": "safety.fire_passage", "raise_issue": True,
             "node": "km.guandu.taihe.heping.g03.y017"},
            {"title": "楼道灯坏", "category": "public_affairs", "raise_issue": False},
            {"title": "电瓶车楼道充电", "category": "safety.ebike_charging", "raise_issue": True},
        ]})
    assert r.status_code == 201 and r.json()["issues_to_raise"] == 2
    mine = await eventually(
        lambda: platform.issues.get("/v1/issues", headers=COMMUNITY,
                                    params={"node": "km.guandu.taihe.heping.g03"}),
        lambda r: len(r.json()["items"]) == 2)
    items = mine.json()["items"]
    assert {i["channel"] for i in items} == {"grid_patrol"}
    assert {i["title"] for i in items} == {"消防通道被占", "电瓶车楼道充电"}
    one = (await platform.issues.get(f"/v1/issues/{items[0]['id']}", headers=COMMUNITY)).json()
    assert one["reporter"] == "w-g03"
    r = await platform.grid.post("/v1/patrols", headers=bearer("street_staff", "km.guandu.taihe"),
                                 json={"node": "km.guandu.taihe", "households_visited": 1})
    assert r.status_code == 403 and "does not patrol" in r.text


async def test_a_retried_blow_finds_its_whistle_and_a_reused_key_is_refused(
    platform: Platform, settings: Settings
) -> None:
    body = {"node": "km.guandu.taihe", "situation": "key_task", "title": "创文",
            "departments": ["km-gaj"]}
    key = STREET | {"Idempotency-Key": "s-taihe-2026-11-23-1"}
    first = await platform.grid.post("/v1/whistles", json=body, headers=key)
    again = await platform.grid.post("/v1/whistles", json=body, headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    before = count_events(settings.database_url, "grid")
    other = await platform.grid.post("/v1/whistles", json=body | {"title": "别的"}, headers=key)
    assert other.status_code == 409 and "Idempotency-Key" in other.text
    assert count_events(settings.database_url, "grid") == before
    listed = await platform.grid.get("/v1/departments", params={"node": "km.guandu.taihe.heping"},
                                     headers=ADMIN)
    assert {d["code"] for d in listed.json()} == {"km-cgj", "km-gaj"}
