"""Issue 11's access cases, played on the issues, grid and evaluation services (embedded
transport, real PostgreSQL): each now gets the right answer, and a refusal writes nothing.
The rules: docs/access.md."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import jwt
import pytest

from services.grid.application import DepartmentSpec, GridApplication, NodeSpec
from shared.eventstore import open_application
from shared.sealing import Sealer
from shared.settings import Settings
from tests.conftest import DATA_KEY, JWT_SECRET
from tests.integration.test_ratings import Evaluating, evaluating
from tests.integration.test_refusals import assert_problem
from tests.utils.city import BUILDING, SYSTEM
from tests.utils.store import count_events, stored_events
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

HEPING = "km.guandu.taihe.heping"
G03, Y017 = f"{HEPING}.g03", f"{HEPING}.g03.y017"
RESIDENT = bearer("resident", HEPING, sub="r-001")
WORKER = bearer("grid_worker", G03, sub="w-03")
COMMUNITY = bearer("community_staff", HEPING, sub="c-01")
STREET = bearer("street_staff", "km.guandu.taihe", sub="s-01")
URBAN = bearer("department_staff", "km.guandu", sub="cg-1", department="km-cgj")
GULOU_LEADER = bearer("district_staff", "nj.gulou", sub="d-gulou")
NANJING_LEADER = bearer("city_staff", "nj", sub="c-nj")
GUANDU_LEADER = bearer("district_staff", "km.guandu", sub="d-guandu")
NANJING = [NodeSpec("nj", "city", "南京市"), NodeSpec("nj.gulou", "district", "鼓楼区"),
           NodeSpec(f"{Y017}0", "compound", "170号院")]  # a sibling sharing y017's prefix


def _events(p: Evaluating) -> int:
    return sum(count_events(p.settings.database_url, s) for s in ("issues", "grid",
                                                                   "evaluation"))


@pytest.fixture
async def p(settings: Settings) -> AsyncIterator[Evaluating]:
    async with evaluating(settings, issues=True, grid=True) as platform:
        grid = open_application(GridApplication, settings.database_url,
                                sealer=Sealer(DATA_KEY))
        try:
            grid.register_nodes(NANJING, SYSTEM)
            grid.register_departments([DepartmentSpec("gl-cgj", "鼓楼区城管局", "cgj", [],
                                                      ["nj.gulou"])], SYSTEM)
        finally:
            grid.close()
        for api in (platform.issues, platform.grid, platform.evaluation):
            for who in (NANJING_LEADER, GULOU_LEADER):
                await eventually(lambda api=api, who=who: api.get("/v1/auth/me", headers=who),
                                 lambda r: r.status_code == 200, timeout=60)
        yield platform


async def _raise(p: Evaluating, node: str = BUILDING, category: str = "environment") -> dict:
    r = await p.issues.post("/v1/issues", headers=RESIDENT, json={
        "node": node, "title": "楼道堆放杂物", "category": category, "channel": "app",
        "contact": {"name": "张阿姨", "phone": "13800001111"}})
    assert r.status_code == 201, r.text
    return r.json()


async def _do(p: Evaluating, issue: dict, step: str, who: dict, body: dict | None = None):
    return await p.issues.post(f"/v1/issues/{issue['id']}/{step}", json=body or {},
                               headers=who)


async def test_the_handling_tier_acts_and_a_tier_below_does_not(p: Evaluating) -> None:
    issue = await _raise(p)  # 大事社区结: the community handles it
    assert issue["handling_node"] == HEPING
    before = _events(p)
    assert_problem(await _do(p, issue, "acknowledge", WORKER), 403, "handled at")
    assert_problem(await _do(p, issue, "resolve", WORKER, {"resolution": "x"}), 403)
    assert _events(p) == before
    assert (await _do(p, issue, "acknowledge", COMMUNITY)).status_code == 200
    # Assigned to the grid worker, the tier below may add progress and resolve.
    assign = {"assignee": {"kind": "grid_worker", "id": "w-03", "name": "李娟"}}
    assert (await _do(p, issue, "assign", COMMUNITY, assign)).status_code == 200
    assert (await _do(p, issue, "progress", WORKER, {"note": "已联系"})).status_code == 200
    assert (await _do(p, issue, "resolve", WORKER, {"resolution": "已清理"})).status_code == 200


async def test_after_escalating_the_community_adds_progress_but_does_not_resolve(
        p: Evaluating) -> None:
    issue = await _raise(p)
    assert (await _do(p, issue, "acknowledge", COMMUNITY)).status_code == 200
    assert (await _do(p, issue, "escalate", COMMUNITY, {"reason": "超出社区权限"})
            ).status_code == 200
    assert (await _do(p, issue, "progress", COMMUNITY, {"note": "已上报街道"})).status_code == 200
    before = _events(p)
    assert_problem(await _do(p, issue, "resolve", COMMUNITY, {"resolution": "x"}), 403,
                   "may only add progress")
    assert _events(p) == before
    r = await _do(p, issue, "resolve", STREET, {"resolution": "街道协调解决"})
    assert r.status_code == 200 and r.json()["status"] == "resolved"


async def test_a_department_acts_on_what_it_is_assigned_and_its_board_lists_it(
        p: Evaluating) -> None:
    issue = await _raise(p)
    assert (await _do(p, issue, "acknowledge", COMMUNITY)).status_code == 200
    before = _events(p)
    assert_problem(await _do(p, issue, "progress", URBAN, {"note": "x"}), 403, "assigned")
    assert _events(p) == before
    assign = {"assignee": {"kind": "department", "id": "km-cgj", "name": "城管局"}}
    assert (await _do(p, issue, "assign", COMMUNITY, assign)).status_code == 200
    assert (await _do(p, issue, "progress", URBAN, {"note": "已到场"})).status_code == 200
    board = await eventually(lambda: p.grid.get("/v1/departments/km-cgj/board", headers=URBAN),
                             lambda r: r.json()["issues"])
    listed = board.json()["issues"]
    assert [i["issue_id"] for i in listed] == [issue["id"]]
    assert listed[0]["resolve_by"] and listed[0]["node"] == BUILDING
    assert "open" in board.json()  # the whistles beside them
    assert (await _do(p, issue, "resolve", URBAN, {"resolution": "已拆除"})).status_code == 200
    await eventually(lambda: p.grid.get("/v1/departments/km-cgj/board", headers=URBAN),
                     lambda r: r.json()["issues"] == [])


async def test_nanjing_leaders_do_not_read_kunmings_departments(p: Evaluating) -> None:
    for fmt in ("json", "csv"):
        for who in (GULOU_LEADER, NANJING_LEADER):
            r = await p.evaluation.get(f"/v1/departments/km-cgj/report?format={fmt}",
                                       headers=who)
            assert_problem(r, 403, "outside that scope")
            r = await p.evaluation.get(f"/v1/rankings/departments?format={fmt}", headers=who)
            assert r.status_code == 200 and "km-cgj" not in r.text
        r = await p.evaluation.get(f"/v1/departments/km-cgj/report?format={fmt}",
                                   headers=GUANDU_LEADER)
        assert r.status_code in (200, 404), r.text  # 404: no KPI facts yet, not refused


async def test_a_workers_role_history_is_for_their_chain_only(p: Evaluating) -> None:
    r = await p.grid.post("/v1/people", headers=COMMUNITY, json={
        "staff_id": "u-heping-03", "name": "李娟", "home": HEPING})
    assert r.status_code == 201, r.text
    await eventually(lambda: p.grid.get("/v1/people/u-heping-03/history", headers=COMMUNITY),
                     lambda r: r.status_code == 200)
    for outsider in (bearer("community_staff", "km.guandu.taihe.minhang", sub="c-99"),
                     GULOU_LEADER):
        assert_problem(await p.grid.get("/v1/people/u-heping-03/history", headers=outsider),
                       403, "outside that scope")
    mine = bearer("grid_worker", G03, sub="u-heping-03")
    assert (await p.grid.get("/v1/people/u-heping-03/history", headers=mine)).status_code == 200


async def test_a_compound_head_patrols_only_their_own_compound(p: Evaluating) -> None:
    head = bearer("compound_head", Y017, sub="h-017")
    await eventually(lambda: p.grid.get("/v1/auth/me", headers=head),
                     lambda r: r.status_code == 200)
    before = _events(p)
    r = await p.grid.post("/v1/patrols", headers=head, json={
        "node": Y017, "households_visited": 3, "problems": [
            {"title": "围墙破损", "category": "environment", "node": f"{Y017}0",
             "raise_issue": True}]})
    assert_problem(r, 403, "outside the patrolled node")
    r = await p.grid.post("/v1/patrols", headers=head, json={
        "node": f"{Y017}0", "households_visited": 3})
    assert_problem(r, 403, "outside that scope")
    assert _events(p) == before


async def test_a_department_cannot_point_webhooks_inside(p: Evaluating) -> None:
    before = _events(p)
    for url in ("http://127.0.0.1:9/hooks", "https://127.0.0.1/hooks", "https://0.0.0.0/x",
                "https://192.168.1.10/x", "https://169.254.169.254/latest",
                "https://localhost/x"):
        r = await p.grid.post("/v1/departments/km-cgj/webhooks", headers=URBAN,
                              json={"url": url})
        assert_problem(r, 422)
        assert r.json()["field"] == "url"
    assert _events(p) == before


def _token(**claims: object) -> dict[str, str]:
    base = {"iss": "gongzhi", "sub": "x", "role": "city_staff", "scope": "km",
            "exp": 4102444800}
    return {"Authorization": "Bearer " + jwt.encode(base | claims, JWT_SECRET,
                                                    algorithm="HS256")}


LOOSE = [
    ({"scope": ""}, "tier path"), ({"scope": "%"}, "tier path"),
    ({"scope": 42}, "not a string"), ({"scope": "sh"}, "not a node"),
    ({"role": "department_staff", "scope": "km.guandu"}, "department"),
    ({"role": "department_staff", "scope": "km.guandu", "dept": "km-nope"},
     "not a registered department"),
]


async def test_tokens_naming_no_real_scope_are_refused(p: Evaluating) -> None:
    before = _events(p)
    for claims, words in LOOSE:
        # A scope of "" or "%" listed every city's issues before.
        assert_problem(await p.issues.get("/v1/issues", headers=_token(**claims)), 401, words)
        for api in (p.grid, p.evaluation):
            assert_problem(await api.get("/v1/auth/me", headers=_token(**claims)), 401, words)
    assert _events(p) == before


async def test_wildcards_match_only_themselves(p: Evaluating) -> None:
    await _raise(p)
    await eventually(lambda: p.issues.get(f"/v1/issues?node={HEPING}", headers=COMMUNITY),
                     lambda r: len(r.json()["items"]) == 1)
    for category in ("%", "_%", "environ%"):
        r = await p.issues.get("/v1/issues", params={"node": HEPING, "category": category},
                               headers=COMMUNITY)
        assert r.status_code == 200 and r.json()["items"] == [], category
    # GeoReport v2: a jurisdiction that names no node is "not found" (404), never a pattern.
    r = await p.issues.get("/open311/v2/requests.json", params={"jurisdiction_id": "%"})
    assert r.status_code == 404 and "service_request_id" not in r.text


async def test_the_raised_event_keeps_no_unkeyed_hash_of_the_contact(p: Evaluating) -> None:
    issue = await _raise(p)
    raised = [json.loads(state) for oid, _, topic, state in
              stored_events(p.settings.database_url, "issues")
              if oid == issue["id"] and topic.endswith("raised.v1")]
    assert raised[0]["fingerprint"].startswith("k1:")
    assert "13800001111" not in json.dumps(raised[0], ensure_ascii=False)


async def test_a_formula_in_a_name_is_not_run_by_the_spreadsheet(p: Evaluating) -> None:
    grid = open_application(GridApplication, p.settings.database_url, sealer=Sealer(DATA_KEY))
    try:
        grid.register_nodes([NodeSpec(f"{HEPING}.g05", "grid", "=HYPERLINK(\"http://x\")")],
                            SYSTEM)
    finally:
        grid.close()
    csv = await eventually(
        lambda: p.evaluation.get(f"/v1/tiers/{HEPING}/report?format=csv", headers=COMMUNITY),
        lambda r: "HYPERLINK" in r.text)
    line = next(row for row in csv.text.splitlines() if "HYPERLINK" in row)
    assert "'=HYPERLINK" in line and ",=HYPERLINK" not in line
