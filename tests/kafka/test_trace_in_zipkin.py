"""`gongzhi up --transport kafka` as a person runs it: an issue raised over HTTP reaches the
tier summary through Kafka, and Zipkin holds one trace with the HTTP request, the command,
the store append, the relay's publish and the projections' processing."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import httpx

from tests.utils.platform import gongzhi_up
from tests.utils.ports import free_port_block, kafka_port
from tests.utils.wait import eventually_sync

BUILDING = "km.guandu.taihe.heping.g01.y001.b01"


def test_one_trace_follows_an_issue_through_kafka(tmp_path: Path) -> None:
    kafka, zipkin_port = kafka_port(), free_port_block(1)
    with gongzhi_up(tmp_path, "--transport", "kafka", "--kafka-port", str(kafka),
                    "--zipkin-port", str(zipkin_port), start_timeout=300,
                    OTEL_BSP_SCHEDULE_DELAY="200") as gz:  # export spans promptly
        assert f"127.0.0.1:{kafka}" in gz.printed
        assert f"127.0.0.1:{zipkin_port}" in gz.printed
        auth = gz.token("district_staff", "km.guandu")
        issues = gz.url("issues")
        summary = f"{issues}/v1/tiers/km.guandu.taihe/summary"
        # The building and the community both known to issues' copy of the tier tree: grid's
        # nodes arrive over several partitions, in no order across them.
        eventually_sync(lambda: {httpx.get(url, headers=auth).status_code for url in (
            summary, f"{issues}/v1/tiers/{BUILDING}/summary")}, lambda codes: codes == {200},
            timeout=120)
        trace_id = secrets.token_hex(16)
        r = httpx.post(f"{issues}/v1/issues", json={
            "node": BUILDING, "title": "路灯不亮", "category": "public_affairs",
            "channel": "app"},
            headers=auth | {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"})
        assert r.status_code == 201, r.text
        eventually_sync(lambda: httpx.get(summary, headers=auth).json()["node"]["counts"]["total"],
                        lambda n: n == 1, timeout=60)

        def spans() -> list[dict]:
            got = httpx.get(f"http://127.0.0.1:{zipkin_port}/api/v2/trace/{trace_id}")
            return got.json() if got.status_code == 200 else []

        def names(found: list[dict]) -> set[str]:
            return {s.get("name", "") for s in found}

        wanted = ("post /v1/issues", "issues raise_issue", "issues store append",
                  "issues publish", "issues_tier_summary process", "issues_issue_list process")
        found = eventually_sync(spans, lambda f: all(any(w in n for n in names(f))
                                                     for w in wanted), timeout=60)
        kinds = {s.get("kind") for s in found}
        assert {"SERVER", "PRODUCER", "CONSUMER"} <= kinds
        assert {s["traceId"] for s in found} == {trace_id}
        # Other services' read models and policies consume the same events (evaluation, grid,
        # volunteers): the trace goes on into them, as consumer spans only.
        by_service = {s["localEndpoint"]["serviceName"] for s in found}
        assert "gongzhi-issues" in by_service and "gongzhi-evaluation" in by_service
        assert {s["kind"] for s in found
                if s["localEndpoint"]["serviceName"] != "gongzhi-issues"} <= {"CONSUMER"}

        # Messaging spans name the broker (peer.service = kafka), so Zipkin's dependency
        # graph draws the services through Kafka, not as islands.
        for s in found:
            if s.get("kind") in ("PRODUCER", "CONSUMER"):
                assert s.get("remoteEndpoint", {}).get("serviceName") == "kafka", s
                assert s["tags"]["messaging.system"] == "kafka"
                assert s["tags"]["messaging.destination.name"].endswith(".issues")
        producer = next(s for s in found if s.get("kind") == "PRODUCER")
        assert producer["tags"]["server.address"] == "127.0.0.1"

        def edges() -> set[tuple[str, str]]:
            got = httpx.get(f"http://127.0.0.1:{zipkin_port}/api/v2/dependencies",
                            params={"endTs": int(time.time() * 1000) + 60_000,
                                    "lookback": 3_600_000})
            return {(d["parent"], d["child"]) for d in got.json()} if got.is_success else set()

        wanted_edges = {("gongzhi-issues", "kafka"), ("kafka", "gongzhi-issues"),
                        ("kafka", "gongzhi-evaluation")}
        eventually_sync(edges, lambda e: wanted_edges <= e, timeout=60)
