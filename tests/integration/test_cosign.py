"""Residents co-sign ("me too", 附议) an open issue, on the issues and evaluation services and
the real PostgreSQL: they follow it (my issues, rating), it rises in inboxes sorted by
co-signatures, it counts one more person affected in the KPIs; once per resident; refusals
write nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from shared.settings import Settings
from tests.integration.test_issues_api import COMMUNITY, RESIDENT, issue_body
from tests.integration.test_ratings import Evaluating, act, evaluating, rate, resolve
from tests.integration.test_refusals import assert_problem
from tests.utils.city import BUILDING
from tests.utils.store import count_events
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

HEPING = "km.guandu.taihe.heping"
NEIGHBOUR = bearer("resident", HEPING, sub="r-002")
UPSTAIRS = bearer("resident", f"{BUILDING}.u1", sub="r-003")  # the issue's building is above
ELSEWHERE = bearer("resident", "km.guandu.taihe.minhang", sub="r-009")
DISTRICT = bearer("district_staff", "km.guandu", sub="d-01")


@pytest.fixture
async def platform(settings: Settings) -> AsyncIterator[Evaluating]:
    async with evaluating(settings) as p:
        yield p


async def raise_(p: Evaluating, title: str) -> str:
    r = await p.issues.post("/v1/issues", json=issue_body(title=title), headers=RESIDENT)
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def cosign(p: Evaluating, issue_id: str, who: dict):
    return await p.issues.post(f"/v1/issues/{issue_id}/cosign", headers=who)


async def test_me_too_follows_raises_priority_and_counts_as_affected(platform) -> None:
    p = platform
    cosigned = await raise_(p, "楼道堆放杂物")
    p.clock.advance(timedelta(minutes=5))
    newer = await raise_(p, "路灯不亮")

    for who, count in ((NEIGHBOUR, 1), (UPSTAIRS, 2)):
        r = await cosign(p, cosigned, who)
        assert r.status_code == 200, r.text
        assert r.json() == {"id": cosigned, "cosigners": count, "recorded": True,
                            "following": True}
    before = count_events(p.settings.database_url, "issues")
    again = await cosign(p, cosigned, NEIGHBOUR)  # idempotent per resident
    own = await cosign(p, cosigned, RESIDENT)  # the reporter already follows
    assert (again.json()["recorded"], own.json()["recorded"]) == (False, False)
    assert again.json()["cosigners"] == 2
    assert count_events(p.settings.database_url, "issues") == before

    # They follow it: in their issues, told what happens, like merge followers.
    mine = await eventually(lambda: p.issues.get("/v1/me/issues", headers=NEIGHBOUR),
                            lambda r: len(r.json()["items"]) == 1)
    assert (mine.json()["items"][0]["id"], mine.json()["items"][0]["following"]) == (
        cosigned, "cosigned")
    got = (await p.issues.get(f"/v1/issues/{cosigned}", headers=NEIGHBOUR)).json()
    assert got["cosigners"] == 2

    # Inboxes: most co-signed first when asked, newest first by default; pages continue.
    async def inbox(**params: str):
        return await p.issues.get("/v1/issues", headers=COMMUNITY, params={"node": HEPING,
                                                                            **params})
    ranked = await eventually(lambda: inbox(sort="cosigners"),
                              lambda r: r.json()["items"][0]["cosigners"] == 2)
    assert [(i["id"], i["cosigners"]) for i in ranked.json()["items"]] == [
        (cosigned, 2), (newer, 0)]
    first = (await inbox(sort="cosigners", limit="1")).json()
    rest = (await inbox(sort="cosigners", limit="1", cursor=first["next_cursor"])).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == [cosigned, newer]
    assert rest["next_cursor"] is None
    assert {i["id"] for i in (await inbox()).json()["items"]} == {cosigned, newer}

    # KPIs: each co-signature is one more person affected.
    report = await eventually(
        lambda: p.evaluation.get(f"/v1/tiers/{HEPING}/report", params={"month": "2026-11"},
                                 headers=DISTRICT),
        lambda r: r.status_code == 200 and r.json()["figures"]["people_affected"] == 4,
        timeout=30)
    assert report.json()["figures"]["issues"] == 2

    # Co-signers may rate it, like merge followers.
    await act(p, cosigned, "acknowledge", {})
    await resolve(p, cosigned, round=1)
    r = await rate(p, cosigned, "satisfied", headers=UPSTAIRS)
    assert r.status_code == 201, r.text
    r = await rate(p, cosigned, "unsatisfied", headers=ELSEWHERE)
    assert r.status_code == 403


async def test_co_signing_refusals_say_why_and_write_nothing(platform) -> None:
    p = platform
    issue_id = await raise_(p, "楼道堆放杂物")
    await act(p, issue_id, "acknowledge", {})
    cases = [
        (ELSEWHERE, 403, "at or near their place"),
        (COMMUNITY, 403, "community_staff does not co-sign"),
        (bearer("department_staff", "km.guandu", department="km-cgj"), 403,
         "does not co-sign"),
    ]
    for who, status, words in cases:
        before = count_events(p.settings.database_url, "issues")
        assert_problem(await cosign(p, issue_id, who), status, words)
        assert count_events(p.settings.database_url, "issues") == before
    await act(p, issue_id, "resolve", {"resolution": "已清理"})
    before = count_events(p.settings.database_url, "issues")
    assert_problem(await cosign(p, issue_id, NEIGHBOUR), 409,
                   "cannot co-sign an issue that is resolved")
    assert_problem(await cosign(p, "00000000-0000-0000-0000-000000000000", NEIGHBOUR), 404,
                   "no issue")
    assert count_events(p.settings.database_url, "issues") == before
