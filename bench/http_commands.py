"""Raising issues over HTTP: commands per second and p50/p99 latency, beside the machine's
own ceilings measured in the same run: the same server answering a trivial route, and the
same PostgreSQL running single-row INSERT transactions (pgbench) at the same concurrency.

Load comes from wrk (Debian package `wrk`), which costs far less CPU than a Python client;
client and server still share this machine's cores, as the ratios do too.

    python -m bench.http_commands [--seconds 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import database, machine, pg_bin
from gongzhi import launcher
from gongzhi.demo.seed import seed
from gongzhi.services import SERVICES
from shared import auth
from shared.db import conn_params

LUA = Path(__file__).with_name("wrk_report.lua")
RAISE = json.dumps({"node": "km.guandu.taihe.heping.g01.y001.b01", "title": "bench {n}",
                    "category": "environment", "channel": "app",
                    "contact": {"phone": "13800001111"}})


def wrk(url: str, seconds: int, connections: int, **env: str) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(LUA), url],
        capture_output=True, text=True, env=os.environ | env, check=True,
    ).stdout
    result = json.loads(out.split("WRK_JSON ", 1)[1].splitlines()[0])
    result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def pgbench_inserts(database_url: str, seconds: int, clients: int) -> float:
    p = conn_params(database_url)
    script = Path(tempfile.mkdtemp()) / "insert.sql"
    script.write_text("INSERT INTO scratch (body) VALUES (repeat('x', 600));\n")
    env = os.environ | {"PGHOST": p["host"], "PGPORT": p["port"], "PGUSER": p["user"],
                        "PGPASSWORD": p["password"], "PGDATABASE": p["dbname"]}
    subprocess.run([str(pg_bin("psql")), "-qc",
                    "CREATE TABLE IF NOT EXISTS scratch (id bigserial PRIMARY KEY, body text)"],
                   env=env, check=True, capture_output=True)
    out = subprocess.run(
        [str(pg_bin("pgbench")), "-n", "-c", str(clients), "-j", "2", "-T", str(seconds),
         "-f", str(script)], env=env, capture_output=True, text=True, check=True).stdout
    return float(re.search(r"tps = ([0-9.]+)", out).group(1))


def show(label: str, r: dict) -> None:
    print(f"  {label:<36} {r['rate']:8.0f}/s   p50 {r['p50_us'] / 1000:6.1f} ms   "
          f"p99 {r['p99_us'] / 1000:6.1f} ms   errors {r['socket_errors'] + r['non_2xx']}")


def main(seconds: int, connections: int) -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed for the HTTP benchmark: apt-get install wrk")
    url = database()
    data_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    seed(url, data_key)
    secret = secrets.token_urlsafe(32)
    env = launcher.service_env(url, Path(tempfile.mkdtemp()))
    env |= {"GONGZHI_JWT_SECRET": secret,
            "GONGZHI_DATA_KEY": data_key}
    issues = launcher.spawn(SERVICES[0], "127.0.0.1", 18901, env, Path(tempfile.mkdtemp()))
    launcher.wait_healthy([issues])
    token = auth.mint(secret, sub="bench", role="district_staff", scope="km.guandu")
    auth_header = {"Authorization": f"Bearer {token}"}
    summary_url = f"{issues.url}/v1/tiers/km.guandu/summary"
    print(f"machine: {machine()}")
    print(f"wrk: {connections} connections, {seconds} s per run, on the same machine")
    try:
        while httpx.get(summary_url, headers=auth_header).status_code != 200:
            time.sleep(0.1)  # the service's tier tree copy is still catching up
        health = wrk(f"{issues.url}/health", seconds, connections)
        show("ceiling: GET /health", health)
        raised = wrk(f"{issues.url}/v1/issues", seconds, connections,
                     WRK_METHOD="POST", WRK_BODY=RAISE, WRK_TOKEN=token)
        show("POST /v1/issues (raise)", raised)
        accepted_at = time.perf_counter()
        while httpx.get(summary_url, headers=auth_header).json()["node"]["counts"]["total"] \
                < raised["requests"] - raised["non_2xx"]:
            time.sleep(0.01)
        print(f"  tier summary caught up {time.perf_counter() - accepted_at:.3f} s after wrk "
              f"stopped ({raised['requests']} issues)")
        summary = wrk(summary_url, seconds, connections, WRK_TOKEN=token)
        show("GET /v1/tiers/km.guandu/summary", summary)
        inserts = pgbench_inserts(url, seconds, connections)
        print(f"  {'ceiling: pgbench INSERT transactions':<36} {inserts:8.0f}/s")
        print(f"  ratios: raise / GET-health {raised['rate'] / health['rate']:.3f}, "
              f"raise / pgbench-INSERT {raised['rate'] / inserts:.3f}")
    finally:
        issues.process.send_signal(signal.SIGTERM)
        issues.process.wait(timeout=15)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    main(args.seconds, args.connections)
