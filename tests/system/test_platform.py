"""The platform as a new user starts it: `gongzhi up`, a token from `gongzhi token`, an issue
raised over HTTP at a building, visible in its community's, street's and district's
summaries; every service's OpenAPI docs reachable; Ctrl-C stops everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.utils.ports import free_port_block
from tests.utils.wait import eventually_sync

BUILDING = "km.guandu.taihe.heping.g01.y001.b01"
GONGZHI = [sys.executable, "-m", "gongzhi.cli"]


def cli(*args: str, home: Path) -> str:
    return subprocess.run([*GONGZHI, *args, "--home", str(home)], check=True,
                          capture_output=True, text=True, env=_env()).stdout.strip()


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)  # the embedded default, as a new user has it
    return env


def test_gongzhi_up_serves_the_demo_city_end_to_end(tmp_path: Path) -> None:
    home = tmp_path / "gz"
    base = free_port_block(4)
    up = subprocess.Popen([*GONGZHI, "up", "--home", str(home), "--base-port", str(base)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env=_env())
    try:
        printed = _read_until(up, "Press Ctrl-C", timeout=120)
        urls = [f"http://127.0.0.1:{base + i}" for i in range(4)]
        for url in urls:
            assert url in printed
            assert httpx.get(f"{url}/openapi.json").status_code == 200
            assert httpx.get(f"{url}/docs").status_code == 200
        issues = urls[0]
        resident = {"Authorization": "Bearer " + cli(
            "token", "--role", "resident", "--scope", "km.guandu.taihe.heping",
            "--sub", "r-100", home=home)}
        leader = {"Authorization": "Bearer " + cli(
            "token", "--role", "district_staff", "--scope", "km.guandu", home=home)}

        def total(path: str) -> int:
            r = httpx.get(f"{issues}/v1/tiers/{path}/summary", headers=leader)
            return r.json()["node"]["counts"]["total"] if r.status_code == 200 else -1

        tiers = ("km.guandu.taihe.heping", "km.guandu.taihe", "km.guandu")
        before = {p: eventually_sync(lambda p=p: total(p), lambda n: n >= 0) for p in tiers}
        r = httpx.post(f"{issues}/v1/issues", headers=resident, json={
            "node": BUILDING, "title": "单元门禁损坏", "category": "public_affairs.bike_shed",
            "channel": "app"})
        assert r.status_code == 201, r.text
        raised_at = time.monotonic()
        for path in tiers:
            eventually_sync(lambda p=path: total(p), lambda n, p=path: n == before[p] + 1)
        print(f"visible at community, street and district after "
              f"{time.monotonic() - raised_at:.3f}s")
    finally:
        up.send_signal(signal.SIGINT)
        out, _ = up.communicate(timeout=60)
    assert up.returncode == 0, out
    assert "Stopped." in out
    for i in range(4):
        try:
            httpx.get(f"http://127.0.0.1:{base + i}/health", timeout=1)
            raise AssertionError(f"port {base + i} still answers after Ctrl-C")
        except httpx.HTTPError:
            pass


def _read_until(process: subprocess.Popen, marker: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError("gongzhi up exited early:\n" + "".join(seen))
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"no {marker!r} within {timeout}s:\n" + "".join(seen))
