"""Seed 001's Huayin (华阴) for volunteer tests: a street, the 华岳 community with two
compounds, registered through grid's Application; and the volunteers service in-process on
a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from services.grid.application import GridApplication, NodeSpec
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
