"""Residents: "my issues" with their timelines, a live feed of every change (server-sent
events, resumable), and contact details only within the handling chain."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from services.issues.bootstrap import create_app
from services.issues.projections.resident_feed import ResidentFeed
from tests.integration.test_issues_api import COMMUNITY, STREET, raise_issue
from tests.integration.test_refusals import OTHER_COMMUNITY
from tests.integration.test_subscriptions import _next_event
from tests.utils.city import BUILDING, register_small_city
from tests.utils.issue_events import IssueStory, projected
from tests.utils.serve import serve_http
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

ZHANG = bearer("resident", "km.guandu.taihe.heping", sub="r-zhang")
LI = bearer("resident", "km.guandu.taihe.heping", sub="r-li")
WANG = bearer("resident", "km.guandu.taihe.minhang", sub="r-wang")
CGJ = bearer("department_staff", "km.guandu", sub="p-cgj", department="km-cgj")
PHONE = "13800001111"  # issue_body's contact


async def mine(api: httpx.AsyncClient, who: dict) -> list[dict]:
    r = await api.get("/v1/me/issues", headers=who)
    assert r.status_code == 200, r.text
    assert PHONE not in r.text
    return r.json()["items"]


async def act(api: httpx.AsyncClient, issue_id: str, step: str, body: dict | None = None,
              who: dict = COMMUNITY) -> dict:
    r = await api.post(f"/v1/issues/{issue_id}/{step}", json=body or {}, headers=who)
    assert r.status_code == 200, r.text
    return r.json()


async def test_my_issues_show_own_and_followed_issues_with_timelines(issues_api) -> None:
    a = await raise_issue(issues_api, ZHANG, title="后巷垃圾堆积")
    b = await raise_issue(issues_api, LI, title="后巷垃圾没人清")
    c = await raise_issue(issues_api, WANG, node="km.guandu.taihe.minhang", title="电梯故障")
    await act(issues_api, a["id"], "acknowledge")
    await act(issues_api, a["id"], "assign", {"assignee": {"kind": "grid_worker", "id": "w-3",
                                                           "name": "李娟"}})
    await act(issues_api, a["id"], "progress", {"note": "已联系环卫站，明早清运"})
    await act(issues_api, b["id"], "merge", {"into": a["id"]})
    await act(issues_api, a["id"], "resolve", {"resolution": "垃圾已清运"})

    zhang = await eventually(lambda: mine(issues_api, ZHANG),
                             lambda items: items and items[0]["status"] == "resolved")
    assert [i["id"] for i in zhang] == [a["id"]]
    assert zhang[0]["following"] == "reporter" and zhang[0]["title"] == "后巷垃圾堆积"
    timeline = zhang[0]["timeline"]
    assert [t["seq"] for t in timeline] == sorted(t["seq"] for t in timeline)
    assert [t["at"] for t in timeline] == sorted(t["at"] for t in timeline)
    lines = [t["summary"] for t in timeline]
    assert lines[0] == "已收到您反映的问题" and lines[-1] == "已办结，请您评价"
    in_order = ["已受理", "已派单，由李娟办理", "办理进展：已联系环卫站，明早清运",
                "同一地点的相同反映已并入本事项一并办理"]
    assert [line for line in lines if line in in_order] == in_order

    li = await mine(issues_api, LI)
    assert [(i["id"], i["following"], i["status"]) for i in li] == [
        (b["id"], "reporter", "merged"), (a["id"], "merged", "resolved")]
    assert li[1]["timeline"][-1]["summary"] == "已办结，请您评价"  # told the survivor's outcome

    assert [i["id"] for i in await mine(issues_api, WANG)] == [c["id"]]
    assert await mine(issues_api, bearer("resident", "km", sub="r-nobody")) == []


async def test_a_merge_brings_new_followers_only_the_survivors_later_news(database_url) -> None:
    survivor = IssueStory(BUILDING, "后巷垃圾堆积", "r-zhang")
    duplicate = IssueStory(BUILDING, "后巷垃圾", "r-li")
    async with projected(database_url, ResidentFeed()) as (conn, apply):
        # one batch, in log order: the absorb and what follows it arrive with what precedes
        await apply([survivor.raised, duplicate.raised, survivor.event("acknowledged", note=""),
                     duplicate.event("merged", into=survivor.id),
                     survivor.event("absorbed", duplicate_id=duplicate.id,
                                    reporters=["r-li"]),
                     survivor.event("resolved", resolution="已清运", evidence=[], round=1,
                                    reporters=["r-zhang", "r-li"])])
        rows = await conn.fetch('SELECT person, issue_id::text, seq FROM '
                                '"issues_resident_feed".feed ORDER BY id')
    feed: dict[str, list[tuple[str, int]]] = {}
    for r in rows:
        feed.setdefault(r["person"], []).append((r["issue_id"], r["seq"]))
    s, d = survivor.id, duplicate.id
    assert feed["r-zhang"] == [(s, 1), (s, 2), (s, 3), (s, 4)]
    assert feed["r-li"] == [(d, 1), (d, 2), (s, 3), (s, 4)]


@pytest.fixture
async def issues_over_http(settings) -> AsyncIterator[httpx.AsyncClient]:
    """A real HTTP server: an SSE response streams for ever, which an in-memory transport
    cannot show."""
    register_small_city(settings.database_url)
    async with serve_http(create_app(settings)) as api:
        await eventually(lambda: api.get("/v1/tiers/km.guandu.taihe/summary", headers=STREET),
                         lambda r: r.status_code == 200)
        yield api


async def _event(lines: AsyncIterator[str]) -> dict:
    event = await asyncio.wait_for(_next_event(lines), timeout=10)
    return event | {"data": json.loads(event["data"])}


async def test_the_feed_streams_each_change_to_its_followers_and_resumes(
        issues_over_http) -> None:
    api = issues_over_http
    a = await raise_issue(api, ZHANG, title="后巷垃圾堆积")
    c = await raise_issue(api, WANG, node="km.guandu.taihe.minhang", title="电梯故障")
    for who in (ZHANG, WANG):
        await eventually(lambda w=who: mine(api, w), lambda items: len(items) == 1)
    async with api.stream("GET", "/v1/me/events", headers=ZHANG) as zhang, \
            api.stream("GET", "/v1/me/events", headers=WANG) as wang:
        assert zhang.headers["content-type"].startswith("text/event-stream")
        zhang_lines, wang_lines = zhang.aiter_lines(), wang.aiter_lines()
        assert await anext(zhang_lines) == ": connected"
        assert await anext(wang_lines) == ": connected"
        started = time.monotonic()
        await act(api, a["id"], "acknowledge")
        event = await _event(zhang_lines)
        latency = time.monotonic() - started
        assert event["event"] == "gongzhi.issue.acknowledged.v1"
        assert event["data"]["issue_id"] == a["id"] and event["data"]["summary"] == "已受理"
        assert event["data"]["title"] == "后巷垃圾堆积" and PHONE not in json.dumps(event)
        assert latency < 2.0, latency
        # Wang's stream skipped Zhang's news: its first event is about Wang's own issue.
        await act(api, c["id"], "acknowledge", who=bearer("community_staff",
                                                          "km.guandu.taihe.minhang"))
        assert (await _event(wang_lines))["data"]["issue_id"] == c["id"]
        last_id = event["id"]
    print(f"\nfeed latency: {latency * 1000:.0f} ms from the command's start to the event")

    await act(api, a["id"], "assign", {"assignee": {"kind": "grid_worker", "id": "w-3"}})
    async with api.stream("GET", "/v1/me/events",
                          headers=ZHANG | {"Last-Event-ID": last_id}) as zhang:
        lines = zhang.aiter_lines()
        await anext(lines)
        event = await _event(lines)
        assert event["event"] == "gongzhi.issue.assigned.v1"  # not the acknowledgement again
        assert int(event["id"]) > int(last_id)
        assert event["data"]["summary"] == "已派单，由网格员办理"


async def test_contact_details_stay_within_the_handling_chain(issues_api) -> None:
    issue = await raise_issue(issues_api, ZHANG)
    url = f"/v1/issues/{issue['id']}"
    for who in (ZHANG, COMMUNITY, STREET):
        r = await issues_api.get(url, headers=who)
        assert r.status_code == 200 and r.json()["contact"]["phone"] == PHONE, r.text
    r = await issues_api.get(url, headers=OTHER_COMMUNITY)
    assert r.status_code == 403 and PHONE not in r.text
    await act(issues_api, issue["id"], "acknowledge")
    await act(issues_api, issue["id"], "assign", {"assignee": {"kind": "department",
                                                               "id": "km-cgj"}})
    r = await issues_api.get(url, headers=CGJ)  # sees the issue to work on it, not who raised it
    assert r.status_code == 200 and r.json()["contact"] is None and PHONE not in r.text
    r = await issues_api.get(url, headers=LI)
    assert r.status_code == 403 and PHONE not in r.text


async def test_nearby_lists_open_issues_around_a_residents_place(issues_api) -> None:
    here = await raise_issue(issues_api, LI, title="楼道灯坏了", description="私下说的细节")
    above = await raise_issue(issues_api, STREET, node="km.guandu.taihe", title="街道主干道积水")
    elsewhere = await raise_issue(issues_api, WANG, node="km.guandu.taihe.minhang",
                                  title="民航社区的事")
    done = await raise_issue(issues_api, LI, title="已经修好的")
    await act(issues_api, done["id"], "acknowledge")
    await act(issues_api, done["id"], "resolve", {"resolution": "修好了"})

    async def nearby() -> httpx.Response:
        return await issues_api.get("/v1/me/nearby", headers=ZHANG)

    r = await eventually(nearby, lambda r: {i["id"] for i in r.json()} >= {here["id"],
                                                                            above["id"]}
                         and done["id"] not in {i["id"] for i in r.json()})
    ids = {i["id"] for i in r.json()}
    assert elsewhere["id"] not in ids and done["id"] not in ids
    assert "私下说的细节" not in r.text and PHONE not in r.text and "r-li" not in r.text
    assert (await issues_api.get("/v1/me/nearby", headers=COMMUNITY)).status_code == 403
