from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.issues.bootstrap import create_app
from shared.settings import Settings
from tests.utils.city import register_small_city
from tests.utils.serve import serve
from tests.utils.tokens import bearer
from tests.utils.wait import eventually


@pytest.fixture
async def issues_api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The issues service in-process on a fresh database holding the small test city."""
    register_small_city(settings.database_url)
    async with serve(create_app(settings)) as client:
        admin = bearer("admin", "km")
        await eventually(
            lambda: client.get("/v1/tiers/km.guandu.guanshang/summary", headers=admin),
            lambda r: r.status_code == 200,
        )
        yield client
