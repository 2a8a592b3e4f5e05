"""Races the event store settles: 100 volunteers claiming one wish store one claim; 30
people signing up for 5 slots store 5; the losers all get 409 and write nothing."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from shared.settings import Settings
from tests.utils.huayin import ELDER, HUAYUE, STAFF, T0, UNIT, ZHHSC, Service, volunteers_service
from tests.utils.store import stored_events
from tests.utils.tokens import bearer


@pytest.fixture
async def svc(settings: Settings) -> AsyncIterator[Service]:
    async with volunteers_service(settings) as s:
        yield s


async def test_a_hundred_concurrent_claims_store_exactly_one(svc: Service,
                                                             settings: Settings) -> None:
    api = svc.api
    people = [f"p-{n:03d}" for n in range(100)]
    for person in people:
        r = await api.post("/v1/volunteers", headers=STAFF, json={
            "person": person, "name": f"志愿者{person}", "kind": "resident_volunteer",
            "home": ZHHSC})
        assert r.status_code == 201, r.text
    r = await api.post("/v1/wishes", headers=ELDER, json={
        "node": UNIT, "kind": "errand", "text": "帮忙取药",
        "wanted_by": (T0 + timedelta(days=1)).isoformat()})
    wish = r.json()["id"]
    assert (await api.post(f"/v1/wishes/{wish}/dispatch", headers=STAFF,
                           json={})).json()["status"] == "open"

    answers = await asyncio.gather(*(
        api.post(f"/v1/wishes/{wish}/claim", headers=bearer("volunteer", HUAYUE, sub=p))
        for p in people))

    assert Counter(r.status_code for r in answers) == {200: 1, 409: 99}
    winner = next(r.json()["claimer"] for r in answers if r.status_code == 200)
    claims = [e for e in stored_events(settings.database_url, "volunteers")
              if e[2] == "gongzhi.wish.claimed.v1"]
    assert len(claims) == 1 and winner.encode() in claims[0][3]
    assert all(r.headers["content-type"].startswith("application/problem+json")
               for r in answers if r.status_code == 409)


async def test_concurrent_sign_ups_never_overbook(svc: Service, settings: Settings) -> None:
    api = svc.api
    r = await api.post("/v1/activities", headers=STAFF, json={
        "node": HUAYUE, "title": "小区环境大扫除", "hours": 3, "slots": 5,
        "starts_at": (T0 + timedelta(days=2)).isoformat()})
    assert r.status_code == 201, r.text
    activity = r.json()["id"]

    answers = await asyncio.gather(*(
        api.post(f"/v1/activities/{activity}/signups",
                 headers=bearer("resident", HUAYUE, sub=f"r-{n:02d}"))
        for n in range(30)))

    assert Counter(r.status_code for r in answers) == {200: 5, 409: 25}
    signed = [e for e in stored_events(settings.database_url, "volunteers")
              if e[2] == "gongzhi.activity.signed_up.v1"]
    assert len(signed) == 5
    stored = (await api.get(f"/v1/activities/{activity}", headers=STAFF)).json()
    assert len(stored["participants"]) == 5
