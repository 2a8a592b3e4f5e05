"""Third-party surveys over HTTP: a district opens a campaign over a street, surveyors record
households' answers, results roll up to every node of the subtree; refusals write nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.evaluation.application import SURVEY_SNAPSHOT_EVERY, EvaluationApplication
from services.evaluation.projections import SURVEY_RESULTS
from shared.bus.envelope import Envelope
from shared.clock import ManualClock
from shared.errors import Conflict
from shared.eventstore import open_application
from shared.settings import Settings
from tests.integration.test_ratings import Evaluating, evaluating
from tests.integration.test_refusals import assert_problem
from tests.utils.issue_events import projected
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

DISTRICT = bearer("district_staff", "km.guandu", sub="d-01")
STREET = bearer("street_staff", "km.guandu.taihe", sub="s-01")
HEPING = bearer("community_staff", "km.guandu.taihe.heping", sub="c-heping")
MINHANG = bearer("community_staff", "km.guandu.taihe.minhang", sub="c-minhang")
RESIDENT = bearer("resident", "km.guandu.taihe.heping", sub="r-001")
OTHER_STREET = bearer("street_staff", "km.guandu.guanshang", sub="s-guanshang")
QUESTIONS = [
    {"key": "overall", "text": "对社区治理的总体满意度", "kind": "scale"},
    {"key": "safe", "text": "夜间出行是否感到安全", "kind": "yes_no"},
    {"key": "worst", "text": "最突出的问题", "kind": "choice", "options": ["停车", "垃圾", "噪音"]},
]
G03 = "km.guandu.taihe.heping.g03"
# (household, node, surveyor, answers)
RESPONSES = [
    ("h-101", "km.guandu.taihe.heping.g03.y017.b02", HEPING,
     {"overall": 5, "safe": True, "worst": "停车"}),
    ("h-102", "km.guandu.taihe.heping.g03.y017.b02.u1", HEPING,
     {"overall": 4, "safe": True, "worst": "停车"}),
    ("h-201", "km.guandu.taihe.heping.g04", STREET, {"overall": 2, "safe": False, "worst": "噪音"}),
    ("h-301", "km.guandu.taihe.minhang", MINHANG, {"overall": 3, "safe": True, "worst": "垃圾"}),
]


@pytest.fixture
async def platform(settings: Settings) -> AsyncIterator[Evaluating]:
    async with evaluating(settings, issues=False) as p:
        yield p


async def open_survey(p: Evaluating) -> str:
    r = await p.evaluation.post("/v1/surveys", headers=DISTRICT, json={
        "title": "2026年太和街道第三方满意度测评", "node": "km.guandu.taihe",
        "questions": QUESTIONS})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "open" and r.json()["questions"][2]["options"] == [
        "停车", "垃圾", "噪音"]
    return r.json()["id"]


async def respond(p: Evaluating, sid: str, household: str, node: str, headers: dict,
                  answers: dict):
    return await p.evaluation.post(f"/v1/surveys/{sid}/responses", headers=headers, json={
        "household": household, "node": node, "answers": answers})


async def results(p: Evaluating, sid: str, node: str, responses: int) -> dict:
    r = await eventually(
        lambda: p.evaluation.get(f"/v1/surveys/{sid}/results", params={"node": node},
                                 headers=DISTRICT),
        lambda r: r.status_code == 200 and r.json()["responses"] == responses)
    return {q["key"]: q for q in r.json()["questions"]}


def expected(rows: list[tuple], within: str) -> tuple[float, dict, dict]:
    """What the figures at `within` must be, computed straight from the answers sent."""
    mine = [a for _, node, _, a in rows if node == within or node.startswith(within + ".")]
    mean = round(sum(a["overall"] for a in mine) / len(mine), 4)
    safe: dict[str, int] = {}
    worst: dict[str, int] = {}
    for a in mine:
        safe["yes" if a["safe"] else "no"] = safe.get("yes" if a["safe"] else "no", 0) + 1
        worst[a["worst"]] = worst.get(a["worst"], 0) + 1
    return mean, safe, worst


async def test_responses_roll_up_to_every_node_of_the_subtree(platform: Evaluating) -> None:
    sid = await open_survey(platform)
    for household, node, surveyor, answers in RESPONSES:
        r = await respond(platform, sid, household, node, surveyor, answers)
        assert r.status_code == 201, r.text
    for node, n in [("km.guandu.taihe", 4), ("km.guandu.taihe.heping", 3), (G03, 2),
                    ("km.guandu.taihe.minhang", 1)]:
        got = await results(platform, sid, node, n)
        mean, safe, worst = expected(RESPONSES, node)
        assert got["overall"]["mean"] == mean, node
        assert got["safe"]["counts"] == safe and got["worst"]["counts"] == worst, node
    street = await results(platform, sid, "km.guandu.taihe", 4)
    assert street["overall"]["counts"] == {"2": 1, "3": 1, "4": 1, "5": 1}
    whole = (await platform.evaluation.get(f"/v1/surveys/{sid}/results",
                                           headers=DISTRICT)).json()
    assert whole["node"] == "km.guandu.taihe" and whole["children"] == [
        {"node": "km.guandu.taihe.heping", "responses": 3,
         "means": {"overall": expected(RESPONSES, "km.guandu.taihe.heping")[0]}},
        {"node": "km.guandu.taihe.minhang", "responses": 1, "means": {"overall": 3.0}}]

    # Surveyors find the campaigns covering their community; another street finds none.
    for who, node, ids in [(HEPING, None, [sid]), (DISTRICT, "km.guandu", [sid]),
                           (OTHER_STREET, None, [])]:
        r = await platform.evaluation.get("/v1/surveys", params={"node": node} if node else {},
                                          headers=who)
        assert [x["id"] for x in r.json()] == ids
    assert_problem(await platform.evaluation.get("/v1/surveys", headers=RESIDENT), 403,
                   "list surveys")

    r = await platform.evaluation.post(f"/v1/surveys/{sid}/close", headers=DISTRICT)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert r.json()["responses"] == 4
    assert (await platform.evaluation.get(f"/v1/surveys/{sid}", headers=HEPING)).json()[
        "status"] == "closed"


async def test_a_retried_open_with_the_same_key_opens_one_survey(platform: Evaluating) -> None:
    body = {"title": "测评", "node": "km.guandu.taihe", "questions": QUESTIONS}
    key = {"Idempotency-Key": "d-01-2026-survey-1"}
    first = await platform.evaluation.post("/v1/surveys", json=body, headers=DISTRICT | key)
    again = await platform.evaluation.post("/v1/surveys", json=body, headers=DISTRICT | key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    other = await platform.evaluation.post("/v1/surveys", json=body | {"title": "别的"},
                                           headers=DISTRICT | key)
    assert_problem(other, 409, "Idempotency-Key")
    assert platform.events() == 1


async def test_a_retry_with_a_choice_without_options_is_422(platform: Evaluating) -> None:
    """Issue 13: the retry compared its questions before checking them, and crashed."""
    body = {"title": "测评", "node": "km.guandu.taihe", "questions": QUESTIONS}
    key = {"Idempotency-Key": "d-01-2026-survey-2"}
    first = await platform.evaluation.post("/v1/surveys", json=body, headers=DISTRICT | key)
    assert first.status_code == 201, first.text
    broken = [{"key": "worst", "text": "最差", "kind": "choice"}]
    for questions in (broken, [*QUESTIONS[:2], broken[0]]):
        again = await platform.evaluation.post("/v1/surveys", json=body | {
            "questions": questions}, headers=DISTRICT | key)
        assert_problem(again, 422, "choice offers two or more")
    assert platform.events() == 1


async def test_refusals_say_why_and_write_nothing(platform: Evaluating) -> None:
    sid = await open_survey(platform)
    household, node, surveyor, answers = RESPONSES[0]
    assert (await respond(platform, sid, household, node, surveyor, answers)).status_code == 201
    before = platform.events()
    refusals = [
        (household, node, surveyor, answers, 409, ["h-101", "already answered"]),
        ("h-9", "km.guandu.guanshang", DISTRICT, answers, 422, ["outside the surveyed subtree"]),
        ("h-9", "km.guandu.taihe.nowhere", STREET, answers, 422, ["unknown tier node"]),
        ("h-9", node, surveyor, {"overall": 5, "safe": True}, 422, ["'worst' is not answered"]),
        ("h-9", node, surveyor, answers | {"overall": 9}, 422, ["1 to 5"]),
        ("h-9", node, surveyor, answers | {"worst": "交通"}, 422, ["one of 停车"]),
        ("h-9", node, surveyor, answers | {"safe": "yes"}, 422, ["true or false"]),
        ("h-9", node, surveyor, answers | {"age": 3}, 422, ["no question age"]),
        ("h-9", node, MINHANG, answers, 403, ["outside that scope"]),
        ("h-9", node, RESIDENT, answers, 403, ["resident may not"]),
    ]
    for h, n, who, a, status, words in refusals:
        assert_problem(await respond(platform, sid, h, n, who, a), status, *words)
    assert_problem(await respond(platform, str(uuid4()), "h-9", node, surveyor, answers), 404,
                   "no survey")

    bad_open = [
        ({"questions": []}, 422, ["questions"]),
        ({"questions": [{"key": "a", "text": "t", "kind": "choice", "options": ["x"]}]}, 422,
         ["two or more distinct"]),
        ({"questions": [{"key": "a", "text": "t", "kind": "essay"}]}, 422, ["kind"]),
        ({"node": "km.guandu.nowhere"}, 422, ["unknown tier node"]),
    ]
    for over, status, words in bad_open:
        body = {"title": "t", "node": "km.guandu.taihe", "questions": QUESTIONS} | over
        r = await platform.evaluation.post("/v1/surveys", headers=DISTRICT, json=body)
        assert_problem(r, status, *words)
    r = await platform.evaluation.post("/v1/surveys", headers=STREET, json={
        "title": "t", "node": "km.guandu.taihe", "questions": QUESTIONS})
    assert_problem(r, 403, "district or city staff")
    assert_problem(await platform.evaluation.post(f"/v1/surveys/{sid}/close", headers=STREET),
                   403, "close this survey")
    r = await platform.evaluation.get(f"/v1/surveys/{sid}/results",
                                      params={"node": "km.guandu"}, headers=DISTRICT)
    assert_problem(r, 422, "outside the surveyed subtree")
    r = await platform.evaluation.get(f"/v1/surveys/{sid}/results", headers=HEPING)
    assert_problem(r, 403, "outside that scope")
    assert platform.events() == before

    assert (await platform.evaluation.post(f"/v1/surveys/{sid}/close",
                                           headers=DISTRICT)).status_code == 200
    closed = platform.events()
    h, n, who, a = RESPONSES[1]
    assert_problem(await respond(platform, sid, h, n, who, a), 409, "survey closed")
    assert_problem(await platform.evaluation.post(f"/v1/surveys/{sid}/close",
                                                  headers=DISTRICT), 409, "survey closed")
    assert platform.events() == closed


async def test_a_response_handed_over_twice_counts_once(settings: Settings) -> None:
    sid = str(uuid4())

    def event(seq: int, type_: str, **data) -> Envelope:
        return Envelope(id=f"{sid}/{seq}", source="/gongzhi/evaluation", type=type_,
                        subject=sid, time="2026-11-23T09:00:00+00:00", seq=seq, tier=G03,
                        data=data)

    opened = event(1, "gongzhi.survey.opened.v1", title="t", node="km.guandu.taihe",
                   questions=QUESTIONS, at="2026-11-23T09:00:00+00:00")
    response = event(2, "gongzhi.survey.response_recorded.v1", household="h-1", node=G03,
                     answers=RESPONSES[0][3], at="2026-11-23T09:05:00+00:00")
    async with projected(settings.database_url, SURVEY_RESULTS) as (conn, apply):
        await apply([opened, response, response])
        await apply([response])
        q = f'"{SURVEY_RESULTS.schema}"'
        counts = await conn.fetch(f"SELECT node, responses FROM {q}.node_counts ORDER BY node")
        assert [(r["node"], r["responses"]) for r in counts] == [
            ("km.guandu.taihe", 1), ("km.guandu.taihe.heping", 1), (G03, 1)]
        assert await conn.fetchval(f"SELECT sum(n) FROM {q}.scale_sums") == 3


def test_a_large_survey_loads_from_a_snapshot_and_still_knows_every_household(
        settings: Settings) -> None:
    app = open_application(EvaluationApplication, settings.database_url,
                           clock=ManualClock(datetime(2026, 11, 23, tzinfo=UTC)))
    try:
        meta = {"actor": {"sub": "d-01", "role": "district_staff", "name": ""}}
        survey, _ = app.open_survey("t", "km.guandu.taihe", QUESTIONS, meta)
        answers = RESPONSES[0][3]
        for n in range(SURVEY_SNAPSHOT_EVERY + 5):
            app.record_survey_response(survey.id, f"h-{n}", G03, answers, meta)
        snapshots = list(app.snapshots.get(survey.id))
        assert [s.originator_version for s in snapshots] == [SURVEY_SNAPSHOT_EVERY]
        again = app.get_survey(survey.id)
        assert len(again.households) == SURVEY_SNAPSHOT_EVERY + 5
        with pytest.raises(Conflict, match="h-3' has already answered"):
            app.record_survey_response(survey.id, "h-3", G03, answers, meta)
    finally:
        app.close()
