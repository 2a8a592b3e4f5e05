"""The life of an issue over HTTP on a real PostgreSQL: the catalog and triage (理事),
deadlines and supervision (督办) on a clock the test moves, merging duplicates, progress notes
(干事). Every illegal step is refused with its reason and writes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from services.grid.application import GridApplication
from services.issues.bootstrap import create_app
from services.issues.watcher import check_once
from shared.clock import ManualClock
from shared.eventstore import open_application
from shared.sealing import Sealer
from shared.settings import Settings
from tests.conftest import DATA_KEY
from tests.integration.conftest import T0
from tests.integration.test_refusals import assert_problem
from tests.utils.city import BUILDING, SYSTEM, register_small_city
from tests.utils.serve import serve
from tests.utils.store import count_events
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

COMMUNITY = bearer("community_staff", "km.guandu.taihe.heping", sub="c-01")
STREET = bearer("street_staff", "km.guandu.taihe", sub="s-01")
CITY = bearer("city_staff", "km", sub="city-01")
COMPOUND = "km.guandu.taihe.heping.g03.y017"


class Life:
    def __init__(self, api: httpx.AsyncClient, app: Any, clock: ManualClock,
                 settings: Settings) -> None:
        self.api, self.app, self.clock, self.settings = api, app, clock, settings

    async def raise_(self, resident: str, node: str = BUILDING,
                     category: str = "environment.back_lane", **extra: Any) -> dict:
        r = await self.api.post("/v1/issues", headers=bearer("resident", "km", sub=resident),
                                json={"node": node, "title": "后巷垃圾堆积", "channel": "app",
                                      "category": category, **extra})
        assert r.status_code == 201, r.text
        return r.json()

    async def do(self, issue: dict, step: str, body: dict, who: dict = COMMUNITY
                 ) -> httpx.Response:
        return await self.api.post(f"/v1/issues/{issue['id']}/{step}", json=body, headers=who)

    async def get(self, issue: dict) -> dict:
        return (await self.api.get(f"/v1/issues/{issue['id']}", headers=COMMUNITY)).json()

    def events(self) -> int:
        return count_events(self.settings.database_url, "issues")

    async def watch(self) -> int:
        return await check_once(self.app.state.application, self.app.state.pool)


@pytest.fixture
async def life(settings: Settings) -> AsyncIterator[Life]:
    register_small_city(settings.database_url)
    clock = ManualClock(T0)
    settings = settings.model_copy(update={"watch_seconds": 3600})  # the test drives it
    app = create_app(settings, clock=clock)
    async with serve(app) as api:
        await eventually(lambda: api.get("/v1/tiers/km.guandu.taihe/summary", headers=CITY),
                         lambda r: r.status_code == 200)
        yield Life(api, app, clock, settings)


async def test_raising_triages_to_the_level_of_the_category(life: Life) -> None:
    small = await life.raise_("r-1", category="environment.littering")  # a building matter
    assert (small["level"], small["handling_node"]) == ("building", BUILDING)
    community = await life.raise_("r-2")
    assert community["handling_node"] == "km.guandu.taihe.heping"
    assert community["ack_by"] == (T0 + timedelta(hours=24)).isoformat()
    assert community["resolve_by"] == (T0 + timedelta(hours=72)).isoformat()
    street = await life.raise_("r-3", category="commerce.unlicensed")
    assert street["handling_node"] == "km.guandu.taihe"


async def test_staff_triage_to_another_level_with_a_reason(life: Life) -> None:
    issue = await life.raise_("r-1", category="environment.littering")
    r = await life.do(issue, "triage", {"level": "community", "reason": "涉及多栋楼"})
    assert r.status_code == 200, r.text
    assert r.json()["handling_node"] == "km.guandu.taihe.heping"
    assert r.json()["ack_by"] == issue["ack_by"]  # the clock still runs from raising
    before = life.events()
    assert_problem(await life.do(issue, "triage", {"level": "province", "reason": "x"}), 422,
                   "level")
    assert_problem(await life.do(issue, "triage", {"level": "street"}), 422, "reason")
    other = bearer("community_staff", "km.guandu.taihe.minhang", sub="c-99")
    assert_problem(await life.do(issue, "triage", {"reason": "x"}, other), 403, "scope")
    assert life.events() == before


async def test_escalation_goes_up_tier_by_tier(life: Life) -> None:
    issue = await life.raise_("r-1")
    before = life.events()
    assert_problem(await life.do(issue, "escalate", {"to": "km.guandu", "reason": "超出职权"}),
                   422, "tier by tier", "km.guandu.taihe")
    assert life.events() == before
    r = await life.do(issue, "escalate", {"reason": "需街道协调城管"})  # to the tier above
    assert r.status_code == 200 and r.json()["handling_node"] == "km.guandu.taihe"


async def test_the_catalog_is_data_with_a_history(life: Life) -> None:
    before = life.events()
    assert (await life.api.get("/v1/categories/history", headers=CITY)).json() == []
    body = {"name": "共享单车乱停", "level": "community", "departments": ["cgj"],
            "ack_hours": 12, "resolve_hours": 48, "reason": "居民反映增多"}
    resident = bearer("resident", "km", sub="r-1")
    assert_problem(await life.api.put("/v1/categories/public_affairs.shared_bikes",
                                      json=body, headers=resident), 403, "catalog")
    assert_problem(await life.api.put("/v1/categories/public_affairs.shared_bikes",
                                      json=body | {"resolve_hours": 6}, headers=CITY),
                   422, "resolve_hours")
    assert_problem(await life.api.put("/v1/categories/bikes.shared", json=body, headers=CITY),
                   422, "top_name")
    assert life.events() == before
    r = await life.api.put("/v1/categories/public_affairs.shared_bikes", json=body, headers=CITY)
    assert r.status_code == 200, r.text
    issue = await life.raise_("r-2", category="public_affairs.shared_bikes")
    assert issue["ack_by"] == (T0 + timedelta(hours=12)).isoformat()
    r = await life.api.post("/v1/categories/public_affairs.shared_bikes/retire",
                            json={"reason": "并入公共区域侵占"}, headers=CITY)
    assert r.status_code == 200
    refused = await life.api.post(
        "/v1/issues", headers=bearer("resident", "km", sub="r-3"),
        json={"node": BUILDING, "title": "x", "channel": "app",
              "category": "public_affairs.shared_bikes"})
    assert_problem(refused, 422, "retired")
    history = (await life.api.get("/v1/categories/history", headers=CITY)).json()
    assert [h["type"] for h in history] == [
        "gongzhi.catalog.seeded.v1", "gongzhi.catalog.item_set.v1",
        "gongzhi.catalog.item_retired.v1"]
    assert history[1]["by"]["sub"] == "city-01" and history[1]["data"]["reason"] == "居民反映增多"
    listed = (await life.api.get("/v1/categories")).json()
    assert len(listed) == 7 and "public_affairs.shared_bikes" not in str(listed)


async def test_each_missed_deadline_is_supervised_once_by_the_tier_above(life: Life) -> None:
    issue = await life.raise_("r-1")
    await eventually(lambda: life.api.get("/v1/issues", headers=COMMUNITY),
                     lambda r: len(r.json()["items"]) == 1)  # the watcher's read model
    life.clock.advance(timedelta(hours=23))
    assert await life.watch() == 0
    life.clock.advance(timedelta(hours=2))  # 25 h: the acknowledgement is late
    assert await eventually(life.watch, lambda n: n == 1) == 1
    got = await eventually(lambda: life.get(issue), lambda g: g["supervised"])
    assert got["supervised"] == ["acknowledge"]
    await eventually(life.watch, lambda n: n == 0)  # once the list knows, it asks no more
    assert (await life.do(issue, "acknowledge", {})).status_code == 200
    life.clock.advance(timedelta(hours=48))  # 73 h: past resolve_by too
    assert await eventually(life.watch, lambda n: n == 1) == 1
    history = (await life.get(issue))["history"]
    supervised = [h for h in history if h["type"] == "gongzhi.issue.supervised.v1"]
    assert [(h["data"]["kind"], h["data"]["supervisor"]) for h in supervised] == [
        ("acknowledge", "km.guandu.taihe"), ("resolve", "km.guandu.taihe")]


async def test_emergency_mode_halves_the_deadlines(life: Life) -> None:
    grid = open_application(GridApplication, life.settings.database_url,
                            sealer=Sealer(DATA_KEY))
    try:
        grid.switch_mode("km.guandu.taihe", "emergency", "防汛", SYSTEM)
    finally:
        grid.close()
    await eventually(lambda: life.api.get("/v1/tiers/km.guandu.taihe.heping/summary",
                                          headers=CITY),
                     lambda r: r.json()["node"]["mode"] == "emergency")
    issue = await life.raise_("r-1")
    assert issue["ack_by"] == (T0 + timedelta(hours=12)).isoformat()
    assert issue["resolve_by"] == (T0 + timedelta(hours=36)).isoformat()


async def test_summaries_show_which_child_is_in_emergency_mode(life: Life) -> None:
    """A district's summary shows each child's mode, and the nodes in emergency beneath a
    child still in daily mode (issue 11: the district could not see it)."""
    grid = open_application(GridApplication, life.settings.database_url,
                            sealer=Sealer(DATA_KEY))
    try:
        grid.switch_mode("km.guandu.taihe.heping", "emergency", "燃气泄漏", SYSTEM)
    finally:
        grid.close()

    def children(r: httpx.Response) -> dict[str, tuple]:
        return {c["path"]: (c["mode"], c["mode_set_at"], c["emergency_below"])
                for c in r.json()["children"]}

    street = await eventually(
        lambda: life.api.get("/v1/tiers/km.guandu.taihe/summary", headers=CITY),
        lambda r: children(r)["km.guandu.taihe.heping"][0] == "emergency")
    assert street.json()["node"]["mode"] == "daily"
    assert children(street) == {
        "km.guandu.taihe.heping": ("emergency", "km.guandu.taihe.heping", []),
        "km.guandu.taihe.minhang": ("daily", None, [])}
    district = await life.api.get("/v1/tiers/km.guandu/summary", headers=CITY)
    assert children(district) == {
        "km.guandu.taihe": ("daily", None, ["km.guandu.taihe.heping"]),
        "km.guandu.guanshang": ("daily", None, [])}

    grid = open_application(GridApplication, life.settings.database_url,
                            sealer=Sealer(DATA_KEY))
    try:
        grid.switch_mode("km.guandu", "emergency", "防汛", SYSTEM)
        grid.switch_mode("km.guandu.taihe.heping", "daily", "险情排除", SYSTEM)
    finally:
        grid.close()
    district = await eventually(
        lambda: life.api.get("/v1/tiers/km.guandu/summary", headers=CITY),
        lambda r: r.json()["node"]["mode"] == "emergency"
        and children(r)["km.guandu.taihe"][2] == [])
    assert children(district) == {
        "km.guandu.taihe": ("emergency", "km.guandu", []),
        "km.guandu.guanshang": ("emergency", "km.guandu", [])}
    street = await life.api.get("/v1/tiers/km.guandu.taihe/summary", headers=CITY)
    assert children(street)["km.guandu.taihe.heping"] == (
        "daily", "km.guandu.taihe.heping", [])


async def test_duplicates_merge_at_the_same_place_and_reporters_follow(life: Life) -> None:
    first = await life.raise_("r-1", contact={"name": "张阿姨", "phone": "13800001111"})
    second = await life.raise_("r-2")
    elsewhere = await life.raise_("r-3", node=COMPOUND)
    before = life.events()
    assert_problem(await life.do(elsewhere, "merge", {"into": first["id"]}), 422,
                   "same place")
    assert_problem(await life.do(first, "merge", {"into": first["id"]}), 422, "itself")
    resident = bearer("resident", "km", sub="r-2")
    assert_problem(await life.do(second, "merge", {"into": first["id"]}, resident), 403)
    assert life.events() == before
    r = await life.do(second, "merge", {"into": first["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["followers"] == ["r-2"]
    assert (await life.get(second))["status"] == "merged"
    assert_problem(await life.do(second, "acknowledge", {}), 409, "merged")
    await life.do(first, "acknowledge", {})
    assert (await life.do(first, "resolve", {"resolution": "已清理"})).status_code == 200
    resolved = [h for h in (await life.get(first))["history"]
                if h["type"] == "gongzhi.issue.resolved.v2"]
    assert resolved[0]["data"]["reporters"] == ["r-1", "r-2"]
    # The follower sees the survivor's outcome, but not the first reporter's contact.
    follower_view = await life.api.get(f"/v1/issues/{first['id']}", headers=resident)
    assert follower_view.status_code == 200
    assert follower_view.json()["status"] == "resolved" and follower_view.json()["contact"] is None
    stranger = bearer("resident", "km", sub="r-9")
    assert_problem(await life.api.get(f"/v1/issues/{first['id']}", headers=stranger), 403)


async def test_progress_notes_and_resolution_need_the_issue_taken_on(life: Life) -> None:
    issue = await life.raise_("r-1")
    before = life.events()
    assert_problem(await life.do(issue, "resolve", {"resolution": "已清理"}), 409,
                   "raised", "acknowledged")
    assert_problem(await life.do(issue, "progress", {"note": "已联系"}), 409, "raised")
    assert_problem(await life.do(issue, "assign", {"assignee": {"kind": "mayor", "id": "x"}}),
                   422, "kind")
    assert life.events() == before
    await life.do(issue, "acknowledge", {})
    r = await life.do(issue, "assign", {"assignee": {"kind": "property_company",
                                                     "id": "wy-01", "name": "物业"}})
    assert r.status_code == 200
    r = await life.do(issue, "progress", {"note": "商户已拆除披棚",
                                          "photos": ["https://img.example/p1.jpg"]})
    assert r.status_code == 200, r.text
    history = (await life.get(issue))["history"]
    note = history[-1]
    assert note["type"] == "gongzhi.issue.progress_noted.v1"
    assert note["data"]["photos"] == ["https://img.example/p1.jpg"]
