"""Departments subscribe: a webhook receiver gets exactly its department's whistle events,
signed, retried through an outage, logged, and redeliverable; a console's SSE stream gets
the same events live and resumes with Last-Event-ID."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from services.grid.webhooks import verify
from shared.settings import Settings
from tests.integration.conftest import Platform
from tests.utils.receiver import Receiver
from tests.utils.wait import eventually
from tests.utils.whistles import POLICE, STREET, URBAN


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The receiver listens on loopback: the operator allows it (webhooks to local
    addresses are refused otherwise, docs/access.md)."""
    return settings.model_copy(update={"webhook_allow_hosts": "127.0.0.1"})


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver(fail_first=2)
    yield r
    r.close()


async def blow(platform: Platform, departments: list[str], title: str) -> str:
    r = await platform.grid.post("/v1/whistles", headers=STREET, json={
        "node": "km.guandu.taihe", "situation": "law_enforcement", "title": title,
        "departments": departments})
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def test_a_webhook_gets_exactly_its_departments_whistles_signed(
    platform: Platform, receiver: Receiver
) -> None:
    await webhook_case(platform, receiver)


async def test_webhooks_on_kafka(kafka_platform: Platform, receiver: Receiver) -> None:
    await webhook_case(kafka_platform, receiver)


async def webhook_case(platform: Platform, receiver: Receiver) -> None:
    grid = platform.grid
    r = await grid.post("/v1/departments/km-gaj/webhooks", json={"url": receiver.url},
                        headers=POLICE)
    assert r.status_code == 201
    secret = r.json()["secret"]
    await eventually(lambda: grid.get("/v1/departments/km-gaj/webhooks", headers=POLICE),
                     lambda r: [h["url"] for h in r.json()] == [receiver.url])
    r = await grid.post("/v1/departments/km-gaj/webhooks", json={"url": receiver.url},
                        headers=URBAN)
    assert r.status_code == 403  # another department's staff

    both = await blow(platform, ["km-cgj", "km-gaj"], "联合执法")
    await blow(platform, ["km-cgj"], "只叫城管")  # must not reach the police's endpoint
    await grid.post(f"/v1/whistles/{both}/report", json={}, headers=POLICE)

    await eventually(lambda: _async(len(receiver.got)), lambda n: n >= 2, timeout=60)
    events = [json.loads(g.body) for g in receiver.got]
    assert sorted(e["type"] for e in events) == [
        "gongzhi.whistle.blown.v1", "gongzhi.whistle.department_reported.v1"]
    assert {e["subject"] for e in events} == {both}
    assert receiver.refused == 2  # the first attempts met an outage and were retried
    for g in receiver.got:
        assert verify(secret, g.body, g.headers["Gongzhi-Signature"])
        assert not verify("another-secret", g.body, g.headers["Gongzhi-Signature"])
        assert not verify(secret, g.body + b" ", g.headers["Gongzhi-Signature"])

    log = (await grid.get("/v1/departments/km-gaj/deliveries", headers=POLICE)).json()
    assert sorted(d["status"] for d in log) == ["delivered", "delivered"]
    assert all(d["attempts"] >= 1 for d in log)
    # the two deliveries run concurrently, so the log's order need not be the receiver's
    again = min(log, key=lambda d: d["id"])
    r = await grid.post(f"/v1/departments/km-gaj/deliveries/{again['id']}/redeliver",
                        headers=POLICE)
    assert r.status_code == 200
    await eventually(lambda: _async(len(receiver.got)), lambda n: n == 3, timeout=60)
    assert json.loads(receiver.got[-1].body)["id"] == again["event_id"]


@pytest.fixture
async def grid_over_http(settings) -> AsyncIterator[Platform]:
    from services.grid.bootstrap import create_app
    from tests.utils.city import register_small_city
    from tests.utils.serve import serve_http
    from tests.utils.whistles import ADMIN, DEPARTMENTS

    register_small_city(settings.database_url)
    async with serve_http(create_app(settings)) as grid:
        for d in DEPARTMENTS:
            assert (await grid.post("/v1/departments", json=d, headers=ADMIN)).is_success
        await eventually(lambda: grid.get("/v1/departments", headers=ADMIN),
                         lambda r: len(r.json()) == 3)
        yield Platform(grid, None, None, None)


async def test_the_sse_stream_follows_and_resumes(grid_over_http: Platform) -> None:
    platform = grid_over_http
    grid = platform.grid
    async with grid.stream("GET", "/v1/departments/km-gaj/stream", headers=POLICE) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        assert await anext(lines) == ": connected"
        wid = await blow(platform, ["km-gaj"], "夜间施工扰民")
        await blow(platform, ["km-cgj"], "不关派出所的事")
        event = await _next_event(lines)
        assert event["event"] == "gongzhi.whistle.blown.v1"
        assert json.loads(event["data"])["subject"] == wid
        last_id = event["id"]
    await grid.post(f"/v1/whistles/{wid}/report", json={}, headers=POLICE)
    async with grid.stream("GET", "/v1/departments/km-gaj/stream",
                           headers=POLICE | {"Last-Event-ID": last_id}) as stream:
        lines = stream.aiter_lines()
        await anext(lines)
        event = await _next_event(lines)
        assert event["event"] == "gongzhi.whistle.department_reported.v1"
        assert int(event["id"]) > int(last_id)


async def _next_event(lines: AsyncIterator[str]) -> dict[str, str]:
    event: dict[str, str] = {}
    async for line in lines:
        if line.startswith(":"):
            continue
        if not line:
            if event:
                return event
            continue
        key, _, value = line.partition(": ")
        event[key] = value
    raise AssertionError("stream ended")


async def _async(value: int) -> int:
    return value


async def test_gongzhi_subscribe_prints_only_its_departments_events(
    kafka_platform: Platform, kafka_settings
) -> None:
    import asyncio
    import sys

    both = await blow(kafka_platform, ["km-cgj", "km-gaj"], "联合执法")
    await blow(kafka_platform, ["km-cgj"], "只叫城管")
    await kafka_platform.grid.post(f"/v1/whistles/{both}/report", json={}, headers=POLICE)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gongzhi.cli", "subscribe", "--department", "km-gaj",
        "--bootstrap", kafka_settings.kafka_bootstrap,
        "--namespace", kafka_settings.kafka_namespace, "--from-beginning", "--max-events", "2",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    events = [json.loads(line) for line in out.decode().splitlines()]
    assert [e["type"] for e in events] == [
        "gongzhi.whistle.blown.v1", "gongzhi.whistle.department_reported.v1"]
    assert all(e["subject"] == both and "km-gaj" in e["departments"] for e in events)
