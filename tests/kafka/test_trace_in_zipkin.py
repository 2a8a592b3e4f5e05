"""`gongzhi up --transport kafka` as a person runs it: an issue raised over HTTP reaches the
tier summary through Kafka, and Zipkin holds one trace with the HTTP request, the command,
the store append, the relay's publish and the projections' processing."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.system.test_platform import _read_until
from tests.utils.ports import free_port_block
from tests.utils.wait import eventually_sync

BUILDING = "km.guandu.taihe.heping.g01.y001.b01"
GONGZHI = [sys.executable, "-m", "gongzhi.cli"]


def test_one_trace_follows_an_issue_through_kafka(tmp_path: Path) -> None:
    home = tmp_path / "gz"
    base, kafka_port, zipkin_port = free_port_block(4), free_port_block(1), free_port_block(1)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["OTEL_BSP_SCHEDULE_DELAY"] = "200"  # export spans promptly
    up = subprocess.Popen(
        [*GONGZHI, "up", "--home", str(home), "--base-port", str(base), "--transport", "kafka",
         "--kafka-port", str(kafka_port), "--zipkin-port", str(zipkin_port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        printed = _read_until(up, "Press Ctrl-C", timeout=300)
        assert f"127.0.0.1:{kafka_port}" in printed and f"127.0.0.1:{zipkin_port}" in printed
        token = subprocess.run(
            [*GONGZHI, "token", "--role", "district_staff", "--scope", "km.guandu",
             "--home", str(home)], capture_output=True, text=True, check=True, env=env,
        ).stdout.strip()
        auth = {"Authorization": f"Bearer {token}"}
        issues = f"http://127.0.0.1:{base}"
        summary = f"{issues}/v1/tiers/km.guandu.taihe/summary"
        eventually_sync(lambda: httpx.get(summary, headers=auth).status_code,
                        lambda code: code == 200, timeout=120)
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
        assert {s["localEndpoint"]["serviceName"] for s in found} == {"gongzhi-issues"}
    finally:
        up.send_signal(signal.SIGINT)
        out, _ = up.communicate(timeout=120)
    assert up.returncode == 0, out
