"""People and roles (三长两员) over HTTP on the real PostgreSQL: registration, assignment,
relief, history, "who served here on that date", refusals, sealed contacts, the demo seed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from services.grid.application import DepartmentSpec, GridApplication, NodeSpec
from services.grid.bootstrap import create_app
from shared.bus.envelope import from_stored
from shared.clock import ManualClock
from shared.eventstore import open_application
from shared.sealing import Sealer
from shared.settings import Settings
from tests.conftest import DATA_KEY
from tests.utils.city import DEPARTMENTS, SMALL_CITY, SYSTEM
from tests.utils.serve import serve
from tests.utils.store import count_events, stored_events
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

HEPING = "km.guandu.taihe.heping"
G03, G04 = f"{HEPING}.g03", f"{HEPING}.g04"
Y017 = f"{G03}.y017"
U1 = f"{Y017}.b02.u1"
ADMIN = bearer("admin", "km", sub="admin-1")
COMMUNITY = bearer("community_staff", HEPING, sub="c-01")
MINHANG = bearer("community_staff", "km.guandu.taihe.minhang", sub="c-99")
STREET = bearer("street_staff", "km.guandu.taihe", sub="s-01")
DISTRICT = bearer("district_staff", "km.guandu", sub="d-01")
RESIDENT = bearer("resident", HEPING, sub="r-001")
# 9:00 on 1 March 2024, Beijing time.
START = datetime(2024, 3, 1, 1, 0, tzinfo=UTC)
CITY_FILE = Path(__file__).parents[2] / "gongzhi" / "demo" / "city.json"


def open_app(settings: Settings, clock: ManualClock) -> GridApplication:
    return open_application(GridApplication, settings.database_url, sealer=Sealer(DATA_KEY),
                            clock=clock)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def api(settings: Settings, clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    """Grid with people and roles in-process, on a fresh database holding the small city."""
    app = open_app(settings, clock)
    try:
        app.register_nodes(SMALL_CITY, SYSTEM)
        app.register_departments([DepartmentSpec(**d) for d in DEPARTMENTS], SYSTEM)
    finally:
        app.close()
    async with serve(create_app(settings, clock=clock)) as client:
        await eventually(lambda: client.get(f"/v1/nodes/{U1}", headers=ADMIN),
                         lambda r: r.status_code == 200)
        await eventually(lambda: client.get("/v1/departments", headers=ADMIN),
                         lambda r: len(r.json()) == len(DEPARTMENTS))
        yield client


async def register(api: httpx.AsyncClient, staff_id: str = "u-km-heping-g03",
                   name: str = "李娟", home: str = HEPING, headers: dict = COMMUNITY,
                   **extra: object) -> dict:
    r = await api.post("/v1/people", json={"staff_id": staff_id, "name": name, "home": home,
                                           **extra}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def assign(api: httpx.AsyncClient, staff_id: str, role: str, node: str,
                 headers: dict = COMMUNITY, **extra: object) -> httpx.Response:
    return await api.post(f"/v1/people/{staff_id}/roles",
                          json={"role": role, "node": node, **extra}, headers=headers)


async def relieve(api: httpx.AsyncClient, staff_id: str, role: str, node: str,
                  reason: str = "调任", headers: dict = COMMUNITY) -> httpx.Response:
    return await api.post(f"/v1/people/{staff_id}/roles/relieve",
                          json={"role": role, "node": node, "reason": reason}, headers=headers)


async def roles_at(api: httpx.AsyncClient, node: str, **params: object) -> list[tuple]:
    r = await api.get(f"/v1/nodes/{node}/roles", params=params, headers=RESIDENT)
    assert r.status_code == 200, r.text
    return [(h["staff_id"], h["role"], h["node"]) for h in r.json()["holders"]]


def assert_problem(r: httpx.Response, status: int, *words: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    for word in words:
        assert word in r.json()["detail"], r.json()


# -- the flow -------------------------------------------------------------------------------

async def test_register_assign_relieve_with_history(api: httpx.AsyncClient,
                                                    clock: ManualClock) -> None:
    person = await register(api)
    assert person == {"staff_id": "u-km-heping-g03", "name": "李娟", "home": HEPING,
                      "version": 1, "contact": None, "roles": []}
    r = await assign(api, "u-km-heping-g03", "grid_worker", G03)
    assert r.status_code == 200, r.text
    assert r.json()["roles"] == [{"role": "grid_worker", "node": G03, "department": None,
                                  "since": START.isoformat()}]
    clock.advance(timedelta(days=92))
    r = await relieve(api, "u-km-heping-g03", "grid_worker", G03, reason="调任第四网格",
                      headers=STREET)
    assert r.status_code == 200 and r.json()["roles"] == []
    assert (await assign(api, "u-km-heping-g03", "grid_worker", G04)).status_code == 200

    r = await api.get("/v1/people/u-km-heping-g03/history", headers=COMMUNITY)
    assert r.status_code == 200, r.text
    history = r.json()
    assert [h["type"] for h in history] == [
        "gongzhi.person.registered.v1", "gongzhi.person.role_assigned.v1",
        "gongzhi.person.role_relieved.v1", "gongzhi.person.role_assigned.v1"]
    assert [h["by"]["sub"] for h in history] == ["c-01", "c-01", "s-01", "c-01"]
    assert [h["seq"] for h in history] == [1, 2, 3, 4]
    assert all(datetime.fromisoformat(h["at"]) for h in history)
    assert history[2]["data"] == {
        "staff_id": "u-km-heping-g03", "role": "grid_worker", "node": G03, "department": None,
        "reason": "调任第四网格", "at": (START + timedelta(days=92)).isoformat()}
    assert "contact_sealed" not in history[0]["data"]

    # The read model follows: now at g04, formerly at g03.
    await eventually(lambda: roles_at(api, G04),
                     lambda got: got == [("u-km-heping-g03", "grid_worker", G04)])
    assert await roles_at(api, G03) == []
    r = await api.get(f"/v1/nodes/{G03}/roles", params={"history": "true"}, headers=RESIDENT)
    (past,) = r.json()["holders"]
    assert past["name"] == "李娟" and past["relief_reason"] == "调任第四网格"
    assert datetime.fromisoformat(past["since"]) == START
    assert datetime.fromisoformat(past["until"]) == START + timedelta(days=92)


async def test_who_served_at_a_node_on_a_date(api: httpx.AsyncClient,
                                              clock: ManualClock) -> None:
    """李娟 runs g03 from 1 March; on 1 June at 9:00 (Beijing) 周红梅 takes over."""
    await register(api, "u-li")
    await register(api, "u-zhou", name="周红梅")
    await register(api, "u-zheng", name="郑玉兰")
    await assign(api, "u-li", "grid_worker", G03)
    await assign(api, "u-zheng", "unit_head", U1)
    clock.advance(timedelta(days=92))  # 2024-06-01 09:00 +08:00
    await relieve(api, "u-li", "grid_worker", G03)
    await assign(api, "u-zhou", "grid_worker", G03)
    await eventually(lambda: roles_at(api, G03), lambda got: got == [
        ("u-zhou", "grid_worker", G03)])

    li, zhou = ("u-li", "grid_worker", G03), ("u-zhou", "grid_worker", G03)
    assert await roles_at(api, G03, as_of="2024-05-01") == [li]
    assert await roles_at(api, G03, as_of="2024-07-01") == [zhou]
    assert await roles_at(api, G03, as_of="2024-06-01") == [li, zhou]  # both served that day
    assert await roles_at(api, G03, as_of="2024-06-01T08:59") == [li]  # naive: Beijing time
    assert await roles_at(api, G03, as_of="2024-06-01T01:00:00Z") == [zhou]
    assert await roles_at(api, G03, as_of="2024-02-29") == []
    assert await roles_at(api, G03, history="true") == [li, zhou]
    assert await roles_at(api, G03, as_of="2024-05-01", role="unit_head") == []
    # The community's subtree: the unit head below and whoever ran g03 then.
    assert await roles_at(api, HEPING, subtree="true", as_of="2024-05-01") == [
        li, ("u-zheng", "unit_head", U1)]
    assert await roles_at(api, HEPING) == []  # nobody serves at the community node itself
    r = await api.get(f"/v1/nodes/{HEPING}/roles", params={"subtree": "true", "limit": 1},
                      headers=RESIDENT)
    assert r.json()["truncated"] is True and len(r.json()["holders"]) == 1

    person = (await api.get("/v1/people/u-zhou", headers=RESIDENT)).json()
    assert person["roles"][0]["since"] == (START + timedelta(days=92)).isoformat()


async def test_node_role_queries_refuse_bad_input(api: httpx.AsyncClient) -> None:
    r = await api.get(f"/v1/nodes/{G03}/roles", params={"as_of": "May Day"}, headers=RESIDENT)
    assert_problem(r, 422, "as_of", "neither a date")
    r = await api.get(f"/v1/nodes/{G03}/roles", params={"as_of": "2024-05-01",
                                                         "history": "true"}, headers=RESIDENT)
    assert_problem(r, 422, "either as_of or history")
    assert_problem(await api.get("/v1/nodes/km.nowhere/roles", headers=RESIDENT), 404,
                   "unknown tier node")
    assert (await api.get(f"/v1/nodes/{G03}/roles")).status_code == 401


async def test_contact_is_sealed_at_rest_and_shown_only_to_the_chain(
        api: httpx.AsyncClient, settings: Settings) -> None:
    contact = {"phone": "13912345678", "email": "lijuan@example.cn"}
    await register(api, contact=contact)
    assert (await assign(api, "u-km-heping-g03", "grid_worker", G03)).status_code == 200

    for _, _, topic, state in stored_events(settings.database_url, "grid"):
        assert b"13912345678" not in state and b"lijuan@" not in state, topic
    rows = [r for r in stored_events(settings.database_url, "grid")
            if r[2] == "gongzhi.person.registered.v1"]
    assert json.loads(rows[0][3])["contact_sealed"].startswith("gz1:")
    published = from_stored("grid", *rows[0])
    assert "contact_sealed" not in published.data and published.tier == HEPING

    async def seen_by(headers: dict) -> dict | None:
        r = await api.get("/v1/people/u-km-heping-g03", headers=headers)
        assert r.status_code == 200, r.text
        return r.json()["contact"]

    for who in (ADMIN, COMMUNITY, STREET, bearer("grid_worker", G03),
                bearer("grid_worker", G04, sub="u-km-heping-g03")):  # the person themself
        assert await seen_by(who) == contact
    for who in (RESIDENT, MINHANG, bearer("grid_worker", G04),
                bearer("department_staff", "km.guandu", department="km-cgj")):
        assert await seen_by(who) is None


async def test_details_change_with_history_and_contact_can_be_erased(
        api: httpx.AsyncClient) -> None:
    await register(api, contact={"phone": "13912345678"})
    r = await api.patch("/v1/people/u-km-heping-g03",
                        json={"name": "李 娟", "contact": {"phone": "13800000000"}},
                        headers=COMMUNITY)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "李 娟" and r.json()["contact"] == {"phone": "13800000000"}
    r = await api.patch("/v1/people/u-km-heping-g03", json={"contact": None}, headers=COMMUNITY)
    assert r.json()["contact"] is None and r.json()["version"] == 3
    history = (await api.get("/v1/people/u-km-heping-g03/history", headers=COMMUNITY)).json()
    assert [h["data"].get("changed") for h in history] == [None, ["name", "contact"],
                                                           ["contact"]]
    assert_problem(await api.patch("/v1/people/u-km-heping-g03", json={}, headers=COMMUNITY),
                   422, "send a name, a contact")
    assert_problem(await api.patch("/v1/people/u-km-heping-g03", json={"name": "x"},
                                   headers=MINHANG), 403, "neither their home")


# -- refusals: 4xx, and nothing written -----------------------------------------------------

@pytest.mark.parametrize(("role", "node", "extra", "status", "words"), [
    ("grid_worker", HEPING, {}, 422, ["a grid_worker serves at a grid", "is a community"]),
    ("grid_worker", Y017, {}, 422, ["is a compound"]),
    ("unit_head", f"{Y017}.b02", {}, 422, ["a unit_head serves at a unit"]),
    ("compound_head", G03, {}, 422, ["a compound_head serves at a compound"]),
    ("info_officer", f"{Y017}.b02", {}, 422, ["info_officer serves at a community or compound"
                                              " or grid"]),
    ("department_staff", "km.guandu", {}, 422, ["department code"]),
    ("grid_worker", G03, {"department": "km-cgj"}, 422, ["only department staff"]),
    ("mayor", G03, {}, 422, ["role"]),
    ("grid_worker", "km.guandu.taihe.heping.g99", {}, 404, ["unknown tier node"]),
    ("grid_worker", "KM/G03", {}, 422, ["node", "pattern"]),
])
async def test_bad_assignments_are_refused_and_write_nothing(
        api: httpx.AsyncClient, settings: Settings, role: str, node: str, extra: dict,
        status: int, words: list[str]) -> None:
    await register(api)
    before = count_events(settings.database_url, "grid")
    r = await assign(api, "u-km-heping-g03", role, node, headers=ADMIN, **extra)
    assert_problem(r, status, *words)
    assert count_events(settings.database_url, "grid") == before


async def test_double_assignment_and_relieving_what_is_not_held_are_409(
        api: httpx.AsyncClient, settings: Settings) -> None:
    await register(api)
    assert (await assign(api, "u-km-heping-g03", "grid_worker", G03)).status_code == 200
    before = count_events(settings.database_url, "grid")
    assert_problem(await assign(api, "u-km-heping-g03", "grid_worker", G03), 409,
                   "already grid_worker at")
    assert_problem(await relieve(api, "u-km-heping-g03", "grid_worker", G04), 409,
                   "is not grid_worker at")
    assert_problem(await assign(api, "u-nobody", "grid_worker", G03), 404, "no person")
    r = await api.post("/v1/people", json={"staff_id": "u-km-heping-g03", "name": "李娟",
                                           "home": HEPING}, headers=COMMUNITY)
    assert_problem(r, 409, "already registered")
    assert count_events(settings.database_url, "grid") == before


@pytest.mark.parametrize(("who", "role", "node", "words"), [
    (MINHANG, "grid_worker", G03, ["scoped to 'km.guandu.taihe.minhang'", "outside that scope"]),
    (COMMUNITY, "community_staff", HEPING, ["community staff manage only grid workers",
                                            "community_staff ask street staff"]),
    (bearer("street_staff", "km.guandu.guanshang"), "grid_worker", G03, ["outside that scope"]),
    (bearer("grid_worker", G03), "unit_head", U1, ["a grid_worker may not"]),
    (RESIDENT, "grid_worker", G03, ["a resident may not"]),
    (bearer("department_staff", "km.guandu", department="km-cgj"), "grid_worker", G03,
     ["a department_staff may not"]),
    (STREET, "district_staff", "km.guandu", ["outside that scope"]),
])
async def test_assigning_outside_ones_remit_is_403_and_writes_nothing(
        api: httpx.AsyncClient, settings: Settings, who: dict, role: str, node: str,
        words: list[str]) -> None:
    await register(api, headers=ADMIN)
    before = count_events(settings.database_url, "grid")
    assert_problem(await assign(api, "u-km-heping-g03", role, node, headers=who), 403, *words)
    assert_problem(await relieve(api, "u-km-heping-g03", role, node, headers=who), 403, *words)
    assert count_events(settings.database_url, "grid") == before


async def test_who_may_register_and_read_history(api: httpx.AsyncClient,
                                                 settings: Settings) -> None:
    for who, words in [(MINHANG, ["outside that scope"]), (RESIDENT, ["a resident may not"]),
                       (bearer("grid_worker", G03), ["a grid_worker may not"])]:
        r = await api.post("/v1/people", json={"staff_id": "u-x", "name": "某某",
                                               "home": HEPING}, headers=who)
        assert_problem(r, 403, *words)
    for body, words in [
        ({"staff_id": "李娟", "name": "李娟", "home": HEPING}, ["staff_id"]),
        ({"staff_id": "u-x", "name": "", "home": HEPING}, ["name"]),
        ({"staff_id": "u-x", "name": "x", "home": HEPING, "age": 3}, ["age"]),
        ({"staff_id": "u-x", "name": "x", "home": HEPING, "contact": {"phone": "call"}},
         ["contact.phone"]),
    ]:
        assert_problem(await api.post("/v1/people", json=body, headers=ADMIN), 422, *words)
    r = await api.post("/v1/people", json={"staff_id": "u-x", "name": "x",
                                           "home": "km.guandu.nowhere"}, headers=ADMIN)
    assert_problem(r, 404, "unknown tier node")
    assert count_events(settings.database_url, "grid") == len(SMALL_CITY) + len(DEPARTMENTS)

    # Street and district staff manage the tiers below them; roles are public, history is
    # for staff.
    await register(api, "u-zhang", name="张秀英", headers=STREET)
    assert (await assign(api, "u-zhang", "community_staff", HEPING, headers=STREET)).is_success
    assert (await assign(api, "u-zhang", "street_staff", "km.guandu.taihe",
                         headers=DISTRICT)).is_success
    assert (await api.get("/v1/people/u-zhang", headers=RESIDENT)).status_code == 200
    assert_problem(await api.get("/v1/people/u-zhang/history", headers=RESIDENT), 403,
                   "a resident may not read the history")
    assert_problem(await api.get("/v1/people/u-nobody", headers=ADMIN), 404, "no person")


async def test_a_retired_node_takes_no_new_roles_but_its_holders_can_be_relieved(
        api: httpx.AsyncClient) -> None:
    await register(api)
    assert (await assign(api, "u-km-heping-g03", "grid_worker", G04)).is_success
    r = await api.post(f"/v1/nodes/{G04}/retire", json={"reason": "并入第三网格"},
                       headers=DISTRICT)
    assert r.status_code == 200, r.text
    assert_problem(await assign(api, "u-km-heping-g03", "info_officer", G04), 404, "retired")
    assert (await relieve(api, "u-km-heping-g03", "grid_worker", G04,
                          reason="网格撤并")).is_success


# -- the demo city --------------------------------------------------------------------------

async def test_every_demo_staff_entry_lands_and_seeding_again_changes_nothing(
        settings: Settings, clock: ManualClock) -> None:
    city = json.loads(CITY_FILE.read_text(encoding="utf-8"))
    staff = city["staff"]
    app = open_app(settings, clock)
    try:
        app.register_nodes([NodeSpec(n["path"], n["level"], n["name"]) for n in city["nodes"]],
                           SYSTEM)
        first = app.seed_people(staff, SYSTEM)
        assert (first.registered, first.assigned) == (len({s["id"] for s in staff}), len(staff))
        stored = count_events(settings.database_url, "grid")
        again = app.seed_people(staff, SYSTEM)
        assert (again.registered, again.renamed, again.assigned, again.unchanged) == (
            0, 0, 0, len(staff))
        assert count_events(settings.database_url, "grid") == stored
        for entry in staff:
            person = app.get_person(entry["id"])
            assert person.name == entry["name"] and person.holds(entry["role"], entry["node"])
    finally:
        app.close()

    service = create_app(settings, clock=clock)
    expected = {(s["id"], s["role"], s["node"], s.get("department")) for s in staff}
    cities = sorted({s["node"].split(".")[0] for s in staff})

    async def landed() -> set[tuple]:
        got = set()
        for city_path in cities:
            r = await client.get(f"/v1/nodes/{city_path}/roles",
                                 params={"subtree": "true", "limit": 5000}, headers=ADMIN)
            if r.status_code == 200:
                got |= {(h["staff_id"], h["role"], h["node"], h["department"])
                        for h in r.json()["holders"]}
        return got

    async with serve(service) as client:
        assert await eventually(landed, lambda got: got == expected) == expected
