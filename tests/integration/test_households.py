"""The household register (户) over HTTP on the real PostgreSQL: grid keeps it, the issues
service learns verified memberships from grid's events, and consultations count a resident's
online ballot only for their own household; art. 278 owners' votes from registered areas."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from tests.integration.test_refusals import assert_problem
from tests.unit.test_civil_code_278 import AREAS, by_article, exact
from tests.utils.households import UNIT, learned, register_households
from tests.utils.store import count_events
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

HEPING = "km.guandu.taihe.heping"
Y017 = f"{HEPING}.g03.y017"
HEAD = bearer("compound_head", Y017, sub="ch-17")
COMMUNITY = bearer("community_staff", HEPING, sub="c-01")
MINHANG = bearer("community_staff", "km.guandu.taihe.minhang", sub="c-99")
WORKER = bearer("grid_worker", f"{HEPING}.g03", sub="gw-03")
ME = bearer("resident", HEPING, sub="r-wang")
NEIGHBOUR = bearer("resident", HEPING, sub="r-li")


async def register(grid: httpx.AsyncClient, code: str, area: str = "89.5",
                   headers: dict = HEAD) -> dict:
    r = await grid.post("/v1/households", json={"code": code, "node": UNIT, "area": area},
                        headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def mine(issues: httpx.AsyncClient, who: dict = ME) -> list[dict]:
    r = await issues.get("/v1/me/households", headers=who)
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_resident_links_is_verified_by_the_compound_head_and_moves(platform) -> None:
    grid, issues = platform.grid, platform.issues
    created = await register(grid, "y017-b02-101")
    assert (created["area"], created["node"], created["residents"]) == ("89.50", UNIT, [])
    await register(grid, "y017-b02-102", "120", headers=COMMUNITY)

    r = await grid.post("/v1/households/y017-b02-101/residents", json={"relation": "owner"},
                        headers=ME)
    assert r.status_code == 201, r.text
    assert r.json()["residents"][0] | {"since": None} == {
        "resident": "r-wang", "relation": "owner", "verified": False, "since": None,
        "verified_at": None, "verified_by": None}
    pending = await eventually(lambda: mine(issues), lambda rows: len(rows) == 1)
    assert pending[0]["verified"] is False
    todo = await eventually(lambda: grid.get("/v1/households?pending=true", headers=HEAD),
                            lambda r: r.status_code == 200 and r.json())
    assert [h["code"] for h in todo.json()] == ["y017-b02-101"]

    r = await grid.post("/v1/households/y017-b02-101/residents/r-wang/verify", headers=HEAD)
    assert r.status_code == 200, r.text
    assert r.json()["residents"][0]["verified_by"] == "ch-17"
    await eventually(lambda: mine(issues), lambda rows: rows[0]["verified"] is True)
    assert (await grid.get("/v1/households/y017-b02-101", headers=ME)).status_code == 200

    # Staff enrol a neighbour verified at once; a corrected area reaches the issues service.
    r = await grid.post("/v1/households/y017-b02-102/residents",
                        json={"resident": "r-li", "relation": "tenant"}, headers=COMMUNITY)
    assert r.json()["residents"][0]["verified"] is True
    r = await grid.patch("/v1/households/y017-b02-101", headers=HEAD,
                         json={"area": "91.25", "reason": "房产证面积"})
    assert r.status_code == 200 and r.json()["area"] == "91.25"
    await eventually(lambda: mine(issues), lambda rows: rows[0]["area"] == "91.25")

    # The move: out of 101, into 102, verified there; both histories keep it.
    r = await grid.post("/v1/households/y017-b02-101/residents/r-wang/move", headers=HEAD,
                        json={"to": "y017-b02-102", "reason": "换房"})
    assert r.status_code == 200, r.text
    assert r.json()["from"]["residents"] == []
    assert [m["resident"] for m in r.json()["to"]["residents"]] == ["r-li", "r-wang"]
    moved = await eventually(lambda: mine(issues),
                             lambda rows: [h["code"] for h in rows] == ["y017-b02-102"])
    assert moved[0]["verified"] is True and moved[0]["area"] == "120.00"
    history = (await grid.get("/v1/households/y017-b02-101/history", headers=HEAD)).json()
    assert [h["type"].split(".")[2] for h in history] == [
        "registered", "resident_linked", "resident_verified", "area_changed", "resident_left"]
    assert history[-1]["data"]["moved_to"] == "y017-b02-102"
    assert history[2]["by"]["sub"] == "ch-17"
    into = (await grid.get("/v1/households/y017-b02-102/history", headers=COMMUNITY)).json()
    assert into[-2]["data"] | {"at": None} == {
        "household": "y017-b02-102", "resident": "r-wang", "relation": "owner",
        "moved_from": "y017-b02-101", "at": None}

    # The keepers' list of the register under their compound, and their to-do list.
    listed = await eventually(
        lambda: grid.get("/v1/households", headers=HEAD),
        lambda r: r.status_code == 200 and len(r.json()) == 2
        and len(r.json()[1]["residents"]) == 2)
    assert [(h["code"], h["area"], [m["resident"] for m in h["residents"]])
            for h in listed.json()] == [("y017-b02-101", "91.25", []),
                                        ("y017-b02-102", "120.00", ["r-li", "r-wang"])]
    assert (await grid.get("/v1/households?pending=true", headers=HEAD)).json() == []
    assert_problem(await grid.get("/v1/households", headers=ME), 403,
                   "may not list the household register")
    assert_problem(await grid.get(f"/v1/households?node={HEPING}", headers=HEAD), 403,
                   "outside that scope")
    r = await grid.post("/v1/households/y017-b02-102/residents/r-wang/leave", headers=ME,
                        json={"reason": "搬离本市"})
    assert r.status_code == 200 and [m["resident"] for m in r.json()["residents"]] == ["r-li"]
    await eventually(lambda: mine(issues), lambda rows: rows == [])


async def test_refusals_say_why_and_write_nothing(platform, settings) -> None:
    grid = platform.grid
    await register(grid, "y017-b02-201")
    await grid.post("/v1/households/y017-b02-201/residents", json={"relation": "owner"},
                    headers=ME)
    cases = [
        ("POST", "/v1/households", ME, {"code": "x-1", "node": UNIT, "area": "50"}, 403,
         ["resident may not register a household"]),
        ("POST", "/v1/households", MINHANG, {"code": "x-1", "node": UNIT, "area": "50"}, 403,
         ["outside that scope"]),
        ("POST", "/v1/households", HEAD, {"code": "x-1", "node": Y017, "area": "50"}, 422,
         ["is a compound"]),
        ("POST", "/v1/households", HEAD, {"code": "x-1", "node": UNIT, "area": "0"}, 422,
         ["more than 0"]),
        ("POST", "/v1/households", HEAD, {"code": "x-1", "node": f"{UNIT}x", "area": "50"},
         404, ["unknown tier node"]),
        ("POST", "/v1/households", HEAD, {"code": "y017-b02-201", "node": UNIT, "area": "50"},
         409, ["already registered"]),
        ("POST", "/v1/households/y017-b02-201/residents", NEIGHBOUR,
         {"resident": "r-wang", "relation": "owner"}, 403, ["links only themself"]),
        ("POST", "/v1/households/y017-b02-201/residents", ME, {"relation": "owner"}, 409,
         ["already linked"]),
        ("POST", "/v1/households/y017-b02-201/residents", HEAD, {"relation": "owner"}, 422,
         ["name the resident"]),
        ("POST", "/v1/households/y017-b02-201/residents", ME, {"relation": "landlord"}, 422,
         ["relation"]),
        ("POST", "/v1/households/y017-b02-201/residents/r-wang/verify", ME, None, 403,
         ["resident may not verify"]),
        ("POST", "/v1/households/y017-b02-201/residents/r-wang/verify", WORKER, None, 403,
         ["grid_worker may not verify a resident"]),
        ("POST", "/v1/households/y017-b02-201/residents/r-wang/verify", MINHANG, None, 403,
         ["outside that scope"]),
        ("POST", "/v1/households/y017-b02-201/residents/r-li/verify", HEAD, None, 409,
         ["not linked"]),
        ("POST", "/v1/households/y017-b02-201/residents/r-wang/leave", NEIGHBOUR,
         {"reason": "x"}, 403, ["resident may not remove"]),
        ("POST", "/v1/households/y017-b02-201/residents/r-wang/move", HEAD,
         {"to": "y017-b02-201", "reason": "x"}, 422, ["already lives in"]),
        ("POST", "/v1/households/y017-b02-201/residents/r-wang/move", HEAD,
         {"to": "y017-b02-999", "reason": "x"}, 404, ["no household 'y017-b02-999'"]),
        ("PATCH", "/v1/households/y017-b02-201", HEAD, {"area": "90", "reason": " "}, 422,
         ["say why"]),
        ("GET", "/v1/households/y017-b02-201", NEIGHBOUR, None, 403,
         ["residents linked to it"]),
        ("GET", "/v1/households/y017-b02-201/history", ME, None, 403, ["for the staff"]),
        ("GET", "/v1/households/y017-b02-999", HEAD, None, 404, ["no household"]),
    ]
    for method, url, who, body, status, words in cases:
        before = count_events(settings.database_url, "grid")
        r = await grid.request(method, url, json=body, headers=who)
        assert_problem(r, status, *words)
        assert count_events(settings.database_url, "grid") == before, (method, url)


async def test_one_resident_cannot_vote_for_all_four_households(platform, settings) -> None:
    """Issue 11's ballot stuffing, on grid and issues together: the register has r-wang in
    one household; their online ballots for the three others are refused, nothing written.
    Once they moved out, their ballot no longer counts for the old household either."""
    grid, issues = platform.grid, platform.issues
    four = [f"y017-b02-30{n}" for n in range(1, 5)]
    for code in four:
        await register(grid, code)
    r = await grid.post(f"/v1/households/{four[0]}/residents",
                        json={"resident": "r-wang", "relation": "owner"}, headers=HEAD)
    assert r.status_code == 201
    await eventually(lambda: mine(issues), lambda rows: len(rows) == 1 and rows[0]["verified"])
    opened = await issues.post("/v1/consultations", headers=COMMUNITY, json={
        "node": HEPING, "topic": "加装电梯", "form": "council",
        "convenor": {"name": "范新华"}, "proposals": [{"title": "二单元加装电梯"}],
        "rule": "simple_majority_cast"})  # eligible: every household the register has here
    assert opened.status_code == 201, opened.text
    c = opened.json()
    assert c["eligible_households"] == four
    url = f"/v1/consultations/{c['id']}/votes"
    for code in four[1:]:
        before = count_events(settings.database_url, "issues")
        r = await issues.post(url, headers=ME,
                              json={"household": code, "proposal": "p1", "choice": "yes"})
        assert_problem(r, 403, f"r-wang is not a verified member of household '{code}'")
        assert count_events(settings.database_url, "issues") == before
    r = await issues.post(url, headers=ME,
                          json={"household": four[0], "proposal": "p1", "choice": "yes"})
    assert r.status_code == 200 and r.json()["ballot"] == "online"

    r = await grid.post(f"/v1/households/{four[0]}/residents/r-wang/move", headers=HEAD,
                        json={"to": four[1], "reason": "换房"})
    assert r.status_code == 200
    await eventually(lambda: mine(issues), lambda rows: [h["code"] for h in rows] == [four[1]])
    r = await issues.post(url, headers=ME,
                          json={"household": four[0], "proposal": "p1", "choice": "no"})
    assert_problem(r, 403, "not a verified member")
    closed = (await issues.post(f"/v1/consultations/{c['id']}/close", headers=COMMUNITY)).json()
    assert (closed["tally"]["p1"]["yes"], closed["tally"]["p1"]["cast"]) == (1, 1)


# -- owners' decisions under 民法典 第278条, from the register's areas ---------------------------

AREA_OF = {f"jjy-{h}": a for h, a in AREAS.items()}


@pytest.fixture
async def owners(issues_api, settings) -> httpx.AsyncClient:
    """Twelve households of 900 m² in the register, each with its owner verified."""
    register_households(settings.database_url, AREA_OF,
                        {code: [f"o-{code}"] for code in AREA_OF})
    await learned(issues_api, "o-jjy-h12", 1)
    return issues_api


async def owners_vote(api: httpx.AsyncClient, matter: str,
                      ballots: dict[str, dict[str, str]]) -> dict:
    """Open an art. 278 vote on the register's households, each owner votes online per
    proposal ({proposal: {household: choice}}), close; the tally."""
    r = await api.post("/v1/consultations", headers=COMMUNITY, json={
        "node": UNIT, "topic": "使用专项维修资金", "form": "council",
        "convenor": {"name": "业委会"}, "rule": "civil_code_278", "matter": matter,
        "proposals": [{"title": f"方案{p}"} for p in ballots]})
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["areas"] == {code: f"{Decimal(a):.2f}" for code, a in AREA_OF.items()}
    for proposal, votes in ballots.items():
        for h, choice in votes.items():
            owner = bearer("resident", HEPING, sub=f"o-jjy-{h}")
            r = await api.post(f"/v1/consultations/{c['id']}/votes", headers=owner,
                               json={"household": f"jjy-{h}", "proposal": proposal,
                                     "choice": choice})
            assert r.status_code == 200, r.text
    closed = await api.post(f"/v1/consultations/{c['id']}/close", headers=COMMUNITY)
    assert closed.status_code == 200, closed.text
    return closed.json()["tally"]


async def test_an_owners_vote_at_exactly_two_thirds_and_three_quarters_passes(owners) -> None:
    """Eight of twelve owners with 600 of 900 m² take part (exactly two thirds of each);
    six with 450 m² approve (exactly three quarters of each): a major matter passes. One
    owner more against, or one fewer taking part, and it fails. Each verdict is checked
    against the article computed here from the areas and counts."""
    p1 = exact()
    p2 = exact() | {"h01": "no"}
    p3 = {h: c for h, c in exact().items() if h != "h08"}
    p4 = exact() | {"h09": "no"}
    tally = await owners_vote(owners, "major", {"p1": p1, "p2": p2, "p3": p3, "p4": p4})
    for pid, ballots in (("p1", p1), ("p2", p2), ("p3", p3), ("p4", p4)):
        assert tally[pid]["passed"] is by_article("major", AREAS, ballots), pid
    assert [tally[p]["passed"] for p in ("p1", "p2", "p3", "p4")] == [True, False, False, False]
    assert tally["p1"]["area"]["cast"] == "600.00" and tally["p1"]["area"]["yes"] == "450.00"
    assert tally["p3"]["participation"] == {"owners": False, "area": False}
    assert tally["p4"]["approval"]["owners"] is False


async def test_an_ordinary_matter_needs_more_than_half_and_refusals_write_nothing(
        owners, settings) -> None:
    half = {"h01": "yes", "h02": "yes", "h03": "yes", "h04": "yes",
            "h05": "no", "h06": "no", "h07": "no", "h08": "no"}
    tally = await owners_vote(owners, "ordinary", {"p1": half, "p2": half | {"h05": "yes"}})
    assert (tally["p1"]["passed"], tally["p2"]["passed"]) == (
        by_article("ordinary", AREAS, half), by_article("ordinary", AREAS, half | {"h05": "yes"}))
    assert (tally["p1"]["passed"], tally["p2"]["passed"]) == (False, True)

    base = {"node": UNIT, "topic": "t", "form": "council", "convenor": {"name": "业委会"},
            "proposals": [{"title": "x"}], "rule": "civil_code_278", "matter": "major"}
    for over, words in [
        ({"eligible_households": ["jjy-h01", "jjy-nowhere"]}, "not there: jjy-nowhere"),
        ({"matter": None}, "needs the matter"),
        ({"quorum": "2/3"}, "sets its own participation"),
        ({"weight": "area"}, "leave weight out"),
        ({"rule": "two_thirds_cast"}, "only the civil_code_278 rule takes a matter"),
        ({"node": "km.guandu.taihe.heping.g04", "matter": None, "rule": "two_thirds_cast"},
         "no household at or under"),
        ({"node": "km.guandu.taihe.heping.g04", "matter": None, "rule": "two_thirds_cast",
          "eligible_households": ["jjy-h01", "jjy-x9"]},
         "places jjy-h01 outside 'km.guandu.taihe.heping.g04'"),
    ]:
        before = count_events(settings.database_url, "issues")
        r = await owners.post("/v1/consultations", json=base | over, headers=COMMUNITY)
        assert_problem(r, 422, words)
        assert count_events(settings.database_url, "issues") == before


async def test_ballots_weighed_by_area_under_a_household_rule(owners) -> None:
    r = await owners.post("/v1/consultations", headers=COMMUNITY, json={
        "node": UNIT, "topic": "车棚", "form": "forum", "convenor": {"name": "业委会"},
        "rule": "simple_majority_cast", "weight": "area", "proposals": [{"title": "建车棚"}],
        "eligible_households": ["jjy-h12", "jjy-h09", "jjy-h10"]})  # 100, 50, 70 m²
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    for h, choice in (("h12", "yes"), ("h09", "no"), ("h10", "no")):
        r = await owners.post(f"/v1/consultations/{cid}/votes",
                              headers=bearer("resident", HEPING, sub=f"o-jjy-{h}"),
                              json={"household": f"jjy-{h}", "proposal": "p1", "choice": choice})
        assert r.status_code == 200, r.text
    tally = (await owners.post(f"/v1/consultations/{cid}/close",
                               headers=COMMUNITY)).json()["tally"]["p1"]
    assert (tally["yes"], tally["no"], tally["passed"]) == (1, 2, False)  # 100 of 220 m²
    assert (tally["area"]["yes"], tally["area"]["cast"], tally["area"]["yes_needed"]) == (
        "100.00", "220.00", "110.01")


def test_the_demo_households_are_seeded_once(settings) -> None:
    """`gongzhi up` seeds 姜家园102号's households with their verified residents; seeding
    again writes nothing."""
    from gongzhi.demo.seed import HOUSEHOLDS_FILE, seed
    from services.grid.application import GridApplication
    from shared.eventstore import open_application
    from shared.sealing import Sealer
    from tests.conftest import DATA_KEY

    seed(settings.database_url, DATA_KEY)
    stored = count_events(settings.database_url, "grid")
    seed(settings.database_url, DATA_KEY)
    assert count_events(settings.database_url, "grid") == stored
    import json
    entries = json.loads(HOUSEHOLDS_FILE.read_text(encoding="utf-8"))["households"]
    grid = open_application(GridApplication, settings.database_url, sealer=Sealer(DATA_KEY))
    try:
        for entry in entries:
            household = grid.get_household(entry["code"])
            assert household.area == entry["area"]
            assert household.verified_members() == entry["residents"]
    finally:
        grid.close()
