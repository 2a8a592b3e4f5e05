"""一个中心 三方共治 over HTTP on grid: party organisations on tier nodes with their
secretaries' time in office, a compound's owners' committee and property company with their
terms, the compound page, refusals that write nothing, and the demo compound."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from gongzhi.demo.seed import seed
from services.grid.bootstrap import create_app
from shared.clock import ManualClock
from shared.settings import Settings
from tests.conftest import DATA_KEY
from tests.utils.huayin import HUAYUE, STREET, T0, ZHHSC, ok, refused, register_huayin
from tests.utils.serve import serve
from tests.utils.store import count_events
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

STAFF = bearer("community_staff", HUAYUE, sub="c-1")
STREET_STAFF = bearer("street_staff", STREET, sub="s-1")
RESIDENT = bearer("resident", HUAYUE, sub="r-1")
OTHER = bearer("community_staff", f"{STREET}.other", sub="c-2")


@pytest.fixture
async def grid(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, ManualClock]]:
    register_huayin(settings.database_url)
    clock = ManualClock(T0)
    async with serve(create_app(settings, clock=clock)) as api:
        yield api, clock


async def page(api: httpx.AsyncClient, node: str = ZHHSC) -> dict:
    return ok(await api.get(f"/v1/nodes/{node}/co-governance", headers=RESIDENT))


async def test_one_centre_three_parties(grid: tuple[httpx.AsyncClient, ManualClock]) -> None:
    api, clock = grid
    for node, kind, name, secretary, who in (
        (STREET, "street_working_committee", "岳庙街道党工委", "党晓红", STREET_STAFF),
        (HUAYUE, "community_committee", "华岳社区党委", "杨晓燕", STREET_STAFF),
        (ZHHSC, "compound_branch", "中海华山城小区党支部", "白玉琴", STAFF),
        (f"{ZHHSC}.b01", "building_group", "1号楼党小组", "王秀珍", STAFF),
    ):
        ok(await api.post("/v1/party-organisations", headers=who, json={
            "node": node, "kind": kind, "name": name, "secretary": {"name": secretary}}), 201)
    ok(await api.post("/v1/co-governance", headers=STAFF, json={
        "node": ZHHSC, "kind": "owners_committee", "name": "业主委员会",
        "term_from": "2023-06-01", "term_to": "2028-05-31", "contact": "李卫东"}), 201)
    ok(await api.post("/v1/co-governance", headers=STAFF, json={
        "node": ZHHSC, "kind": "property_company", "name": "中海物业",
        "term_from": "2024-01-01", "term_to": "2026-12-31"}), 201)

    clock.advance(timedelta(days=90))
    ok(await api.post(f"/v1/party-organisations/{ZHHSC}/compound_branch/secretary",
                      headers=STAFF, json={"secretary": {"name": "王秀珍", "person": "p-hy-wang"},
                                           "reason": "支部换届"}))
    renewed = ok(await api.post(f"/v1/co-governance/{ZHHSC}/property_company/renew",
                                headers=STAFF, json={
                                    "name": "华山物业", "term_from": "2027-01-01",
                                    "term_to": "2029-12-31", "reason": "业主大会选聘新物业"}))
    assert [h["type"] for h in (await api.get(
        f"/v1/co-governance/{ZHHSC}/property_company", headers=RESIDENT)).json()["history"]] == [
        "gongzhi.co_governance_body.formed.v1", "gongzhi.co_governance_body.renewed.v1"]
    assert renewed["name"] == "华山物业"

    got = await eventually(lambda: page(api), lambda p: p["property_company"] is not None
                           and p["property_company"]["name"] == "华山物业"
                           and p["centre"]["secretary"]["name"] == "王秀珍")
    assert got["owners_committee"] == {"name": "业主委员会", "term_from": "2023-06-01",
                                       "term_to": "2028-05-31", "contact": "李卫东"}
    assert [o["kind"] for o in got["above"]] == ["street_working_committee",
                                                 "community_committee"]
    assert [o["kind"] for o in got["beneath"]] == ["building_group"]
    branch = ok(await api.get(f"/v1/party-organisations/{ZHHSC}/compound_branch",
                              headers=RESIDENT))
    assert [(s["name"], s["until"] is None) for s in branch["secretaries"]] == [
        ("白玉琴", False), ("王秀珍", True)]


async def test_refusals_write_nothing(grid: tuple[httpx.AsyncClient, ManualClock],
                                      settings: Settings) -> None:
    api, _ = grid
    ok(await api.post("/v1/party-organisations", headers=STAFF, json={
        "node": ZHHSC, "kind": "compound_branch", "name": "支部", "secretary": {"name": "白"}}),
       201)
    before = count_events(settings.database_url, "grid")
    cases = [
        ("/v1/party-organisations", STAFF, {"node": HUAYUE, "kind": "compound_branch",
                                            "name": "x", "secretary": {"name": "y"}}, 422,
         "sits at"),
        ("/v1/party-organisations", STAFF, {"node": ZHHSC, "kind": "compound_branch",
                                            "name": "x", "secretary": {"name": "y"}}, 409,
         "already has"),
        ("/v1/party-organisations", RESIDENT, {"node": ZHHSC, "kind": "building_group",
                                               "name": "x", "secretary": {"name": "y"}}, 403,
         "may not"),
        ("/v1/party-organisations", OTHER, {"node": f"{ZHHSC}.b01", "kind": "building_group",
                                            "name": "x", "secretary": {"name": "y"}}, 403,
         "outside that scope"),
        ("/v1/party-organisations", STAFF, {"node": f"{HUAYUE}.nowhere",
                                            "kind": "compound_branch", "name": "x",
                                            "secretary": {"name": "y"}}, 404, "unknown"),
        ("/v1/co-governance", STAFF, {"node": ZHHSC, "kind": "owners_committee", "name": "x",
                                      "term_from": "2025-01-01", "term_to": "2024-01-01"}, 422,
         "term ends"),
        ("/v1/co-governance", STAFF, {"node": ZHHSC, "kind": "owners_committee", "name": "x",
                                      "term_from": "2025-01-01", "term_to": "9999-01-01"}, 422,
         "term_to"),
        ("/v1/co-governance", STAFF, {"node": HUAYUE, "kind": "property_company", "name": "x",
                                      "term_from": "2025-01-01", "term_to": "2026-01-01"}, 422,
         "serves a compound"),
        (f"/v1/co-governance/{ZHHSC}/owners_committee/end", STAFF, {"reason": "r"}, 404,
         "has no"),
        (f"/v1/party-organisations/{ZHHSC}/compound_branch/secretary", STAFF,
         {"secretary": {"name": "白"}, "reason": "r"}, 409, "already the secretary"),
    ]
    for url, headers, body, status, word in cases:
        refused(await api.post(url, headers=headers, json=body), status, word)
        assert count_events(settings.database_url, "grid") == before, url


async def test_the_demo_compound_shows_its_centre_and_parties(settings: Settings) -> None:
    seed(settings.database_url, DATA_KEY)
    async with serve(create_app(settings)) as api:
        got = await eventually(lambda: page(api), lambda p: p["property_company"] is not None,
                               timeout=60)
    assert got["centre"]["name"] == "中海华山城小区党支部"
    assert got["owners_committee"]["name"] == "中海华山城小区业主委员会"
    assert got["property_company"]["name"] == "中海物业管理有限公司华阴分公司"
    assert [o["kind"] for o in got["beneath"]] == ["building_group", "member_household"]
