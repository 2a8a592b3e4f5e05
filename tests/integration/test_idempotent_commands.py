"""Retries and races on commands (issue 13): every state-changing command takes an
Idempotency-Key and a retry of a committed one answers what the first did; the same key on
another request, and any write that loses a race, is a 409, never a 500."""

from __future__ import annotations

import asyncio

from tests.integration.test_issues_api import COMMUNITY, issue_body
from tests.integration.test_refusals import assert_problem
from tests.utils.store import count_events
from tests.utils.whistles import ADMIN, RESIDENT, STREET, URBAN

BLOW = {"node": "km.guandu.taihe", "situation": "law_enforcement", "title": "楼顶违建",
        "departments": ["km-cgj", "km-gaj"]}


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


async def test_eight_concurrent_blows_with_one_key_blow_one_whistle(platform, settings) -> None:
    before = count_events(settings.database_url, "grid")
    answers = await asyncio.gather(*[
        platform.grid.post("/v1/whistles", json=BLOW, headers=STREET | key("blow-1"))
        for _ in range(8)])
    assert sorted(r.status_code for r in answers) == [200] * 7 + [201], [
        r.text for r in answers]
    assert len({r.json()["id"] for r in answers}) == 1
    assert count_events(settings.database_url, "grid") == before + 1
    other = await platform.grid.post("/v1/whistles", json=BLOW | {"title": "别的"},
                                     headers=STREET | key("blow-1"))
    assert_problem(other, 409, "Idempotency-Key")
    assert count_events(settings.database_url, "grid") == before + 1


async def test_racing_grid_writes_are_409_never_500(platform, settings) -> None:
    node = "/v1/nodes/km.guandu.taihe.heping.g04"
    writes = [("post", f"{node}/rename", {"name": f"第四网格{n}"}) for n in range(4)] + [
        ("post", f"{node}/mode", {"mode": m, "reason": "演练"})
        for m in ("emergency", "daily", "emergency", "daily")] + [
        ("post", "/v1/departments/km-cgj/webhooks", {"url": f"https://example.org/h{n}"})
        for n in range(4)]
    answers = await asyncio.gather(*[
        getattr(platform.grid, verb)(path, json=body, headers=ADMIN)
        for verb, path, body in writes])
    assert {r.status_code for r in answers} <= {200, 201, 409}, [r.text for r in answers]
    retire = await asyncio.gather(*[
        platform.grid.post(f"{node}/retire", json={"reason": "合并"}, headers=ADMIN)
        for _ in range(4)])
    assert sorted(r.status_code for r in retire)[0] == 200
    assert {r.status_code for r in retire} <= {200, 409}, [r.text for r in retire]


async def test_issue_commands_retried_with_their_key_answer_as_the_first(
        platform, settings) -> None:
    r = await platform.issues.post("/v1/issues", json=issue_body(), headers=RESIDENT)
    assert r.status_code == 201, r.text
    base = f"/v1/issues/{r.json()['id']}"
    steps = [("acknowledge", {"note": "收到"}),
             ("assign", {"assignee": {"kind": "property_company", "id": "wy-1",
                                      "name": "物业"}, "note": "交物业"}),
             ("escalate", {"reason": "需街道协调"}),
             ("resolve", {"resolution": "已清理"})]
    for n, (step, body) in enumerate(steps):
        headers = (STREET if step == "resolve" else COMMUNITY) | key(f"step-{n}")
        first = await platform.issues.post(f"{base}/{step}", json=body, headers=headers)
        assert first.status_code == 200, (step, first.text)
        events = count_events(settings.database_url, "issues")
        again = await platform.issues.post(f"{base}/{step}", json=body, headers=headers)
        assert again.status_code == 200, (step, again.text)
        assert again.json()["status"] == first.json()["status"]
        assert count_events(settings.database_url, "issues") == events  # nothing twice
    # Without the key, the same resolve is what it always was: an illegal transition.
    assert_problem(await platform.issues.post(f"{base}/resolve", json=steps[-1][1],
                                              headers=STREET), 409, "resolve")
    # The key of the acknowledgement on another request is a conflict, and writes nothing.
    events = count_events(settings.database_url, "issues")
    r = await platform.issues.post(f"{base}/acknowledge", json={"note": "另一个"},
                                   headers=COMMUNITY | key("step-0"))
    assert_problem(r, 409, "Idempotency-Key")
    assert count_events(settings.database_url, "issues") == events


async def test_concurrent_retries_of_one_acknowledgement_all_answer_200(platform) -> None:
    r = await platform.issues.post("/v1/issues", json=issue_body(), headers=RESIDENT)
    base = f"/v1/issues/{r.json()['id']}"
    answers = await asyncio.gather(*[
        platform.issues.post(f"{base}/acknowledge", json={}, headers=COMMUNITY | key("ack"))
        for _ in range(6)])
    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
    history = (await platform.issues.get(base, headers=COMMUNITY)).json()["history"]
    assert [h["type"] for h in history].count("gongzhi.issue.acknowledged.v1") == 1


async def test_a_retried_webhook_registration_answers_the_same_hook(platform) -> None:
    hook = {"url": "https://example.org/hook"}
    first = await platform.grid.post("/v1/departments/km-cgj/webhooks", json=hook,
                                     headers=URBAN | key("hook-1"))
    again = await platform.grid.post("/v1/departments/km-cgj/webhooks", json=hook,
                                     headers=URBAN | key("hook-1"))
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert (first.json()["id"], first.json()["secret"]) == (
        again.json()["id"], again.json()["secret"])


async def test_an_idempotency_key_that_is_not_printable_ascii_is_422(platform) -> None:
    for bad in ("x" * 129, "钥匙"):
        r = await platform.grid.post("/v1/whistles", json=BLOW,
                                     headers=STREET | {"Idempotency-Key": bad.encode()})
        assert_problem(r, 422, "Idempotency-Key")
