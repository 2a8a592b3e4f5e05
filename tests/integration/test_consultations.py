"""Consultations (议事) over HTTP on the real PostgreSQL: open, vote, close, conclude and
publish; every refusal is a problem response with the reason, and nothing is written."""

from __future__ import annotations

import asyncio
import time
from uuid import UUID

import httpx
import pytest

from services.issues.application import IssuesApplication
from shared.eventstore import open_application
from shared.sealing import Sealer
from tests.conftest import DATA_KEY
from tests.integration.test_issues_api import COMMUNITY, raise_issue
from tests.integration.test_refusals import assert_problem
from tests.utils.city import BUILDING
from tests.utils.households import learned, register_households
from tests.utils.store import count_events, stored_events
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

HEPING = "km.guandu.taihe.heping"
OTHER_COMMUNITY = bearer("community_staff", "km.guandu.taihe.minhang", sub="c-99")
STREET = bearer("street_staff", "km.guandu.taihe", sub="s-01")
HOUSEHOLDS = [f"jjy102-b1-{n}" for n in range(301, 310)]  # nine households


def resident(n: int, scope: str = HEPING) -> dict[str, str]:
    return bearer("resident", scope, sub=f"r-{n:03d}")


FAMILY = 50  # resident(50) lives in HOUSEHOLDS[0] too, verified


@pytest.fixture
async def register(issues_api, settings) -> None:
    """The register has resident(n) verified for HOUSEHOLDS[n] (and resident(50) for the
    first, their family), 80-odd m² each; the issues service has learned it."""
    members = {h: [f"r-{n:03d}"] for n, h in enumerate(HOUSEHOLDS)}
    members[HOUSEHOLDS[0]].append(f"r-{FAMILY:03d}")
    register_households(settings.database_url,
                        {h: f"{80 + n}.50" for n, h in enumerate(HOUSEHOLDS)}, members)
    await learned(issues_api, f"r-{len(HOUSEHOLDS) - 1:03d}", 1)


def opening(**over: object) -> dict:
    body = {
        "node": HEPING, "topic": "姜家园102号后巷整治与车棚", "form": "council",
        "convenor": {"name": "范新华", "role": "说事理事会"},
        "parties": [{"kind": "resident", "name": "居民代表"},
                    {"kind": "merchant", "name": "一楼八家商户"},
                    {"kind": "department", "name": "城管科"},
                    {"kind": "other", "name": "综治办"},
                    {"kind": "police", "name": "社区民警"}],
        "proposals": [{"title": "商户拆除后巷违建披棚"}, {"title": "公共区域修建车棚"},
                      {"title": "封堵商户后门"}],
        "eligible_households": HOUSEHOLDS, "rule": "two_thirds_eligible", "quorum": "1/2",
    }
    body.update(over)
    return body


async def open_consultation(api: httpx.AsyncClient, **over: object) -> dict:
    r = await api.post("/v1/consultations", json=opening(**over), headers=COMMUNITY)
    assert r.status_code == 201, r.text
    return r.json()


async def vote(api: httpx.AsyncClient, cid: str, household: str, proposal: str, choice: str,
               headers: dict = COMMUNITY) -> httpx.Response:
    return await api.post(f"/v1/consultations/{cid}/votes", headers=headers,
                          json={"household": household, "proposal": proposal, "choice": choice})


async def acknowledged_issue(api: httpx.AsyncClient) -> dict:
    issue = await raise_issue(api, title="后巷被商户占用、垃圾遍地",
                              category="public_affairs.occupied_space")
    r = await api.post(f"/v1/issues/{issue['id']}/acknowledge", json={}, headers=COMMUNITY)
    assert r.status_code == 200, r.text
    return issue


