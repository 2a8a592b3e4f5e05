"""What operators see of a service: read models with their lag behind the log, dead letters
with their trace, and nothing at all for anyone but an operator."""

from __future__ import annotations

import json

import httpx

from shared import db
from shared.settings import Settings
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

ADMIN = bearer("admin", "km")
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def test_ops_status_is_for_operators_only(issues_api: httpx.AsyncClient) -> None:
    r = await issues_api.get("/v1/ops/status", headers=bearer("district_staff", "km.guandu"))
    assert r.status_code == 403 and "admin" in r.json()["detail"]


async def test_read_models_catch_up_to_the_head_of_the_log(issues_api: httpx.AsyncClient) -> None:
    raised = await issues_api.post("/v1/issues", headers=bearer("resident", "km.guandu.taihe",
                                                                sub="r-ops"), json={
        "node": "km.guandu.taihe.heping", "title": "路灯不亮", "category": "environment.garbage",
        "channel": "app"})
    assert raised.status_code == 201, raised.text

    def caught_up(r: httpx.Response) -> bool:
        models = r.json()["read_models"]
        own = [s for m in models for s in m["streams"] if s["stream"] == "issues"]
        return bool(own) and all(s["lag_events"] == 0 and s["head"] > 0 for s in own)

    status = await eventually(lambda: issues_api.get("/v1/ops/status", headers=ADMIN), caught_up)
    body = status.json()
    assert body["service"] == "issues" and body["transport"] == "embedded"
    schemas = {m["schema"] for m in body["read_models"]}
    assert {"issues_issue_list", "issues_tier_summary"} <= schemas


async def test_a_dead_letter_shows_with_its_trace(issues_api: httpx.AsyncClient,
                                                  settings: Settings) -> None:
    conn = await db.connect(settings.database_url)
    try:
        await conn.execute(
            'INSERT INTO "issues_issue_list".dead_letters (stream, position, error, attempts, '
            "message) VALUES ('issues', 999999, 'KeyError: title', 3, $1)",
            json.dumps({"type": "gongzhi.issue.raised.v1", "subject": "x",
                        "meta": {"traceparent": TRACEPARENT}}))
    finally:
        await conn.close()
    body = (await issues_api.get("/v1/ops/status", headers=ADMIN)).json()
    parked = [d for d in body["dead_letters"] if d["schema"] == "issues_issue_list"]
    assert parked and parked[0]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert parked[0]["error"] == "KeyError: title"
    model = next(m for m in body["read_models"] if m["schema"] == "issues_issue_list")
    assert model["dead_letters"] == 1
