"""Residents rate resolved issues: the issues and evaluation services in-process on one fresh
database and one manual clock; issues are driven over HTTP, ratings follow from the
evaluation service's own read model of the issues stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from services.evaluation.bootstrap import create_app as evaluation_app
from services.evaluation.projections import DEPARTMENTS as DEPARTMENTS_COPY
from services.evaluation.projections import RESOLUTIONS, TIER_TREE
from services.grid.bootstrap import create_app as grid_app
from services.issues.bootstrap import create_app as issues_app
from shared.bus.envelope import from_stored
from shared.clock import ManualClock
from shared.db import connect
from shared.settings import Settings
from tests.integration.conftest import T0
from tests.integration.test_issues_api import COMMUNITY, RESIDENT, issue_body
from tests.integration.test_refusals import assert_problem
from tests.utils.city import SMALL_CITY, register_small_city
from tests.utils.issue_events import IssueStory, projected
from tests.utils.serve import serve
from tests.utils.store import count_events, stored_events
from tests.utils.tokens import bearer
from tests.utils.wait import eventually
from tests.utils.whistles import DEPARTMENTS

FOLLOWER = bearer("resident", "km.guandu.taihe.heping", sub="r-002")
STRANGER = bearer("resident", "km.guandu.taihe.heping", sub="r-999")
OTHER_COMMUNITY = bearer("community_staff", "km.guandu.taihe.minhang", sub="c-99")
STREET = bearer("street_staff", "km.guandu.taihe", sub="s-01")
ADMIN = bearer("admin", "km", sub="admin")


@dataclass
class Evaluating:
    evaluation: httpx.AsyncClient
    clock: ManualClock
    settings: Settings
    issues: httpx.AsyncClient | None = None
    grid: httpx.AsyncClient | None = None

    def events(self) -> int:
        return count_events(self.settings.database_url, "evaluation")

    async def holds(self, sql: str, until: Any) -> None:
        """Wait until a query on one of the evaluation service's read models satisfies
        `until` (for what no route of the evaluation service shows)."""
        async def probe() -> Any:
            conn = await connect(self.settings.database_url, "test")
            try:
                return await conn.fetchval(sql)
            finally:
                await conn.close()
        await eventually(probe, until, timeout=30)


@asynccontextmanager
async def evaluating(settings: Settings, *, issues: bool = True,
                     grid: bool = False) -> AsyncIterator[Evaluating]:
    """The evaluation service, with the issues and/or grid services, on the small city and
    one manual clock."""
    register_small_city(settings.database_url)
    clock = ManualClock(T0)
    settings = settings.model_copy(update={"watch_seconds": 3600})  # the test moves time
    async with AsyncExitStack() as stack:
        ev = await stack.enter_async_context(serve(evaluation_app(settings, clock=clock)))
        p = Evaluating(ev, clock, settings)
        await p.holds(f'SELECT count(*) FROM "{TIER_TREE.schema}".nodes',
                      lambda n: n == len(SMALL_CITY))
        # Department tokens are vouched for by the departments copy.
        await p.holds(f'SELECT count(*) FROM "{DEPARTMENTS_COPY.schema}".departments',
                      lambda n: n == len(DEPARTMENTS))
        if issues:
            p.issues = await stack.enter_async_context(serve(issues_app(settings, clock=clock)))
            await eventually(lambda: p.issues.get(f"/v1/tiers/{SMALL_CITY[-1].path}/summary",
                                                  headers=ADMIN),
                             lambda r: r.status_code == 200, timeout=30)
        if grid:
            p.grid = await stack.enter_async_context(serve(grid_app(settings, clock=clock)))
            for d in DEPARTMENTS:
                r = await p.grid.post("/v1/departments", json=d, headers=ADMIN)
                assert r.status_code == 201, r.text
            await eventually(lambda: p.grid.get("/v1/departments", headers=ADMIN),
                             lambda r: len(r.json()) == len(DEPARTMENTS), timeout=30)
            await eventually(lambda: p.grid.get("/v1/nodes/km.guandu.taihe", headers=STREET),
                             lambda r: r.status_code == 200, timeout=30)
        yield p


@pytest.fixture
async def platform(settings: Settings) -> AsyncIterator[Evaluating]:
    async with evaluating(settings) as p:
        yield p


async def resolved_issue(p: Evaluating, reporter: dict = RESIDENT, **over: Any) -> str:
    r = await p.issues.post("/v1/issues", json=issue_body(**over), headers=reporter)
    assert r.status_code == 201, r.text
    issue_id = r.json()["id"]
    await act(p, issue_id, "acknowledge", {})
    await resolve(p, issue_id, round=1)
    return issue_id


async def act(p: Evaluating, issue_id: str, step: str, body: dict) -> dict:
    r = await p.issues.post(f"/v1/issues/{issue_id}/{step}", json=body, headers=COMMUNITY)
    assert r.status_code == 200, r.text
    return r.json()


async def resolve(p: Evaluating, issue_id: str, round: int) -> None:
    """Resolve, then wait until the evaluation service knows this round is resolved."""
    await act(p, issue_id, "resolve", {"resolution": "已清理"})
    await ratings_view(p, issue_id, lambda v: v["status"] == "resolved" and v["round"] == round)


async def ratings_view(p: Evaluating, issue_id: str, until: Any,
                       headers: dict = COMMUNITY) -> dict:
    r = await eventually(lambda: p.evaluation.get(f"/v1/issues/{issue_id}/ratings",
                                                  headers=headers),
                         lambda r: r.status_code == 200 and until(r.json()), timeout=30)
    return r.json()


async def rate(p: Evaluating, issue_id: str, verdict: str = "satisfied",
               headers: dict = RESIDENT, comment: str = "") -> httpx.Response:
    return await p.evaluation.post("/v1/ratings", headers=headers, json={
        "issue_id": issue_id, "verdict": verdict, "comment": comment})


async def test_the_reporter_rates_a_resolved_issue_once(platform: Evaluating) -> None:
    issue_id = await resolved_issue(platform)
    r = await rate(platform, issue_id, "basically_satisfied", comment="清理了,但慢了点")
    assert r.status_code == 201, r.text
    rating = r.json()
    assert {k: rating[k] for k in ("issue_id", "round", "rater", "verdict", "comment", "at")} == {
        "issue_id": issue_id, "round": 1, "rater": "r-001", "verdict": "basically_satisfied",
        "comment": "清理了,但慢了点", "at": T0.isoformat()}
    assert rating["node"] == issue_body()["node"] and rating["category"] == "environment"

    # The stored event is the public contract: exactly these fields (and the actor).
    (subject, seq, topic, state), = stored_events(platform.settings.database_url, "evaluation")
    published = from_stored("evaluation", subject, seq, topic, state)
    assert published.type == "gongzhi.rating.issue_rated.v1"
    assert set(published.data) == {"issue_id", "round", "rater", "verdict", "comment", "node",
                                   "handling_node", "category", "at", "actor"}
    assert published.tier == rating["node"] and published.subject == rating["id"]
    before = platform.events()
    again = await rate(platform, issue_id, "satisfied")
    assert_problem(again, 409, "r-001 already rated round 1", "basically_satisfied")
    assert platform.events() == before

    view = await ratings_view(platform, issue_id, lambda v: len(v["ratings"]) == 1)
    assert view["rateable_until"] == (T0 + timedelta(days=7)).isoformat()
    assert [x["verdict"] for x in view["ratings"]] == ["basically_satisfied"]
    mine = await ratings_view(platform, issue_id, lambda v: True, headers=RESIDENT)
    assert [x["rater"] for x in mine["ratings"]] == ["r-001"]


async def test_two_ratings_of_a_round_at_once_store_one(platform: Evaluating) -> None:
    issue_id = await resolved_issue(platform)
    before = platform.events()
    results = await asyncio.gather(*(rate(platform, issue_id, v)
                                     for v in ("satisfied", "unsatisfied")))
    assert sorted(r.status_code for r in results) == [201, 409]
    assert platform.events() == before + 1


async def test_unsatisfied_reopens_and_the_next_round_is_rated_again(
        platform: Evaluating) -> None:
    issue_id = await resolved_issue(platform)
    assert (await rate(platform, issue_id, "unsatisfied", comment="还是堆着")).status_code == 201
    # The issues service's policy reopens it; the evaluation service hears round 2 begin.
    reopened = await ratings_view(platform, issue_id,
                                  lambda v: v["round"] == 2 and v["status"] == "open")
    assert reopened["rateable_until"] is None
    before = platform.events()
    assert_problem(await rate(platform, issue_id), 409, "only a resolved issue")
    assert platform.events() == before

    platform.clock.advance(timedelta(days=1))
    await resolve(platform, issue_id, round=2)
    r = await rate(platform, issue_id, "satisfied")
    assert r.status_code == 201, r.text
    assert r.json()["round"] == 2
    view = await ratings_view(platform, issue_id, lambda v: len(v["ratings"]) == 2)
    assert [(x["round"], x["verdict"]) for x in view["ratings"]] == [
        (1, "unsatisfied"), (2, "satisfied")]


async def test_the_window_closes_after_the_setting(platform: Evaluating) -> None:
    issue_id = await resolved_issue(platform)
    platform.clock.advance(timedelta(days=7, seconds=1))
    before = platform.events()
    r = await rate(platform, issue_id)
    assert_problem(r, 409, "rating window of round 1 closed", (T0 + timedelta(days=7)).isoformat())
    assert platform.events() == before


async def test_a_closed_issue_may_still_be_rated_within_the_window(platform: Evaluating) -> None:
    issue_id = await resolved_issue(platform)
    await act(platform, issue_id, "close", {})
    await ratings_view(platform, issue_id, lambda v: v["status"] == "closed")
    platform.clock.advance(timedelta(days=6))
    assert (await rate(platform, issue_id)).status_code == 201


async def test_a_merged_duplicates_reporter_rates_the_survivor(platform: Evaluating) -> None:
    r = await platform.issues.post("/v1/issues", json=issue_body(), headers=RESIDENT)
    survivor = r.json()["id"]
    dup = (await platform.issues.post("/v1/issues", json=issue_body(title="楼道纸箱"),
                                      headers=FOLLOWER)).json()["id"]
    merged = await platform.issues.post(f"/v1/issues/{dup}/merge", json={"into": survivor},
                                        headers=COMMUNITY)
    assert merged.status_code == 200, merged.text
    await act(platform, survivor, "acknowledge", {})
    await resolve(platform, survivor, round=1)
    assert (await rate(platform, survivor, "satisfied", headers=FOLLOWER)).status_code == 201
    assert (await rate(platform, survivor, "satisfied", headers=RESIDENT)).status_code == 201
    before = platform.events()
    assert_problem(await rate(platform, survivor, headers=STRANGER), 403, "only the issue's")
    # The duplicate itself was merged, not resolved: nothing to rate there.
    await ratings_view(platform, dup, lambda v: v["status"] == "merged")
    assert_problem(await rate(platform, dup, headers=FOLLOWER), 409, "merged")
    assert platform.events() == before


async def test_refusals_say_why_and_write_nothing(platform: Evaluating) -> None:
    issue_id = await resolved_issue(platform)
    before = platform.events()
    assert_problem(await rate(platform, issue_id, headers=COMMUNITY), 403, "residents' say")
    assert_problem(await rate(platform, issue_id, headers=STRANGER), 403, "only the issue's")
    assert_problem(await rate(platform, "00000000-0000-0000-0000-000000000000"), 404,
                   "no issue")
    assert_problem(await rate(platform, issue_id, verdict="meh"), 422, "verdict")
    r = await platform.evaluation.post("/v1/ratings", headers=RESIDENT, json={
        "issue_id": issue_id, "verdict": "satisfied", "stars": 5})
    assert_problem(r, 422, "stars")
    assert_problem(await rate(platform, issue_id, comment="长" * 501), 422, "comment")
    path = f"/v1/issues/{issue_id}/ratings"
    assert_problem(await platform.evaluation.get(path, headers=STRANGER), 403, "reported")
    assert_problem(await platform.evaluation.get(path, headers=OTHER_COMMUNITY), 403,
                   "outside that scope")
    dept = bearer("department_staff", "km.guandu", department="km-cgj")
    assert_problem(await platform.evaluation.get(path, headers=dept), 403, "department_staff")
    assert platform.events() == before
    assert (await platform.evaluation.get(path, headers=STREET)).status_code == 200


async def test_the_read_model_counts_an_event_handed_over_twice_once(settings: Settings) -> None:
    """The projection itself, given the same rated and absorbed events twice."""
    story = IssueStory("km.guandu.taihe.heping", "t", "r-1")
    absorbed = story.event("absorbed", duplicate_id="d", reporters=["r-2", "r-3"])
    resolved = story.event("resolved", resolution="ok", evidence=[], round=1,
                           reporters=["r-1", "r-2", "r-3"])
    rated = replace(story.event("x"), type="gongzhi.rating.issue_rated.v1",
                    source="/gongzhi/evaluation", subject=str(uuid4()), data={
                        "issue_id": story.id, "round": 1, "rater": "r-2", "verdict": "satisfied",
                        "comment": "", "node": "km.guandu.taihe.heping",
                        "handling_node": "km.guandu.taihe.heping", "category": "environment",
                        "at": T0.isoformat()})
    async with projected(settings.database_url, RESOLUTIONS) as (conn, apply):
        for _ in range(2):
            await apply([story.raised, absorbed, resolved, rated])
        row = await conn.fetchrow(f'SELECT * FROM "{RESOLUTIONS.schema}".issues')
        assert sorted(row["reporters"]) == ["r-1", "r-2", "r-3"]
        assert (row["status"], row["round"]) == ("resolved", 1)
        assert await conn.fetchval(f'SELECT count(*) FROM "{RESOLUTIONS.schema}".ratings') == 1


async def test_older_issue_events_without_round_reporters_or_at(settings: Settings) -> None:
    """Logs written before the issues service added rounds, reporters and `at`."""
    story = IssueStory("km.guandu.taihe.heping", "t", "r-1")

    def legacy(name: str, **data: Any):
        e = story.event(name, **data)
        # resolved as v1 stored it (no round, reporters or at): read through its upcaster
        v1 = "gongzhi.issue.resolved.v1" if name == "resolved" else e.type
        return replace(e, type=v1, data={k: v for k, v in e.data.items() if k != "at"})

    events = [legacy("raised", node="km.guandu.taihe.heping", title="t", description="",
                     category="environment", channel="app", location=None, photos=[],
                     reporter="r-1"),
              legacy("escalated", to_node="km.guandu.taihe", from_node="km.guandu.taihe.heping",
                     reason="r"),
              legacy("resolved", resolution="ok", evidence=[])]
    async with projected(settings.database_url, RESOLUTIONS) as (conn, apply):
        await apply(events)
        row = await conn.fetchrow(f'SELECT * FROM "{RESOLUTIONS.schema}".issues')
        assert (row["status"], row["round"], row["reporters"]) == ("resolved", 1, ["r-1"])
        assert row["handling_node"] == "km.guandu.taihe"
        assert row["resolved_at"].isoformat() == events[-1].time  # the envelope's time
        await apply([story.event("reopened", round=2, rating_id="x", reason="r",
                                 resolve_by=T0.isoformat()),
                     story.event("resolved", resolution="again", evidence=[], round=2,
                                 reporters=["r-1"])])
        row = await conn.fetchrow(f'SELECT * FROM "{RESOLUTIONS.schema}".issues')
        assert (row["status"], row["round"]) == ("resolved", 2)