async def test_the_xiaotaoyuan_vote_passes_two_thirds_is_published_and_assigns_the_issue(
        issues_api, settings, register) -> None:
    """Seed 004 (有一说一): residents, merchants, urban management, the comprehensive
    management office and the police deliberate; over two thirds of households approve the
    bike shed; the conclusion is published and assigned on the issue."""
    issue = await acknowledged_issue(issues_api)
    c = await open_consultation(issues_api, issue_id=issue["id"])
    cid = c["id"]
    assert [p["id"] for p in c["proposals"]] == ["p1", "p2", "p3"]
    assert c["form_name"] == "议事会" and c["status"] == "open" and c["quorum"] == "1/2"
    # Seven households vote online, each from a resident account verified for it; two on
    # paper.
    for n, household in enumerate(HOUSEHOLDS):
        who = resident(n) if n < 7 else COMMUNITY
        for proposal, yes_until in (("p1", 8), ("p2", 7), ("p3", 3)):
            r = await vote(issues_api, cid, household, proposal,
                           "yes" if n < yes_until else "no", headers=who)
            assert r.status_code == 200, r.text
            assert r.json()["ballot"] == ("online" if n < 7 else "paper")
    seen = (await issues_api.get(f"/v1/consultations/{cid}", headers=resident(0))).json()
    assert [p["households_voted"] for p in seen["proposals"]] == [9, 9, 9]
    assert seen["tally"] is None and "history" not in seen  # no split before the close

    closed = await issues_api.post(f"/v1/consultations/{cid}/close", headers=COMMUNITY)
    assert closed.status_code == 200, closed.text
    tally = closed.json()["tally"]
    assert tally["p2"] == {"yes": 7, "no": 2, "abstain": 0, "cast": 9, "eligible": 9,
                           "quorum_needed": 5, "quorum_met": True, "yes_needed": 6,
                           "passed": True}
    assert (tally["p1"]["passed"], tally["p3"]["passed"]) == (True, False)

    assignments = [
        {"kind": "property_company", "id": "wy-xty", "name": "小桃园物业", "task": "拆除披棚"},
        {"kind": "owners_committee", "id": "yw-jjy102", "name": "业委会", "task": "建车棚、装监控"},
    ]
    r = await issues_api.post(f"/v1/consultations/{cid}/conclude", headers=COMMUNITY, json={
        "conclusion": "商户同意拆除违建、修建车棚；居民同意维护环境、不再乱扔垃圾",
        "adopted": ["p1", "p2"], "assignments": assignments})
    assert r.status_code == 200, r.text
    conclusion = r.json()["conclusion"]
    assert conclusion["adopted"] == ["p1", "p2"] and conclusion["published_at"]

    # The issue was assigned twice by the conclusion, in the same transaction.
    stored = stored_events(settings.database_url, "issues")
    assert [(row[0], row[2]) for row in stored[-3:]] == [
        (cid, "gongzhi.consultation.concluded.v1"), (issue["id"], "gongzhi.issue.assigned.v1"),
        (issue["id"], "gongzhi.issue.assigned.v1")]
    got = (await issues_api.get(f"/v1/issues/{issue['id']}", headers=COMMUNITY)).json()
    assigned = [h for h in got["history"] if h["type"] == "gongzhi.issue.assigned.v1"]
    assert [(h["data"]["assignee"]["id"], h["data"]["consultation_id"], h["data"]["note"])
            for h in assigned] == [("wy-xty", cid, "拆除披棚"),
                                   ("yw-jjy102", cid, "建车棚、装监控")]
    assert got["status"] == "assigned"

    # Published (公示): the notice board of the community, and of the street above it.
    for who, node in ((resident(3), HEPING), (STREET, "km.guandu.taihe")):
        board = await eventually(
            lambda w=who, n=node: issues_api.get(f"/v1/consultations/notices?node={n}",
                                                 headers=w),
            lambda r: r.status_code == 200 and len(r.json()) == 1)
        notice = board.json()[0]
        assert notice["id"] == cid and notice["adopted"] == ["p1", "p2"]
        assert notice["tally"]["p3"]["passed"] is False
        assert notice["assignments"] == assignments
    listed = await issues_api.get("/v1/consultations?status=concluded", headers=COMMUNITY)
    assert [(x["id"], x["ballots"], x["eligible"]) for x in listed.json()] == [(cid, 27, 9)]
    audit = (await issues_api.get(f"/v1/consultations/{cid}", headers=COMMUNITY)).json()
    assert sum(h["type"] == "gongzhi.consultation.vote_cast.v1" for h in audit["history"]) == 27


