"""A household register for tests, written through grid's Application, and a wait until the
issues service has learned it from grid's events."""

from __future__ import annotations

import httpx

from services.grid.application import GridApplication
from shared.eventstore import open_application
from shared.sealing import Sealer
from tests.utils.city import SYSTEM
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

UNIT = "km.guandu.taihe.heping.g03.y017.b02.u1"


def register_households(database_url: str, areas: dict[str, str],
                        members: dict[str, list[str]] | None = None, node: str = UNIT) -> None:
    """Households with their floor areas, and residents verified for them."""
    from tests.conftest import DATA_KEY

    grid = open_application(GridApplication, database_url, sealer=Sealer(DATA_KEY))
    try:
        for code, area in areas.items():
            grid.register_household(code, node, area, SYSTEM)
        for code, residents in (members or {}).items():
            for resident in residents:
                grid.link_resident(code, resident, "owner", SYSTEM, verify=True)
    finally:
        grid.close()


async def learned(issues: httpx.AsyncClient, resident: str, households: int,
                  scope: str = "km.guandu.taihe.heping") -> None:
    """Wait until the issues service has `resident` verified for `households` households."""
    who = bearer("resident", scope, sub=resident)
    await eventually(lambda: issues.get("/v1/me/households", headers=who),
                     lambda r: r.status_code == 200
                     and sum(h["verified"] for h in r.json()) == households, timeout=30)
