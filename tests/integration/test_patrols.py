"""Patrols (巡查) read back over HTTP on the real PostgreSQL: by node subtree, by worker, by
time, one by id; who may read them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from services.grid.bootstrap import create_app
from shared.clock import ManualClock
from shared.settings import Settings
from tests.integration.conftest import T0
from tests.integration.test_refusals import assert_problem
from tests.utils.city import register_small_city
from tests.utils.serve import serve
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

HEPING = "km.guandu.taihe.heping"
G03, G04 = f"{HEPING}.g03", f"{HEPING}.g04"
W03 = bearer("grid_worker", G03, sub="w-g03")
W04 = bearer("grid_worker", G04, sub="w-g04")
COMMUNITY = bearer("community_staff", HEPING, sub="c-01")
STREET = bearer("street_staff", "km.guandu.taihe", sub="s-01")


@pytest.fixture
async def grid(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, ManualClock]]:
    register_small_city(settings.database_url)
    clock = ManualClock(T0)
    async with serve(create_app(settings, clock=clock)) as client:
        yield client, clock


async def patrol(api: httpx.AsyncClient, who: dict, node: str, visited: int,
                 problems: list[dict] | None = None) -> dict:
    r = await api.post("/v1/patrols", headers=who, json={
        "node": node, "households_visited": visited, "problems": problems or [],
        "note": f"{visited}户"})
    assert r.status_code == 201, r.text
    return r.json()


async def test_patrols_read_back_by_node_and_by_worker(grid) -> None:
    api, clock = grid
    first = await patrol(api, W03, G03, 46, [
        {"title": "消防通道被占", "category": "safety.fire_passage", "raise_issue": True},
        {"title": "楼道灯坏", "category": "public_affairs"}])
    clock.advance(timedelta(hours=2))
    await patrol(api, W03, f"{G03}.y017", 12)
    clock.advance(timedelta(hours=2))
    await patrol(api, W04, G04, 30)

    everything = await eventually(lambda: api.get("/v1/patrols", headers=COMMUNITY),
                                  lambda r: len(r.json()) == 3)
    assert [(p["worker"], p["households_visited"]) for p in everything.json()] == [
        ("w-g04", 30), ("w-g03", 12), ("w-g03", 46)]  # newest first
    mine = (await api.get("/v1/patrols", headers=W03)).json()  # default: the caller's scope
    assert [p["node"] for p in mine] == [f"{G03}.y017", G03]
    by_worker = await api.get("/v1/patrols", headers=STREET, params={"worker": "w-g04"})
    assert [p["node"] for p in by_worker.json()] == [G04]
    window = await api.get("/v1/patrols", headers=COMMUNITY, params={
        "since": (T0 + timedelta(hours=1)).isoformat(),
        "until": (T0 + timedelta(hours=3)).isoformat()})
    assert [p["households_visited"] for p in window.json()] == [12]

    one = await api.get(f"/v1/patrols/{first['id']}", headers=W03)
    assert one.status_code == 200
    assert (one.json()["issues_raised"], one.json()["at"]) == (1, T0.isoformat())
    assert [p["title"] for p in one.json()["problems"]] == ["消防通道被占", "楼道灯坏"]

    # Out of scope, or not staff: refused with the reason.
    assert_problem(await api.get(f"/v1/patrols/{first['id']}", headers=W04), 403,
                   "may not read patrols")
    assert_problem(await api.get("/v1/patrols", headers=W04, params={"node": G03}), 403,
                   "outside that scope")
    assert_problem(await api.get("/v1/patrols", headers=bearer("resident", HEPING)), 403,
                   "resident may not read patrol records")
    assert_problem(await api.get("/v1/patrols", headers=bearer(
        "department_staff", "km.guandu", department="km-cgj")), 403, "may not read patrol")
    assert_problem(await api.get("/v1/patrols/00000000-0000-0000-0000-000000000000",
                                 headers=COMMUNITY), 404, "no patrol")
    assert_problem(await api.get("/v1/patrols", headers=COMMUNITY, params={
        "since": T0.isoformat(), "until": T0.isoformat()}), 422, "since must be before")
