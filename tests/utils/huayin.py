"""Seed 001's Huayin (华阴) for volunteer tests: a street, the 华岳 community with two
compounds, registered through grid's Application; and the volunteers service in-process on
a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from services.grid.application import DepartmentSpec, GridApplication, NodeSpec
from services.volunteers.bootstrap import create_app
from shared.clock import ManualClock
from shared.eventstore import open_application
from shared.sealing import Sealer
from shared.settings import Settings
from tests.utils.city import SYSTEM
from tests.utils.serve import serve
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

STREET = "wn.huayin.yuemiao"
HUAYUE = f"{STREET}.huayue"
ZHHSC = f"{HUAYUE}.zhhsc"
JYC = f"{HUAYUE}.jyc"
UNIT = f"{ZHHSC}.b01.u1"
HUAYIN = [
    NodeSpec("wn", "city", "渭南市"),
    NodeSpec("wn.huayin", "district", "华阴市"),
    NodeSpec(STREET, "street", "岳庙街道"),
    NodeSpec(HUAYUE, "community", "华岳社区"),
    NodeSpec(ZHHSC, "compound", "中海华山城小区"),
    NodeSpec(f"{ZHHSC}.b01", "building", "1号楼"),
    NodeSpec(UNIT, "unit", "1单元"),
    NodeSpec(JYC, "compound", "金御城小区"),
    NodeSpec(f"{STREET}.other", "community", "另一社区"),
]
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 9:00 in Huayin

STAFF = bearer("community_staff", HUAYUE, sub="u-hy-huayue-c01")
ELDER = bearer("resident", HUAYUE, sub="r-hy-laowang")  # 王大爷, 82, lives in 中海华山城
ADMIN = bearer("admin", "wn", sub="admin-1")


def member(sub: str) -> dict[str, str]:
    return bearer("party_member", HUAYUE, sub=sub)


def register_huayin(database_url: str) -> None:
    from tests.conftest import DATA_KEY

    grid = open_application(GridApplication, database_url, sealer=Sealer(DATA_KEY))
    try:
        grid.register_nodes(HUAYIN, SYSTEM)
        # A department token must name a registered department (docs/access.md).
        grid.register_departments([DepartmentSpec("hy-scjg", "华阴市市场监督管理局", "scjg",
                                                  [], ["wn.huayin"])], SYSTEM)
    finally:
        grid.close()


@dataclass
class Service:
    api: httpx.AsyncClient
    clock: ManualClock
    app: object  # the FastAPI app: its state holds the application and the pool


@asynccontextmanager
async def volunteers_service(settings: Settings) -> AsyncIterator[Service]:
    register_huayin(settings.database_url)
    clock = ManualClock(T0)
    settings = settings.model_copy(update={"watch_seconds": 3600})  # the test drives it
    app = create_app(settings, clock=clock)
    async with serve(app) as api:
        await eventually(lambda: api.get(f"/v1/tiers/{HUAYUE}/registrations", headers=STAFF),
                         lambda r: r.status_code == 200, timeout=60)
        await eventually(lambda: app.state.pool.fetchval(
            'SELECT count(*) FROM "volunteers_tier_tree".nodes'),
            lambda n: n == len(HUAYIN), timeout=60)
        yield Service(api, clock, app)


# -- seed 001's flow, step by step (the in-process and the Kafka tests share them) -------

P1, P2 = "p-hy-li", "p-hy-zhao"  # two in-service party members of the tax bureau


def ok(r: httpx.Response, status: int = 200) -> dict:
    assert r.status_code == status, r.text
    return r.json()


def refused(r: httpx.Response, status: int, *words: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    for word in words:
        assert word in r.json()["detail"], r.json()
    return r.json()


async def register_members(api: httpx.AsyncClient) -> None:
    ok(await api.post("/v1/organisations", headers=STAFF, json={
        "code": "hy-tax", "name": "华阴市税务局", "node": HUAYUE,
        "commitments": ["每月一次政策宣讲", "结对帮扶三户困难家庭"]}), 201)
    for person, name in ((P1, "李建国"), (P2, "赵敏")):
        ok(await api.post("/v1/volunteers", headers=member(person), json={
            "name": name, "kind": "in_service_party_member", "home": ZHHSC,
            "organisation": "hy-tax", "skills": ["水电维修"], "availability": ["sat", "sun"]}),
           201)


async def form_vanguard(api: httpx.AsyncClient) -> str:
    team = ok(await api.post("/v1/teams", headers=STAFF, json={
        "node": ZHHSC, "code": "vanguard-1", "name": "中海华山城党员先锋队", "kind": "vanguard",
        "leader": P1}), 201)
    ok(await api.post(f"/v1/teams/{team['id']}/members", headers=STAFF, json={"person": P2}))
    return team["id"]


async def post_wish(api: httpx.AsyncClient, key: str = "w-1", hours_ahead: int = 48) -> dict:
    return ok(await api.post("/v1/wishes", headers=ELDER | {"Idempotency-Key": key}, json={
        "node": UNIT, "kind": "repair", "text": "厨房水龙头漏水,想请人帮忙换一个",
        "wanted_by": (T0 + timedelta(hours=hours_ahead)).isoformat()}), 201)


async def balance(api: httpx.AsyncClient, person: str) -> int | None:
    r = await api.get(f"/v1/accounts/{person}/statement", headers=member(person))
    return r.json()["balance"] if r.status_code == 200 else None