async def test_a_changed_vote_replaces_the_counted_one_and_a_repeat_writes_nothing(
        issues_api, settings, register) -> None:
    c = await open_consultation(issues_api, rule="simple_majority_cast", quorum=None)
    cid, me = c["id"], resident(0)
    assert (await vote(issues_api, cid, HOUSEHOLDS[0], "p2", "no", me)).json()["recorded"]
    r = await vote(issues_api, cid, HOUSEHOLDS[0], "p2", "yes", me)
    assert r.json()["recorded"] is True
    before = count_events(settings.database_url, "issues")
    r = await vote(issues_api, cid, HOUSEHOLDS[0], "p2", "yes", me)
    assert r.status_code == 200 and r.json()["recorded"] is False
    assert count_events(settings.database_url, "issues") == before
    # Staff record the household's paper ballot at the meeting: it replaces the online one.
    assert (await vote(issues_api, cid, HOUSEHOLDS[0], "p2", "abstain")).json()["recorded"]
    closed = (await issues_api.post(f"/v1/consultations/{cid}/close", headers=COMMUNITY)).json()
    p2 = closed["tally"]["p2"]
    assert (p2["yes"], p2["no"], p2["abstain"], p2["cast"], p2["passed"]) == (0, 0, 1, 1, False)
    history = (await issues_api.get(f"/v1/consultations/{cid}", headers=COMMUNITY)).json()
    replaced = [h["data"]["replaces"] for h in history["history"]
                if h["type"] == "gongzhi.consultation.vote_cast.v1"]
    assert replaced == [None, "no", "yes"]


async def test_a_proposal_raised_at_the_meeting_is_voted_like_the_others(issues_api) -> None:
    c = await open_consultation(issues_api, rule="two_thirds_cast", quorum=None)
    r = await issues_api.post(f"/v1/consultations/{c['id']}/proposals", headers=COMMUNITY,
                              json={"title": "车棚安装监控和充电桩"})
    assert r.status_code == 200, r.text
    assert [p["id"] for p in r.json()["proposals"]] == ["p1", "p2", "p3", "p4"]
    for household in HOUSEHOLDS[:3]:
        assert (await vote(issues_api, c["id"], household, "p4", "yes")).status_code == 200
    closed = (await issues_api.post(f"/v1/consultations/{c['id']}/close",
                                    headers=COMMUNITY)).json()
    assert closed["tally"]["p4"]["passed"] is True and closed["tally"]["p1"]["cast"] == 0
    listed = await eventually(
        lambda: issues_api.get(f"/v1/consultations?node={HEPING}", headers=COMMUNITY),
        lambda r: r.json() and r.json()[0]["status"] == "voting_closed")
    assert len(listed.json()[0]["proposals"]) == 4


async def test_opening_again_with_the_same_key_returns_the_first(issues_api, settings) -> None:
    key = {"Idempotency-Key": "yysy-2026-11"}
    first = await issues_api.post("/v1/consultations", json=opening(), headers=COMMUNITY | key)
    assert first.status_code == 201
    again = await issues_api.post("/v1/consultations", json=opening(), headers=COMMUNITY | key)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    before = count_events(settings.database_url, "issues")
    other = await issues_api.post("/v1/consultations", json=opening(topic="别的事"),
                                  headers=COMMUNITY | key)
    assert_problem(other, 409, "Idempotency-Key was already used")
    assert count_events(settings.database_url, "issues") == before == 1


# -- refusals: a 4xx with the reason, and nothing written ----------------------------------

async def refused(api: httpx.AsyncClient, settings, status: int, words: list[str],
                  method: str, url: str, headers: dict, json: dict | None = None) -> None:
    before = count_events(settings.database_url, "issues")
    r = await api.request(method, url, json=json, headers=headers)
    assert_problem(r, status, *words)
    assert count_events(settings.database_url, "issues") == before


@pytest.mark.parametrize(("over", "headers", "status", "words"), [
    ({}, resident(1), 403, ["resident may not open a consultation"]),
    ({}, OTHER_COMMUNITY, 403, ["may not open a consultation at 'km.guandu.taihe.heping'"]),
    ({"node": "km.guandu.taihe.nowhere"}, STREET, 422, ["unknown tier node"]),
    ({"quorum": None}, COMMUNITY, 422, ["two_thirds_eligible rule needs a quorum"]),
    ({"quorum": "3/2"}, COMMUNITY, 422, ["quorum 3/2 must be more than 0 and at most 1"]),
    ({"rule": "unanimity"}, COMMUNITY, 422, ["rule"]),
    ({"form": "party"}, COMMUNITY, 422, ["form"]),
    ({"eligible_households": ["a-1", "a-1"]}, COMMUNITY, 422, ["listed twice: a-1"]),
    ({"eligible_households": ["Room 301"]}, COMMUNITY, 422, ["eligible_households"]),
    ({"proposals": []}, COMMUNITY, 422, ["proposals"]),
    ({"parties": [{"kind": "mayor", "name": "x"}]}, COMMUNITY, 422, ["parties.0.kind"]),
    ({"issue_id": "00000000-0000-0000-0000-000000000000"}, COMMUNITY, 404, ["no issue"]),
])
async def test_an_opening_that_breaks_a_rule_is_refused(issues_api, settings, over, headers,
                                                        status, words) -> None:
    await refused(issues_api, settings, status, words, "POST", "/v1/consultations", headers,
                  opening(**over))


