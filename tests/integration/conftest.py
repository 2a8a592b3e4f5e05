from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from services.grid.bootstrap import create_app as grid_app
from services.grid.watcher import check_once
from services.issues.bootstrap import create_app
from services.issues.bootstrap import create_app as issues_app
from shared.clock import ManualClock
from shared.settings import Settings
from tests.utils.city import register_small_city
from tests.utils.serve import serve
from tests.utils.tokens import bearer
from tests.utils.wait import eventually
from tests.utils.whistles import (
    ADMIN,
    COMMUNITY,
    DEPARTMENTS,
    DISTRICT,
    POLICE,
    RESIDENT,
    STREET,
    URBAN,
)

CAST = (RESIDENT, COMMUNITY, STREET, DISTRICT, URBAN, POLICE)


@pytest.fixture
async def issues_api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The issues service in-process on a fresh database holding the small test city."""
    async with issues_on(settings) as client:
        yield client


@pytest.fixture
async def patient_issues_api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The same, with a request deadline far above the default: for tests of many commands
    racing on one aggregate, whose point is that all of them count, on a shared machine
    where a burst may take longer than the default deadline (which has tests of its own)."""
    async with issues_on(settings.model_copy(update={"request_deadline_seconds": 60.0})) as c:
        yield c


@asynccontextmanager
async def issues_on(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    register_small_city(settings.database_url)
    async with serve(create_app(settings)) as client:
        admin = bearer("admin", "km")
        await eventually(
            lambda: client.get("/v1/tiers/km.guandu.guanshang/summary", headers=admin),
            lambda r: r.status_code == 200,
        )
        # Department tokens are vouched for by the departments copy, which may lag the tree.
        await eventually(
            lambda: client.get("/v1/issues", headers=bearer("department_staff", "km.guandu",
                                                            department="km-cgj")),
            lambda r: r.status_code == 200,
        )
        yield client


T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class Platform:
    """The grid and issues services in-process on one database, the grid on a clock the
    test moves; `watch()` runs one pass of the deadline watcher."""

    def __init__(self, grid: httpx.AsyncClient, issues: httpx.AsyncClient | None,
                 clock: ManualClock | None, grid_app: Any) -> None:
        self.grid, self.issues, self.clock, self.grid_app = grid, issues, clock, grid_app

    async def watch(self) -> int:
        state = self.grid_app.state
        return await check_once(state.application, state.pool)


@asynccontextmanager
async def running_platform(settings: Settings) -> AsyncIterator[Platform]:
    register_small_city(settings.database_url)
    clock = ManualClock(T0)
    settings = settings.model_copy(update={"watch_seconds": 3600})  # the test drives it
    grid = grid_app(settings, clock=clock)
    async with serve(grid) as g, serve(issues_app(settings)) as i:
        for d in DEPARTMENTS:
            assert (await g.post("/v1/departments", json=d, headers=ADMIN)).status_code == 201
        await eventually(lambda: i.get("/v1/tiers/km.guandu.taihe/summary", headers=ADMIN),
                         lambda r: r.status_code == 200, timeout=60)
        await eventually(lambda: g.get("/v1/departments", headers=ADMIN),
                         lambda r: len(r.json()) == 3, timeout=60)
        # On Kafka the tree's nodes and the departments arrive over several partitions:
        # wait until both services vouch for the cast's tokens (shared/vouch.py).
        for api in (g, i):
            for who in CAST:
                await eventually(lambda api=api, who=who: api.get("/v1/auth/me", headers=who),
                                 lambda r: r.status_code == 200, timeout=60)
        yield Platform(g, i, clock, grid)


@pytest.fixture
async def platform(settings: Settings) -> AsyncIterator[Platform]:
    """Grid and issues on the embedded transport."""
    async with running_platform(settings) as p:
        yield p


@pytest.fixture
async def kafka_platform(kafka_settings: Settings) -> AsyncIterator[Platform]:
    """Grid and issues on Kafka: each relays its log, every read model and policy consumes
    from the session broker."""
    async with running_platform(kafka_settings) as p:
        yield p
