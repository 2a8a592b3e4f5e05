"""Run the four services as separate processes and keep them up.

Each service is its own uvicorn process (as it would be its own container), sharing only the
PostgreSQL server. A service that dies is restarted; Ctrl-C stops them all.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from gongzhi.services import CONSOLE, SERVICES, ServiceSpec


@dataclass
class Running:
    spec: ServiceSpec
    url: str
    process: subprocess.Popen
    log: Path
    restarts: int = field(default=0)


def spawn(spec: ServiceSpec, host: str, port: int, env: dict[str, str], logs: Path) -> Running:
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{spec.name}.log"
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", spec.factory,
        "--host", host, "--port", str(port), "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--timeout-graceful-shutdown", "5",
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Running(spec, f"http://{host}:{port}", process, log)


def wait_healthy(running: list[Running], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    pending = list(running)
    while pending:
        for r in list(pending):
            if r.process.poll() is not None:
                raise RuntimeError(f"{r.spec.name} exited at start; see {r.log}:\n"
                                   + r.log.read_text()[-3000:])
            try:
                if httpx.get(f"{r.url}/health", timeout=1.0).status_code == 200:
                    pending.remove(r)
            except httpx.HTTPError:
                pass
        if pending and time.monotonic() > deadline:
            names = ", ".join(r.spec.name for r in pending)
            raise RuntimeError(f"not healthy after {timeout:.0f}s: {names}")
        time.sleep(0.2)


def start_all(host: str, base_port: int, env: dict[str, str], logs: Path) -> list[Running]:
    """The four services, then the console in front of them (it only passes requests on)."""
    env["GONGZHI_UPSTREAMS"] = json.dumps(
        {s.name: f"http://{host}:{base_port + s.port_offset}" for s in SERVICES})
    running = [spawn(s, host, base_port + s.port_offset, env, logs) for s in (*SERVICES, CONSOLE)]
    try:
        wait_healthy(running)
    except BaseException:
        stop_all(running)
        raise
    return running


def supervise(running: list[Running], host: str, base_port: int, env: dict[str, str],
              logs: Path) -> None:
    """Block until SIGINT/SIGTERM, restarting any service that dies meanwhile."""
    stopping = False

    def on_signal(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    while not stopping:
        for i, r in enumerate(running):
            if r.process.poll() is not None and not stopping:
                print(f"! {r.spec.name} exited ({r.process.returncode}); restarting", flush=True)
                fresh = spawn(r.spec, host, base_port + r.spec.port_offset, env, logs)
                fresh.restarts = r.restarts + 1
                running[i] = fresh
        time.sleep(0.5)
    stop_all(running)


def stop_all(running: list[Running]) -> None:
    for r in running:
        if r.process.poll() is None:
            r.process.terminate()
    for r in running:
        try:
            r.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            r.process.kill()


def service_env(database_url: str, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url
    env["GONGZHI_HOME"] = str(home.resolve())
    return env