async def test_a_consultation_on_an_issue_meets_at_its_node_or_above(issues_api,
                                                                     settings) -> None:
    issue = await raise_issue(issues_api)  # at a building of 和平路社区
    await refused(issues_api, settings, 422, ["outside 'km.guandu.taihe.heping.g04'"], "POST",
                  "/v1/consultations", COMMUNITY,
                  opening(node="km.guandu.taihe.heping.g04", issue_id=issue["id"]))
    await open_consultation(issues_api, node=BUILDING, issue_id=issue["id"])


async def test_votes_that_break_a_rule_are_refused(issues_api, settings, register) -> None:
    c = await open_consultation(issues_api, allow_change=False)
    url = f"/v1/consultations/{c['id']}/votes"
    assert (await vote(issues_api, c["id"], HOUSEHOLDS[0], "p1", "yes", resident(0))).is_success

    def ballot(household: str = HOUSEHOLDS[0], proposal: str = "p1",
               choice: str = "no") -> dict:
        return {"household": household, "proposal": proposal, "choice": choice}

    for status, words, headers, body in [
        (409, ["already voted 'yes' on p1", "does not allow changing a vote"], resident(0),
         ballot()),
        (409, ["does not allow changing"], COMMUNITY, ballot()),  # a paper ballot neither
        (403, ["'jjy102-b9-999' is not eligible"], resident(0), ballot("jjy102-b9-999")),
        (422, ["no proposal 'p9'", "it has p1, p2, p3"], resident(0), ballot(proposal="p9")),
        (422, ["choice"], resident(0), ballot(choice="maybe")),
        (403, ["another resident's account"], resident(FAMILY), ballot(proposal="p2")),
        # Ballot stuffing: a resident voting for a neighbour's household.
        (403, ["r-000 is not a verified member of household 'jjy102-b1-302'"], resident(0),
         ballot(HOUSEHOLDS[1], choice="yes")),
        (403, ["not a verified member"], resident(99), ballot(HOUSEHOLDS[5], choice="yes")),
        (403, ["may not see a consultation"], resident(3, "km.guandu.taihe.minhang"),
         ballot(HOUSEHOLDS[5])),
        (403, ["may not record paper ballots"], OTHER_COMMUNITY, ballot(HOUSEHOLDS[5])),
        (403, ["department_staff may not record paper ballots"],
         bearer("department_staff", "km.guandu", department="km-cgj"), ballot(HOUSEHOLDS[5])),
    ]:
        await refused(issues_api, settings, status, words, "POST", url, headers, body)

    assert (await issues_api.post(f"/v1/consultations/{c['id']}/close",
                                  headers=COMMUNITY)).status_code == 200
    await refused(issues_api, settings, 409, ["voting closed"], "POST", url, resident(4),
                  ballot(HOUSEHOLDS[4], choice="yes"))
    await refused(issues_api, settings, 409, ["voting closed"], "POST",
                  f"/v1/consultations/{c['id']}/proposals", COMMUNITY, {"title": "迟到的提案"})
    await refused(issues_api, settings, 409, ["voting closed"], "POST",
                  f"/v1/consultations/{c['id']}/close", COMMUNITY)


