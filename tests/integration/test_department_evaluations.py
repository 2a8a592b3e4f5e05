"""The street that blew a whistle evaluates the departments it summoned, once the whistle
closed: grid and evaluation in-process on one database, whistles driven over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from uuid import uuid4

import pytest

from contracts.grid import WhistleBlown, WhistleDepartmentCompleted
from services.evaluation.projections import WHISTLES_DONE
from shared.bus.envelope import Envelope
from shared.settings import Settings
from tests.integration.test_ratings import Evaluating, evaluating
from tests.integration.test_refusals import assert_problem
from tests.utils.issue_events import IssueStory, projected
from tests.utils.tokens import bearer
from tests.utils.wait import eventually
from tests.utils.whistles import ADMIN, COMMUNITY, DISTRICT, POLICE, RESIDENT, STREET, URBAN

OTHER_STREET = bearer("street_staff", "km.guandu.guanshang", sub="s-guanshang")
GOOD = {"timeliness": 5, "effectiveness": 4, "attitude": 5}


@pytest.fixture
async def platform(settings: Settings) -> AsyncIterator[Evaluating]:
    async with evaluating(settings, issues=False, grid=True) as p:
        yield p


async def blow(p: Evaluating, *, close: bool) -> str:
    r = await p.grid.post("/v1/whistles", headers=STREET, json={
        "node": "km.guandu.taihe", "situation": "law_enforcement", "title": "和平路违建",
        "departments": ["km-cgj", "km-gaj"]})
    assert r.status_code == 201, r.text
    wid = r.json()["id"]
    for dept in (URBAN, POLICE):
        for step in ("report", "complete"):
            if step == "complete" and not close and dept is POLICE:
                continue
            body = {"outcome": "已处置"} if step == "complete" else {}
            r = await p.grid.post(f"/v1/whistles/{wid}/{step}", json=body, headers=dept)
            assert r.status_code == 200, r.text
    status = "closed" if close else "open"
    await p.holds(f"SELECT status FROM \"{WHISTLES_DONE.schema}\".whistles WHERE id = '{wid}'",
                  lambda s: s == status)
    return wid


async def evaluate(p: Evaluating, wid: str, department: str = "km-cgj", headers: dict = STREET,
                   **over: object):
    body = {"whistle_id": wid, "department": department, **GOOD, "comment": "到场及时"} | over
    return await p.evaluation.post("/v1/department-evaluations", json=body, headers=headers)


async def test_the_street_rates_each_summoned_department_once(platform: Evaluating) -> None:
    wid = await blow(platform, close=True)
    r = await evaluate(platform, wid)
    assert r.status_code == 201, r.text
    assert {k: r.json()[k] for k in ("whistle_id", "department", "node", "timeliness",
                                     "effectiveness", "attitude", "comment")} == {
        "whistle_id": wid, "department": "km-cgj", "node": "km.guandu.taihe", **GOOD,
        "comment": "到场及时"}
    r = await evaluate(platform, wid, "km-gaj", headers=ADMIN,
                       timeliness=3, effectiveness=3, attitude=4)
    assert r.status_code == 201, r.text

    before = platform.events()
    assert_problem(await evaluate(platform, wid), 409, "km-cgj was already evaluated")
    assert platform.events() == before

    got = await _eventually_listed(platform, "km-cgj", URBAN, 1)
    assert got["means"] == {"timeliness": 5.0, "effectiveness": 4.0, "attitude": 5.0}
    assert got["evaluations"][0]["whistle_id"] == wid
    # The street sees the evaluations made within its scope; another street sees none.
    await _eventually_listed(platform, "km-gaj", STREET, 1)
    other = await platform.evaluation.get("/v1/departments/km-gaj/evaluations",
                                          headers=OTHER_STREET)
    assert other.status_code == 200 and other.json()["count"] == 0


async def _eventually_listed(p: Evaluating, code: str, headers: dict, count: int) -> dict:
    r = await eventually(lambda: p.evaluation.get(f"/v1/departments/{code}/evaluations",
                                                  headers=headers),
                         lambda r: r.status_code == 200 and r.json()["count"] == count)
    return r.json()


async def test_refusals_say_why_and_write_nothing(platform: Evaluating) -> None:
    open_wid = await blow(platform, close=False)
    before = platform.events()
    assert_problem(await evaluate(platform, open_wid), 409, "still open")
    closed_wid = await blow(platform, close=True)
    assert_problem(await evaluate(platform, closed_wid, "km-minhang-only"), 409,
                   "not summoned")
    assert_problem(await evaluate(platform, closed_wid, timeliness=6), 422, "timeliness")
    assert_problem(await evaluate(platform, closed_wid, attitude="5"), 422, "attitude")
    assert_problem(await evaluate(platform, closed_wid, stars=5), 422, "stars")
    assert_problem(await evaluate(platform, "00000000-0000-0000-0000-000000000000"), 404,
                   "no whistle")
    assert_problem(await evaluate(platform, closed_wid, headers=COMMUNITY), 403,
                   "outside that scope")  # the community did not blow it: the street did
    assert_problem(await evaluate(platform, closed_wid, headers=OTHER_STREET), 403,
                   "outside that scope")
    assert_problem(await evaluate(platform, closed_wid, headers=DISTRICT), 403,
                   "the street or community that blew the whistle")
    assert_problem(await evaluate(platform, closed_wid, headers=URBAN), 403, "department_staff")
    assert_problem(await evaluate(platform, str(uuid4()), headers=RESIDENT), 403, "resident")
    assert platform.events() == before

    path = "/v1/departments/km-cgj/evaluations"
    assert_problem(await platform.evaluation.get(path, headers=POLICE), 403, "its own staff")
    assert_problem(await platform.evaluation.get(path, headers=RESIDENT), 403, "resident")


async def test_whistle_events_handed_over_twice_count_once(settings: Settings) -> None:
    story = IssueStory("km.guandu.taihe", "t", "s")  # its numbering; the types are grid's
    blown = _as(story.event("x", node="km.guandu.taihe", situation="law_enforcement",
                            title="t", issue_id=None, departments=["a", "b"],
                            summons={"a": "2026-11-01T10:00:00+00:00",
                                     "b": "2026-11-01T10:00:00+00:00"}, mode="daily"),
                WhistleBlown.TYPE)
    completed = _as(story.event("x", department="a", outcome="done"),
                    WhistleDepartmentCompleted.TYPE)
    async with projected(settings.database_url, WHISTLES_DONE) as (conn, apply):
        for _ in range(2):
            await apply([blown, completed])
        row = await conn.fetchrow(f'SELECT * FROM "{WHISTLES_DONE.schema}".whistles')
        assert (row["completed"], row["status"]) == (["a"], "open")


def _as(e: Envelope, type_: str) -> Envelope:
    return replace(e, type=type_, source="/gongzhi/grid")
