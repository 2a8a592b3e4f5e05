"""The issues service over HTTP, on the real PostgreSQL: flow, reads, roll-ups."""

from __future__ import annotations

import httpx

from tests.utils.city import BUILDING
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

RESIDENT = bearer("resident", "km.guandu.taihe.heping", sub="r-001")
COMMUNITY = bearer("community_staff", "km.guandu.taihe.heping", sub="c-01")
STREET = bearer("street_staff", "km.guandu.taihe", sub="s-01")
DISTRICT = bearer("district_staff", "km.guandu", sub="d-01")


def issue_body(node: str = BUILDING, **over: object) -> dict:
    body = {"node": node, "title": "楼道堆放杂物", "description": "三楼楼道堆满纸箱",
            "category": "environment", "channel": "app",
            "contact": {"name": "张阿姨", "phone": "13800001111"}}
    body.update(over)
    return body


async def raise_issue(api: httpx.AsyncClient, headers: dict = RESIDENT, **over: object) -> dict:
    r = await api.post("/v1/issues", json=issue_body(**over), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def summary(api: httpx.AsyncClient, path: str, headers: dict = DISTRICT) -> dict:
    r = await api.get(f"/v1/tiers/{path}/summary", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_an_issue_at_a_building_rolls_up_to_every_ancestor(issues_api) -> None:
    await raise_issue(issues_api)
    for path in ("km.guandu.taihe.heping", "km.guandu.taihe", "km.guandu", BUILDING):
        s = await eventually(lambda p=path: summary(issues_api, p),
                             lambda s: s["node"]["counts"]["total"] == 1)
        assert s["node"]["counts"]["raised"] == 1
    street = await summary(issues_api, "km.guandu.taihe")
    children = {c["path"]: c["counts"]["total"] for c in street["children"]}
    assert children == {"km.guandu.taihe.heping": 1, "km.guandu.taihe.minhang": 0}
    assert street["node"]["name"] == "太和街道"


async def test_status_moves_between_columns_of_the_summary(issues_api) -> None:
    issue = await raise_issue(issues_api)
    base = f"/v1/issues/{issue['id']}"
    acknowledged = await issues_api.post(f"{base}/acknowledge", json={}, headers=COMMUNITY)
    assert acknowledged.status_code == 200
    assert (await issues_api.post(f"{base}/resolve", json={"resolution": "已清理"},
                                  headers=COMMUNITY)).status_code == 200
    s = await eventually(lambda: summary(issues_api, "km.guandu"),
                         lambda s: s["node"]["counts"]["resolved"] == 1)
    assert s["node"]["counts"] | {} == {"raised": 0, "acknowledged": 0, "assigned": 0,
                                        "reopened": 0, "merged": 0,
                                        "resolved": 1, "closed": 0, "total": 1}


async def test_get_returns_state_and_full_history(issues_api) -> None:
    issue = await raise_issue(issues_api)
    base = f"/v1/issues/{issue['id']}"
    steps = [
        ("classify", {"category": "safety"}),
        ("acknowledge", {"note": "收到"}),
        ("assign", {"assignee": {"kind": "grid_worker", "id": "w-03", "name": "李娟"}}),
        ("resolve", {"resolution": "已清理", "evidence": ["https://img.example/after.jpg"]}),
        ("close", {}),
    ]
    for step, body in steps:
        r = await issues_api.post(f"{base}/{step}", json=body, headers=COMMUNITY)
        assert r.status_code == 200, r.text
    got = (await issues_api.get(base, headers=COMMUNITY)).json()
    assert got["status"] == "closed" and got["category"] == "safety" and got["version"] == 8
    assert got["assignee"] == {"kind": "grid_worker", "id": "w-03", "name": "李娟"}
    history = got["history"]
    # Raising triages at once by the catalog; a new category is triaged again.
    assert [h["type"].split(".")[2] for h in history] == [
        "raised", "triaged", "classified", "triaged", "acknowledged", "assigned", "resolved",
        "closed"]
    assert history[0]["by"]["sub"] == "r-001" and history[0]["by"]["role"] == "resident"
    assert all(h["by"]["sub"] == "c-01" for h in history[2:])
    assert history[2]["data"] | {"at": None} == {
        "category": "safety", "previous": "environment", "at": None}
    assert [h["seq"] for h in history] == [1, 2, 3, 4, 5, 6, 7, 8]


async def test_lists_filter_by_subtree_status_category_and_paginate(issues_api) -> None:
    ids = {}
    for i, (node, category) in enumerate([
        (BUILDING, "environment"), ("km.guandu.taihe.heping.g04", "safety"),
        ("km.guandu.taihe.minhang", "environment"), ("km.guandu.guanshang", "environment"),
        (BUILDING, "environment"),
    ]):
        ids[i] = (await raise_issue(issues_api, headers=DISTRICT, node=node,
                                    category=category, title=f"问题{i}"))["id"]
    await issues_api.post(f"/v1/issues/{ids[0]}/acknowledge", json={}, headers=COMMUNITY)

    async def listing(**params: object) -> set[str]:
        r = await issues_api.get("/v1/issues", params=params, headers=DISTRICT)
        assert r.status_code == 200, r.text
        return {item["id"] for item in r.json()["items"]}

    await eventually(lambda: listing(), lambda got: len(got) == 5)
    assert await listing(node="km.guandu.taihe.heping") == {ids[0], ids[1], ids[4]}
    assert await listing(node="km.guandu.taihe") == {ids[0], ids[1], ids[2], ids[4]}
    assert await listing(category="safety") == {ids[1]}
    await eventually(lambda: listing(status="acknowledged"), lambda got: got == {ids[0]})
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await issues_api.get("/v1/issues", params=params, headers=DISTRICT)).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and len(seen) == 5 and set(seen) == set(ids.values())


async def test_residents_list_only_their_own_issues(issues_api) -> None:
    mine = await raise_issue(issues_api)
    await raise_issue(issues_api, headers=bearer("resident", "km", sub="r-002"))
    r = await eventually(lambda: issues_api.get("/v1/issues", headers=RESIDENT),
                         lambda r: len(r.json()["items"]) >= 1)
    assert [i["id"] for i in r.json()["items"]] == [mine["id"]]


async def test_an_inbox_lists_open_issues_with_their_deadlines(issues_api) -> None:
    done = await raise_issue(issues_api, title="已办完")
    waiting = await raise_issue(issues_api, title="还在等")
    await issues_api.post(f"/v1/issues/{done['id']}/acknowledge", json={}, headers=COMMUNITY)
    await issues_api.post(f"/v1/issues/{done['id']}/resolve", json={"resolution": "好了"},
                          headers=COMMUNITY)

    async def inbox() -> list[dict]:
        r = await issues_api.get("/v1/issues", params={"open": "true"}, headers=COMMUNITY)
        assert r.status_code == 200, r.text
        return r.json()["items"]

    rows = await eventually(inbox, lambda rows: [i["id"] for i in rows] == [waiting["id"]])
    assert (rows[0]["ack_by"], rows[0]["resolve_by"]) == (waiting["ack_by"],
                                                          waiting["resolve_by"])
    assert rows[0]["handling_node"] == waiting["handling_node"]