async def test_conclusions_that_break_a_rule_are_refused(issues_api, settings) -> None:
    c = await open_consultation(issues_api, rule="simple_majority_cast", quorum=None)
    cid = c["id"]
    conclude = f"/v1/consultations/{cid}/conclude"
    body = {"conclusion": "修建车棚", "adopted": ["p2"], "assignments": []}
    await refused(issues_api, settings, 409, ["after its voting closed; this one is open"],
                  "POST", conclude, COMMUNITY, body)
    await vote(issues_api, cid, HOUSEHOLDS[0], "p1", "yes")
    await vote(issues_api, cid, HOUSEHOLDS[0], "p2", "no")
    await refused(issues_api, settings, 403, ["may not close voting"], "POST",
                  f"/v1/consultations/{cid}/close", OTHER_COMMUNITY)
    assert (await issues_api.post(f"/v1/consultations/{cid}/close",
                                  headers=COMMUNITY)).status_code == 200
    for status, words, headers, over in [
        (409, ["p2 did not pass (0 yes of 1 cast, 1 needed under simple_majority_cast)"],
         COMMUNITY, {}),
        (422, ["no proposal 'p7'"], COMMUNITY, {"adopted": ["p7"]}),
        (422, ["assignments.0.kind"], COMMUNITY,
         {"adopted": ["p1"], "assignments": [{"kind": "mayor", "id": "x", "task": "t"}]}),
        (403, ["may not conclude a consultation"], OTHER_COMMUNITY, {"adopted": ["p1"]}),
        (403, ["resident may not conclude"], resident(1), {"adopted": ["p1"]}),
    ]:
        await refused(issues_api, settings, status, words, "POST", conclude, headers,
                      body | over)
    ok = await issues_api.post(conclude, headers=COMMUNITY, json=body | {"adopted": ["p1"]})
    assert ok.status_code == 200, ok.text
    await refused(issues_api, settings, 409, ["concluded once"], "POST", conclude, COMMUNITY,
                  body | {"adopted": ["p1"]})


async def test_a_conclusion_cannot_assign_an_unacknowledged_issue(issues_api, settings) -> None:
    issue = await raise_issue(issues_api, category="public_affairs.occupied_space")
    c = await open_consultation(issues_api, issue_id=issue["id"], rule="two_thirds_cast",
                                quorum=None)
    await vote(issues_api, c["id"], HOUSEHOLDS[0], "p2", "yes")
    await issues_api.post(f"/v1/consultations/{c['id']}/close", headers=COMMUNITY)
    await refused(
        issues_api, settings, 409,
        [f"the conclusion assigns issue {issue['id']}, but cannot assign an issue that is raised"],
        "POST", f"/v1/consultations/{c['id']}/conclude", COMMUNITY,
        {"conclusion": "修建车棚", "adopted": ["p2"],
         "assignments": [{"kind": "owners_committee", "id": "yw", "task": "建车棚"}]})
    got = (await issues_api.get(f"/v1/consultations/{c['id']}", headers=COMMUNITY)).json()
    assert got["status"] == "voting_closed" and got["conclusion"] is None


async def test_who_may_see_a_consultation(issues_api) -> None:
    c = await open_consultation(issues_api)
    url = f"/v1/consultations/{c['id']}"
    for who in (resident(1), STREET, bearer("resident", BUILDING, sub="r-b")):
        assert (await issues_api.get(url, headers=who)).status_code == 200
    r = await issues_api.get(url, headers=OTHER_COMMUNITY)
    assert_problem(r, 403, "may not see a consultation at 'km.guandu.taihe.heping'")
    r = await issues_api.get("/v1/consultations/notices?node=km.guandu.taihe",
                             headers=resident(1))
    assert_problem(r, 403, "may not read the notice board")
    r = await issues_api.get("/v1/consultations/00000000-0000-0000-0000-000000000000",
                             headers=COMMUNITY)
    assert_problem(r, 404, "no consultation")


async def test_households_voting_at_once_are_all_counted(patient_issues_api,
                                                         settings) -> None:
    """Ballots racing on one consultation: a conflicting save reloads and asks again, so
    every household's ballot counts, once."""
    issues_api = patient_issues_api
    households = [f"jjy102-b2-{n}" for n in range(60)]
    register_households(settings.database_url, {h: "60" for h in households},
                        {h: [f"r-{100 + n:03d}"] for n, h in enumerate(households)})
    await learned(issues_api, f"r-{100 + len(households) - 1:03d}", 1)
    c = await open_consultation(issues_api, eligible_households=households,
                                rule="simple_majority_cast", quorum=None)
    started = time.perf_counter()
    results = await asyncio.gather(*(
        vote(issues_api, c["id"], h, "p2", "yes", resident(100 + n))
        for n, h in enumerate(households)))
    elapsed = time.perf_counter() - started
    print(f"{len(households)} concurrent ballots in {elapsed:.2f}s")
    assert [r.status_code for r in results] == [200] * len(households), [
        r.text for r in results if r.status_code != 200][:3]
    closed = (await issues_api.post(f"/v1/consultations/{c['id']}/close",
                                    headers=COMMUNITY)).json()
    assert closed["tally"]["p2"]["yes"] == len(households)
    assert count_events(settings.database_url, "issues") == 1 + len(households) + 1


