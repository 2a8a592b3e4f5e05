"""Keyword search over issues in Chinese, on the real PostgreSQL: words and phrases find
issues, filters narrow them, and nobody finds what they may not see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.issues.projections.search import IssueSearch
from shared.text_search import tsquery
from tests.integration.test_issues_api import COMMUNITY, DISTRICT, raise_issue
from tests.integration.test_refusals import OTHER_COMMUNITY, assert_problem
from tests.utils.city import BUILDING
from tests.utils.issue_events import IssueStory, projected
from tests.utils.store import count_events
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

HEPING_G04 = "km.guandu.taihe.heping.g04"
MINHANG = "km.guandu.taihe.minhang"
ZHANG = bearer("resident", "km.guandu.taihe.heping", sub="r-zhang")
WANG = bearer("resident", "km.guandu.taihe.minhang", sub="r-wang")
CGJ = bearer("department_staff", "km.guandu", sub="p-cgj", department="km-cgj")
GAJ = bearer("department_staff", "km.guandu", sub="p-gaj", department="km-gaj")
ISSUES = [
    (ZHANG, BUILDING, "后巷垃圾堆积", "居民反映：后巷的生活垃圾三天没人清运，气味很大",
     "environment"),
    (ZHANG, HEPING_G04, "商户占巷搭棚", "居民反映：烧烤店在巷子里搭了雨棚，消防通道被占",
     "commerce"),
    (WANG, MINHANG, "电梯故障", "居民反映：3号楼电梯停在二楼不动，老人上下楼困难", "safety"),
]


async def search(api: httpx.AsyncClient, headers: dict, q: str, **params: str) -> list[str]:
    r = await api.get("/v1/issues/search", params={"q": q, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return [item["title"] for item in r.json()["items"]]


@pytest.fixture
async def city_issues(issues_api: httpx.AsyncClient) -> dict[str, str]:
    ids = {}
    for who, node, title, description, category in ISSUES:
        issue = await raise_issue(issues_api, who, node=node, title=title,
                                  description=description, category=category)
        ids[title] = issue["id"]
    await eventually(lambda: search(issues_api, DISTRICT, "居民"), lambda t: len(t) == 3)
    return ids


async def test_two_and_three_character_words_and_phrases_find_issues(
        issues_api, city_issues) -> None:
    assert await search(issues_api, DISTRICT, "垃圾") == ["后巷垃圾堆积"]
    assert await search(issues_api, DISTRICT, "垃圾堆") == ["后巷垃圾堆积"]
    assert await search(issues_api, DISTRICT, "占巷搭棚") == ["商户占巷搭棚"]
    assert await search(issues_api, DISTRICT, "电梯 故障") == ["电梯故障"]
    # the description counts too, and ASCII digits are words
    assert await search(issues_api, DISTRICT, "3号楼") == ["电梯故障"]
    assert await search(issues_api, DISTRICT, "消防通道") == ["商户占巷搭棚"]
    # one character reaches every position of a run
    assert await search(issues_api, DISTRICT, "棚") == ["商户占巷搭棚"]


async def test_unrelated_or_reordered_words_find_nothing(issues_api, city_issues) -> None:
    assert await search(issues_api, DISTRICT, "停车") == []
    assert await search(issues_api, DISTRICT, "故障电梯") == []  # 障电 is in no issue
    assert await search(issues_api, DISTRICT, "垃圾 电梯") == []  # every word must match


async def test_filters_narrow_by_subtree_status_category_and_dates(
        issues_api, city_issues) -> None:
    assert await search(issues_api, DISTRICT, "巷", node="km.guandu.taihe.heping") == [
        "商户占巷搭棚", "后巷垃圾堆积"]
    assert await search(issues_api, DISTRICT, "巷", node=HEPING_G04) == ["商户占巷搭棚"]
    assert await search(issues_api, DISTRICT, "巷", node=MINHANG) == []
    assert await search(issues_api, DISTRICT, "巷", category="commerce") == ["商户占巷搭棚"]
    r = await issues_api.post(f"/v1/issues/{city_issues['后巷垃圾堆积']}/acknowledge", json={},
                              headers=COMMUNITY)
    assert r.status_code == 200, r.text
    await eventually(lambda: search(issues_api, DISTRICT, "巷", status="acknowledged"),
                     lambda t: t == ["后巷垃圾堆积"])
    assert await search(issues_api, DISTRICT, "巷", status="raised") == ["商户占巷搭棚"]
    now = datetime.now(UTC)
    hour = timedelta(hours=1)
    assert len(await search(issues_api, DISTRICT, "巷", **{
        "from": (now - hour).isoformat(), "to": (now + hour).isoformat()})) == 2
    assert await search(issues_api, DISTRICT, "巷", to=(now - hour).isoformat()) == []
    assert await search(issues_api, DISTRICT, "巷", **{"from": (now + hour).isoformat()}) == []
    yesterday = (now - timedelta(days=1)).date().isoformat()
    assert await search(issues_api, DISTRICT, "巷", to=yesterday) == []


async def test_pages_follow_the_cursor(issues_api, city_issues) -> None:
    seen, cursor = [], None
    for _ in range(3):
        params = {"q": "居民", "limit": "1"} | ({"cursor": cursor} if cursor else {})
        page = (await issues_api.get("/v1/issues/search", params=params,
                                     headers=DISTRICT)).json()
        seen += [i["title"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(t for _, _, t, _, _ in ISSUES) and cursor is None


async def test_residents_find_only_their_own_issues(issues_api, city_issues) -> None:
    assert await search(issues_api, ZHANG, "巷") == ["商户占巷搭棚", "后巷垃圾堆积"]
    assert await search(issues_api, WANG, "巷") == []
    assert await search(issues_api, WANG, "电梯") == ["电梯故障"]
    # naming a node does not widen what a resident sees
    assert await search(issues_api, WANG, "垃圾", node="km.guandu.taihe.heping") == []


async def test_department_staff_find_issues_assigned_to_their_department(
        issues_api, city_issues) -> None:
    base = f"/v1/issues/{city_issues['后巷垃圾堆积']}"
    assert (await issues_api.post(f"{base}/acknowledge", json={}, headers=COMMUNITY)).is_success
    r = await issues_api.post(f"{base}/assign", headers=COMMUNITY, json={
        "assignee": {"kind": "department", "id": "km-cgj", "name": "城管局"}})
    assert r.status_code == 200, r.text
    await eventually(lambda: search(issues_api, CGJ, "垃圾"), lambda t: t == ["后巷垃圾堆积"])
    assert await search(issues_api, CGJ, "电梯") == []
    assert await search(issues_api, GAJ, "垃圾") == []


async def test_staff_search_within_their_scope_only(issues_api, city_issues, settings) -> None:
    assert await search(issues_api, OTHER_COMMUNITY, "居民") == ["电梯故障"]
    before = count_events(settings.database_url, "issues")
    r = await issues_api.get("/v1/issues/search", params={"q": "垃圾", "node": BUILDING},
                             headers=OTHER_COMMUNITY)
    assert_problem(r, 403, "outside that scope")
    assert count_events(settings.database_url, "issues") == before


@pytest.mark.parametrize(("params", "status", "words"), [
    ({"q": ""}, 422, ["no words"]),
    ({"q": "，。！ "}, 422, ["no words"]),
    ({}, 422, ["q"]),
    ({"q": "垃圾", "from": "2026-11-20", "to": "2026-11-19"}, 422, ["before"]),
    ({"q": "垃圾", "from": "2026-11-20T10:00:00+00:00", "to": "2026-11-20T10:00:00+00:00"},
     422, ["before"]),
    ({"q": "垃圾", "from": "last tuesday"}, 422, ["neither a date"]),
    ({"q": "垃圾", "status": "lost"}, 422, ["status"]),
    ({"q": "垃圾", "cursor": "bm90IGEgY3Vyc29y"}, 422, ["cursor"]),
])
async def test_bad_searches_are_refused_with_the_reason(issues_api, params, status,
                                                        words) -> None:
    r = await issues_api.get("/v1/issues/search", params=params, headers=DISTRICT)
    assert_problem(r, status, *words)


async def test_notes_and_resolutions_make_an_issue_findable(database_url) -> None:
    """Progress notes and resolutions add their words; a merge makes the duplicate's
    reporter find the survivor; an assignment away from a department takes it off its
    list."""
    story = IssueStory(BUILDING, "楼道灯不亮", "r-1", description="晚上看不见路")
    async with projected(database_url, IssueSearch()) as (conn, apply):
        await apply([story.raised])

        async def found(words: str) -> bool:
            return bool(await conn.fetchval(
                'SELECT count(*) FROM "issues_search".issues WHERE words @@ $1::tsquery'
                " AND id = $2", tsquery(words), story.id))

        assert not await found("声控开关")
        await apply([story.event("acknowledged", note=""),
                     story.event("progress_noted", note="已更换声控开关", photos=[])])
        assert await found("声控开关") and await found("楼道灯")
        await apply([story.event("assigned", assignee={"kind": "department", "id": "km-cgj"},
                                 note=""),
                     story.event("resolved", resolution="电工修复线路", evidence=[], round=1,
                                 reporters=["r-1"])])
        assert await found("修复线路")
        row = await conn.fetchrow('SELECT * FROM "issues_search".issues WHERE id = $1',
                                  story.id)
        assert row["status"] == "resolved" and row["department"] == "km-cgj"
        assert row["raised_at"].isoformat() == story.raised.data["at"]  # business time
        await apply([story.event("assigned", assignee={"kind": "grid_worker", "id": "w-1"},
                                 note=""),
                     story.event("absorbed", duplicate_id="x", reporters=["r-2", "r-1"])])
        row = await conn.fetchrow('SELECT * FROM "issues_search".issues WHERE id = $1',
                                  story.id)
        assert row["department"] is None
        assert sorted(row["followers"]) == ["r-1", "r-2"]
