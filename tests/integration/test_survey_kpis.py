"""Third-party survey results (第三方测评) in the monthly reports and rankings, on the real
PostgreSQL: every figure is checked against the answers sent; a zero weight (the default)
keeps every score as it was, a rule weight makes the survey count."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from statistics import mean

import pytest

from shared.settings import Settings
from tests.integration.test_ratings import ADMIN, Evaluating, evaluating
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

DISTRICT = bearer("district_staff", "km.guandu", sub="d-01")
HEPING, MINHANG = "km.guandu.taihe.heping", "km.guandu.taihe.minhang"
GUANSHANG = "km.guandu.guanshang"
QUESTIONS = [
    {"key": "overall", "text": "对社区治理的总体满意度", "kind": "scale"},
    {"key": "clean", "text": "环境卫生满意度", "kind": "scale"},
    {"key": "safe", "text": "夜间出行是否感到安全", "kind": "yes_no"},
]
# (household, node, overall, clean): the yes/no answer is on no scale and does not count.
ANSWERS = [
    ("h-1", f"{HEPING}.g03.y017", 5, 4), ("h-2", f"{HEPING}.g04", 4, 4),
    ("h-3", MINHANG, 2, 3), ("h-4", GUANSHANG, 3, 2), ("h-5", GUANSHANG, 2, 1),
]


@pytest.fixture
async def surveyed(settings: Settings) -> AsyncIterator[Evaluating]:
    async with evaluating(settings, issues=False) as p:
        r = await p.evaluation.post("/v1/surveys", headers=DISTRICT, json={
            "title": "2026年官渡区第三方满意度测评", "node": "km.guandu", "questions": QUESTIONS})
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        for household, node, overall, clean in ANSWERS:
            r = await p.evaluation.post(f"/v1/surveys/{sid}/responses", headers=DISTRICT,
                                        json={"household": household, "node": node, "answers": {
                                            "overall": overall, "clean": clean, "safe": True}})
            assert r.status_code == 201, r.text
        yield p


def expected(under: str) -> dict:
    """The figures straight from the answers sent: every scale answer weighs one."""
    mine = [a for a in ANSWERS if a[1] == under or a[1].startswith(under + ".")]
    scores = [s for _, _, overall, clean in mine for s in (overall, clean)]
    m = mean(scores) if scores else None
    return {"survey_responses": len(mine), "survey_mean": m,
            "survey_index": None if m is None else (m - 1) / 4}


def same(got: dict, want: dict) -> None:
    for key, value in want.items():
        assert got[key] == (value if value is None or isinstance(value, int)
                            else pytest.approx(value)), (key, got[key], value)


async def test_survey_results_reach_reports_and_rank_once_weighed(surveyed) -> None:
    api, clock = surveyed.evaluation, surveyed.clock
    params = {"month": "2026-11"}
    report = await eventually(
        lambda: api.get("/v1/tiers/km.guandu/report", params=params, headers=DISTRICT),
        lambda r: r.status_code == 200
        and r.json()["figures"]["survey_responses"] == len(ANSWERS), timeout=30)
    body = report.json()
    same(body["figures"], expected("km.guandu"))
    children = {c["node"]: c for c in body["children"]}
    for street in ("km.guandu.taihe", GUANSHANG):
        same(children[street], expected(street))
    street = (await api.get("/v1/tiers/km.guandu.taihe/report", params=params,
                            headers=DISTRICT)).json()
    for c in street["children"]:
        same(c, expected(c["node"]))

    # The default weight is zero: the survey moves no score (these streets have no issues
    # and no whistles, so they have none at all).
    before = clock.now()
    ranking = (await api.get("/v1/rankings", params=params | {"parent": "km.guandu"},
                             headers=DISTRICT)).json()
    assert ranking["rules"]["node_weights"]["survey_index"] == 0
    assert [r["score"] for r in ranking["rows"]] == [None, None]

    clock.advance(timedelta(hours=1))
    rules = ranking["rules"] | {"node_weights": ranking["rules"]["node_weights"]
                                | {"survey_index": 0.2}}
    r = await api.put("/v1/kpi-rules", headers=ADMIN,
                      json={"rules": rules, "reason": "第三方测评计入考核"})
    assert r.status_code == 200, r.text
    clock.advance(timedelta(hours=1))
    ranked = (await api.get("/v1/rankings", params=params | {"parent": "km.guandu"},
                            headers=DISTRICT)).json()
    # The survey is each street's only scored figure, so it alone makes the score.
    want = {s: round(100 * expected(s)["survey_index"], 2)
            for s in ("km.guandu.taihe", GUANSHANG)}
    assert [(r["node"], r["score"], r["rank"]) for r in ranked["rows"]] == [
        ("km.guandu.taihe", want["km.guandu.taihe"], 1), (GUANSHANG, want[GUANSHANG], 2)]
    then = (await api.get("/v1/rankings", headers=DISTRICT, params=params | {
        "parent": "km.guandu", "as_of": before.isoformat()})).json()
    assert [r["score"] for r in then["rows"]] == [None, None]  # the rules of that instant
    october = (await api.get("/v1/tiers/km.guandu/report", headers=DISTRICT,
                             params={"month": "2026-10"})).json()
    assert october["figures"]["survey_responses"] == 0
