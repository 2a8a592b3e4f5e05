"""What operators see of a service: read models with their lag behind the log, dead letters
with their trace, and nothing at all for anyone but an operator."""

from __future__ import annotations

import json
import re
from pathlib import Path

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
    # Each read model's version: what its schema was built at, and what the code declares.
    versions = {m["schema"]: (m["version"], m["declared_version"]) for m in body["read_models"]}
    assert versions["issues_issue_list"] == (2, 2) and versions["issues_tier_summary"] == (1, 1)
    assert not any(m["rebuilding"] for m in body["read_models"])


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


async def test_prometheus_scrapes_request_durations_and_read_model_lag(
        issues_api: httpx.AsyncClient) -> None:
    await issues_api.get("/v1/tiers/km.guandu/summary", headers=ADMIN)
    r = await issues_api.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'http_route="/v1/tiers/{path}/summary"' in text  # the template, not the raw path
    assert "http_server_request_duration_seconds_bucket" in text
    assert 'gongzhi_read_model_lag' in text and 'read_model="issues_issue_list"' in text


async def test_the_grafana_dashboard_charts_only_metrics_the_services_export(
        issues_api: httpx.AsyncClient) -> None:
    dashboard = json.loads((Path(__file__).parents[2] / "deploy/grafana/gongzhi.json")
                           .read_text())
    await issues_api.get("/health")
    exported = (await issues_api.get("/metrics")).text
    charted = {re.sub(r"_(bucket|count|sum)$", "", name)
               for p in dashboard["panels"] for t in p["targets"]
               for name in re.findall(r"\b(gongzhi_\w+|http_server_\w+)", t["expr"])}
    assert charted, "the dashboard charts nothing"
    for name in charted:
        assert name in exported, f"{name} is charted but not exported"
