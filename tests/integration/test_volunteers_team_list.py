"""GET /v1/teams: the teams at a node and beneath it, for the console's dispatch (派单) and a
volunteer's own teams; read from the registry read model, within the caller's scope."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.settings import Settings
from tests.utils.huayin import (
    HUAYUE,
    P1,
    P2,
    STAFF,
    STREET,
    ZHHSC,
    Service,
    form_vanguard,
    member,
    ok,
    refused,
    register_members,
    volunteers_service,
)
from tests.utils.tokens import bearer
from tests.utils.wait import eventually


@pytest.fixture
async def svc(settings: Settings) -> AsyncIterator[Service]:
    async with volunteers_service(settings) as s:
        yield s


async def test_teams_are_listed_within_the_callers_scope(svc: Service) -> None:
    api = svc.api
    await register_members(api)
    team = await form_vanguard(api)
    listed = await eventually(lambda: api.get("/v1/teams", headers=STAFF),
                              lambda r: r.json() and r.json()[0]["members"] == 2)
    assert [(t["id"], t["node"], t["kind"], t["leader"], t["mine"]) for t in listed.json()] == [
        (team, ZHHSC, "vanguard", P1, False)]
    # A member finds their own team; a stranger's scope reads the same list, not as theirs.
    assert ok(await api.get("/v1/teams", params={"node": ZHHSC}, headers=member(P2)))[0]["mine"]
    assert not ok(await api.get("/v1/teams", headers=member("p-nobody")))[0]["mine"]
    # Beneath the node only, and within the caller's scope.
    assert ok(await api.get("/v1/teams", params={"node": f"{HUAYUE}.jyc"}, headers=STAFF)) == []
    other = bearer("community_staff", f"{STREET}.other", sub="c-other")
    refused(await api.get("/v1/teams", params={"node": HUAYUE}, headers=other), 403)
    r = await api.get("/v1/teams", params={"node": "not a path"}, headers=STAFF)
    assert r.status_code == 422 and "node" in str(r.json())
