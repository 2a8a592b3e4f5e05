"""Bad input and denied actions: a 4xx problem+json naming the problem, and nothing written."""

from __future__ import annotations

import pytest

from tests.integration.test_issues_api import (
    COMMUNITY,
    RESIDENT,
    issue_body,
    raise_issue,
)
from tests.utils.city import BUILDING
from tests.utils.store import count_events
from tests.utils.tokens import bearer

OTHER_COMMUNITY = bearer("community_staff", "km.guandu.taihe.minhang", sub="c-99")


def assert_problem(r, status: int, *words: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"]
    for word in words:
        assert word in body["detail"], body


@pytest.mark.parametrize(("body", "words"), [
    ({"title": 123}, ["title", "string"]),
    ({"node": "KM/Guandu"}, ["node", "pattern"]),
    ({"node": "km.guandu.nowhere"}, ["unknown tier node", "km.guandu.nowhere"]),
    ({"category": "weather"}, ["unknown category", "weather"]),
    ({"channel": "fax"}, ["channel"]),
    ({"title": ""}, ["title"]),
    ({"title": "长" * 101}, ["title"]),
    ({"photos": ["not a url"]}, ["photos"]),
    ({"location": {"lat": 200, "lng": 0}}, ["location.lat"]),
    ({"contact": {"phone": "call me"}}, ["contact.phone"]),
    ({"colour": "red"}, ["colour", "not permitted"]),
])
async def test_invalid_raises_are_422_and_write_nothing(issues_api, settings, body, words) -> None:
    before = count_events(settings.database_url, "issues")
    r = await issues_api.post("/v1/issues", json=issue_body(**body), headers=RESIDENT)
    assert_problem(r, 422, *words)
    assert count_events(settings.database_url, "issues") == before


async def test_missing_fields_and_broken_json_are_422(issues_api, settings) -> None:
    r = await issues_api.post("/v1/issues", json={"title": "x"}, headers=RESIDENT)
    assert_problem(r, 422, "node", "Field required")
    r = await issues_api.post("/v1/issues", content=b"{not json", headers=RESIDENT | {
        "content-type": "application/json"})
    assert_problem(r, 422, "JSON")
    assert count_events(settings.database_url, "issues") == 0


async def test_oversized_payloads_are_413_and_write_nothing(issues_api, settings) -> None:
    r = await issues_api.post("/v1/issues", json=issue_body(description="字" * 40000),
                              headers=RESIDENT)
    assert_problem(r, 413, "limited to 65536 bytes")
    assert count_events(settings.database_url, "issues") == 0


async def test_resolving_a_closed_issue_is_409_and_writes_nothing(issues_api, settings) -> None:
    issue = await raise_issue(issues_api)
    base = f"/v1/issues/{issue['id']}"
    for step, body in [("acknowledge", {}), ("resolve", {"resolution": "ok"}), ("close", {})]:
        assert (await issues_api.post(f"{base}/{step}", json=body, headers=COMMUNITY)).is_success
    before = count_events(settings.database_url, "issues")
    r = await issues_api.post(f"{base}/resolve", json={"resolution": "again"}, headers=COMMUNITY)
    assert_problem(r, 409, "cannot resolve an issue that is closed")
    assert r.json()["current_status"] == "closed"
    assert count_events(settings.database_url, "issues") == before


async def test_unknown_issue_is_404(issues_api) -> None:
    r = await issues_api.get("/v1/issues/00000000-0000-0000-0000-000000000000", headers=COMMUNITY)
    assert_problem(r, 404, "no issue")
    r = await issues_api.get("/v1/issues/not-a-uuid", headers=COMMUNITY)
    assert_problem(r, 422, "issue_id")


async def test_same_idempotency_key_returns_the_same_issue(issues_api, settings) -> None:
    key = {"Idempotency-Key": "r-001-2026-11-22-01"}
    first = await issues_api.post("/v1/issues", json=issue_body(), headers=RESIDENT | key)
    again = await issues_api.post("/v1/issues", json=issue_body(), headers=RESIDENT | key)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    changed = await issues_api.post("/v1/issues", json=issue_body(title="别的事"),
                                    headers=RESIDENT | key)
    assert_problem(changed, 409, "Idempotency-Key")
    assert count_events(settings.database_url, "issues") == 2  # raised and triaged, once


async def test_no_token_or_a_forged_one_is_401(issues_api) -> None:
    assert_problem(await issues_api.get("/v1/issues"), 401, "Bearer")
    forged = bearer("admin", "km", secret="not-the-platform-secret" * 2)
    assert_problem(await issues_api.get("/v1/issues", headers=forged), 401, "not valid")


async def test_acting_outside_scope_is_403_with_the_reason(issues_api, settings) -> None:
    issue = await raise_issue(issues_api)
    before = count_events(settings.database_url, "issues")
    r = await issues_api.post(f"/v1/issues/{issue['id']}/acknowledge", json={},
                              headers=OTHER_COMMUNITY)
    assert_problem(r, 403, "km.guandu.taihe.minhang", "outside that scope")
    r = await issues_api.post("/v1/issues", json=issue_body(), headers=OTHER_COMMUNITY)
    assert_problem(r, 403, "raise an issue", "outside that scope")
    r = await issues_api.get("/v1/issues", params={"node": "km.guandu"}, headers=OTHER_COMMUNITY)
    assert_problem(r, 403, "list issues")
    r = await issues_api.get("/v1/tiers/km.guandu/summary", headers=OTHER_COMMUNITY)
    assert_problem(r, 403, "summary")
    assert count_events(settings.database_url, "issues") == before


async def test_residents_and_departments_are_told_what_they_may_not_do(issues_api) -> None:
    issue = await raise_issue(issues_api)
    other_resident = bearer("resident", "km", sub="r-002")
    r = await issues_api.get(f"/v1/issues/{issue['id']}", headers=other_resident)
    assert_problem(r, 403, "only the issues they raised")
    r = await issues_api.post(f"/v1/issues/{issue['id']}/acknowledge", json={}, headers=RESIDENT)
    assert_problem(r, 403, "resident may not")
    dept = bearer("department_staff", "km.guandu", department="km-cgj")
    r = await issues_api.post("/v1/issues", json=issue_body(), headers=dept)
    assert_problem(r, 403, "whistles")


async def test_contact_details_are_sealed_at_rest_and_shown_only_in_the_chain(
    issues_api, settings
) -> None:
    from tests.utils.store import stored_events

    issue = await raise_issue(issues_api)
    raw = b"".join(state for *_, state in stored_events(settings.database_url, "issues"))
    assert b"13800001111" not in raw and "张阿姨".encode() not in raw
    assert b"gz1:" in raw  # the sealed form is what is stored
    mine = (await issues_api.get(f"/v1/issues/{issue['id']}", headers=RESIDENT)).json()
    assert mine["contact"] == {"name": "张阿姨", "phone": "13800001111"}
    staff = (await issues_api.get(f"/v1/issues/{issue['id']}", headers=COMMUNITY)).json()
    assert staff["contact"]["phone"] == "13800001111"
    assert BUILDING.startswith("km.guandu.taihe.heping")
