"""SIGKILL the issues service in the middle of a stream of commands, start it again, and
check that no accepted command is lost and no projection row is doubled."""

from __future__ import annotations

import os
import signal
import threading
import uuid
from pathlib import Path

import httpx
import psycopg

from gongzhi import launcher
from gongzhi.services import SERVICES
from shared.settings import Settings
from tests.conftest import DATA_KEY, JWT_SECRET
from tests.utils.city import BUILDING, register_small_city
from tests.utils.ports import free_port_block
from tests.utils.tokens import bearer
from tests.utils.wait import eventually_sync

ISSUES = next(s for s in SERVICES if s.name == "issues")
STAFF = bearer("district_staff", "km.guandu", sub="d-01")
NODES = [BUILDING, "km.guandu.taihe.heping.g04", "km.guandu.taihe.minhang",
         "km.guandu.guanshang"]


def start(settings: Settings, port: int, logs: Path) -> launcher.Running:
    env = launcher.service_env(settings.database_url, settings.home)
    env |= {"GONGZHI_JWT_SECRET": JWT_SECRET, "GONGZHI_DATA_KEY": DATA_KEY}
    running = launcher.spawn(ISSUES, "127.0.0.1", port, env, logs)
    launcher.wait_healthy([running])
    return running


class Stream:
    """Raise issues from several threads, each with its own Idempotency-Key, and remember
    which were accepted (2xx) and which were left unanswered by the crash."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.accepted: dict[str, str] = {}  # key -> issue id
        self.unanswered: list[tuple[str, dict]] = []
        self.lock = threading.Lock()

    def send(self, key: str, body: dict, client: httpx.Client) -> bool:
        try:
            r = client.post(f"{self.url}/v1/issues", json=body,
                            headers=STAFF | {"Idempotency-Key": key})
        except httpx.HTTPError:
            with self.lock:
                self.unanswered.append((key, body))
            return False
        assert r.status_code in (200, 201), r.text
        with self.lock:
            self.accepted[key] = r.json()["id"]
        return True

    def run(self, count: int, stop: threading.Event) -> None:
        with httpx.Client(timeout=10) as client:
            for i in range(count):
                if stop.is_set():
                    return
                body = {"node": NODES[i % len(NODES)], "title": f"问题 {i}",
                        "category": "environment", "channel": "grid_patrol"}
                self.send(f"{threading.get_ident()}-{i}-{uuid.uuid4().hex[:6]}", body, client)


def test_sigkill_mid_stream_loses_nothing_accepted_and_doubles_nothing(
    settings: Settings, tmp_path: Path, spawned: list
) -> None:
    register_small_city(settings.database_url)
    port = free_port_block(1)
    service = start(settings, port, tmp_path / "logs")
    spawned.append(service.process)
    stream = Stream(service.url)
    stop = threading.Event()
    workers = [threading.Thread(target=stream.run, args=(400, stop)) for _ in range(4)]
    for w in workers:
        w.start()
    eventually_sync(lambda: len(stream.accepted), lambda n: n >= 150, timeout=60)
    os.kill(service.process.pid, signal.SIGKILL)  # no shutdown hooks, mid-transaction
    service.process.wait()
    stop.set()
    for w in workers:
        w.join()
    accepted_before_crash = dict(stream.accepted)
    assert accepted_before_crash and stream.unanswered, "the crash did not hit mid-stream"

    service = start(settings, port, tmp_path / "logs")
    spawned.append(service.process)
    try:
        # Clients retry what the crash left unanswered, with the same keys.
        with httpx.Client(timeout=10) as client:
            for key, body in stream.unanswered:
                assert stream.send(key, body, client)
            for issue_id in accepted_before_crash.values():
                r = client.get(f"{service.url}/v1/issues/{issue_id}", headers=STAFF)
                assert r.status_code == 200, f"accepted issue {issue_id} was lost"

        stored = _stored_issue_ids(settings.database_url)
        assert set(stream.accepted.values()) == stored  # nothing lost, nothing extra
        assert len(stream.accepted) == len(stored)      # retries made no second issue

        def projected() -> tuple[int, int, int]:
            with psycopg.connect(settings.database_url) as conn:
                rows = conn.execute('SELECT count(*) FROM "issues_issue_list".issues').fetchone()
                total = conn.execute(
                    'SELECT coalesce(sum(n), 0) FROM "issues_tier_summary".counts '
                    "WHERE node = 'km'").fetchone()
                status = conn.execute(
                    'SELECT count(*) FROM "issues_tier_summary".issue_status').fetchone()
            return rows[0], total[0], status[0]

        n = len(stored)
        assert eventually_sync(projected, lambda p: p == (n, n, n), timeout=30) == (n, n, n)
    finally:
        service.process.send_signal(signal.SIGTERM)
        service.process.wait(timeout=15)


def _stored_issue_ids(database_url: str) -> set[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT originator_id::text FROM issues.issues_events WHERE originator_version = 1"
        ).fetchall()
    return {r[0] for r in rows}