async def test_ballots_stored_by_another_replica_are_seen_here(issues_api, settings) -> None:
    """This process keeps the consultations it saved last and fast-forwards them; what
    another replica stored in between still counts, and is judged by the same rules."""
    c = await open_consultation(issues_api, rule="simple_majority_cast", quorum=None)
    cid = c["id"]
    assert (await vote(issues_api, cid, HOUSEHOLDS[0], "p1", "yes")).json()["recorded"]
    replica = open_application(IssuesApplication, settings.database_url,
                               sealer=Sealer(DATA_KEY))
    try:
        staff = {"actor": {"sub": "c-02", "role": "community_staff", "name": ""}}
        assert replica.cast_vote(UUID(cid), HOUSEHOLDS[0], "p1", "no", None, staff) is True
        assert replica.cast_vote(UUID(cid), HOUSEHOLDS[1], "p1", "no", None, staff) is True
    finally:
        replica.close()
    again = await vote(issues_api, cid, HOUSEHOLDS[0], "p1", "no")
    assert again.status_code == 200 and again.json()["recorded"] is False
    assert (await vote(issues_api, cid, HOUSEHOLDS[2], "p1", "yes")).json()["recorded"]
    tally = (await issues_api.post(f"/v1/consultations/{cid}/close",
                                   headers=COMMUNITY)).json()["tally"]["p1"]
    assert (tally["yes"], tally["no"], tally["passed"]) == (1, 2, False)


async def test_parties_may_name_departments_who_then_find_the_consultation(
        issues_api, settings) -> None:
    """A department party names its code (a registered department whose jurisdiction covers
    the node); the department's staff list the consultations it takes part in."""
    from services.grid.application import DepartmentSpec, GridApplication
    from tests.utils.city import SYSTEM
    from tests.utils.whistles import DEPARTMENTS

    grid = open_application(GridApplication, settings.database_url, sealer=Sealer(DATA_KEY))
    try:
        grid.register_departments([DepartmentSpec(**d) for d in DEPARTMENTS], SYSTEM)
    finally:
        grid.close()
    parties = [{"kind": "department", "name": "城管科", "department": "km-cgj"},
               {"kind": "police", "name": "社区民警"}]
    opened = await eventually(
        lambda: issues_api.post("/v1/consultations", json=opening(parties=parties),
                                headers=COMMUNITY),
        lambda r: r.status_code == 201, timeout=30)
    assert opened.json()["parties"] == parties
    await open_consultation(issues_api)  # another, without departments

    urban = bearer("department_staff", "km.guandu", sub="cg-1", department="km-cgj")
    listed = await eventually(
        lambda: issues_api.get("/v1/consultations?department=km-cgj", headers=urban),
        lambda r: r.status_code == 200 and len(r.json()) == 1)
    assert listed.json()[0]["id"] == opened.json()["id"]
    r = await issues_api.get("/v1/consultations?department=km-cgj", headers=COMMUNITY)
    assert [c["id"] for c in r.json()] == [opened.json()["id"]]
    assert_problem(await issues_api.get("/v1/consultations", headers=urban), 403,
                   "add department=km-cgj")
    assert_problem(await issues_api.get("/v1/consultations?department=km-gaj",
                                        headers=urban), 403, "their own department")

    for party, words in [
        ({"kind": "department", "name": "x", "department": "km-nowhere"},
         "unknown department 'km-nowhere'"),
        ({"kind": "department", "name": "x", "department": "km-minhang-only"},
         "does not cover 'km.guandu.taihe.heping'"),
        ({"kind": "merchant", "name": "x", "department": "km-cgj"},
         "only a department party names a department code"),
    ]:
        await refused(issues_api, settings, 422, [words], "POST", "/v1/consultations",
                      COMMUNITY, opening(parties=[party]))
    await refused(issues_api, settings, 422, ["named twice"], "POST", "/v1/consultations",
                  COMMUNITY, opening(parties=[parties[0], parties[0]]))
