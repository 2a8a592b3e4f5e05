"""SIGKILL the issues service while its relay is publishing, start it again: every stored
event is on Kafka at least once, and every projection counts each event exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import psycopg

from gongzhi import launcher
from gongzhi.services import SERVICES
from shared.settings import Settings
from tests.conftest import DATA_KEY, JWT_SECRET
from tests.kafka.helpers import read_topic, write_issues
from tests.utils.ports import free_port_block
from tests.utils.wait import eventually_sync

ISSUES = next(s for s in SERVICES if s.name == "issues")
RAISED = 4000


def start(settings: Settings, port: int, logs: Path) -> launcher.Running:
    env = launcher.service_env(settings.database_url, settings.home) | {
        "GONGZHI_JWT_SECRET": JWT_SECRET, "GONGZHI_DATA_KEY": DATA_KEY,
        "GONGZHI_TRANSPORT": "kafka", "GONGZHI_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "GONGZHI_KAFKA_NAMESPACE": settings.kafka_namespace, "GONGZHI_KAFKA_PARTITIONS": "3",
        # Small relay batches, so that the kill lands between two acknowledged batches.
        "GONGZHI_RELAY_BATCH_SIZE": "50", "GONGZHI_CONSUMER_POLL_SECONDS": "0.2",
    }
    running = launcher.spawn(ISSUES, "127.0.0.1", port, env, logs)
    launcher.wait_healthy([running])
    return running


def query(settings: Settings, sql: str) -> int | None:
    with psycopg.connect(settings.database_url) as conn:
        try:
            row = conn.execute(sql).fetchone()
        except psycopg.errors.UndefinedTable:
            return None
    return row[0] if row else None


async def test_relay_killed_mid_stream_loses_nothing_and_doubles_no_effect(
    kafka_settings: Settings, tmp_path: Path, spawned: list
) -> None:
    head = write_issues(kafka_settings, RAISED, acknowledge_every=4)
    relayed = "SELECT position FROM issues.relay_position"
    port = free_port_block(1)
    service = start(kafka_settings, port, tmp_path / "logs")
    spawned.append(service.process)
    position = eventually_sync(lambda: query(kafka_settings, relayed),
                               lambda p: p is not None and p > 0, timeout=60)
    os.kill(service.process.pid, signal.SIGKILL)
    service.process.wait()
    position = query(kafka_settings, relayed)
    assert position is not None and 0 < position < head, "the kill missed the stream"

    service = start(kafka_settings, port, tmp_path / "logs")
    spawned.append(service.process)
    try:
        eventually_sync(lambda: query(kafka_settings, relayed), lambda p: p == head, timeout=120)
        summary = ("SELECT coalesce(sum(n), 0) FROM issues_tier_summary.counts "
                   "WHERE node = 'km'")
        eventually_sync(lambda: query(kafka_settings, summary), lambda n: n == RAISED,
                        timeout=120)
        await asyncio.sleep(1.0)  # give a doubled effect the chance to show
        assert query(kafka_settings, summary) == RAISED
        assert query(kafka_settings, 'SELECT count(*) FROM issues_issue_list.issues') == RAISED
        assert query(kafka_settings, "SELECT n FROM issues_tier_summary.counts WHERE "
                     "node = 'km' AND status = 'acknowledged'") == RAISED // 4
    finally:
        service.process.send_signal(signal.SIGTERM)
        service.process.wait(timeout=20)

    with psycopg.connect(kafka_settings.database_url) as conn:
        stored = {(str(r[0]), r[1]) for r in conn.execute(
            "SELECT originator_id, originator_version FROM issues.issues_events")}
    records = await read_topic(kafka_settings)
    published = {(dict(r.headers)["ce_subject"].decode(), int(dict(r.headers)["ce_seq"]))
                 for r in records}
    assert published == stored  # every stored event reached Kafka
    assert len(records) >= head  # at least once (the batch in flight may be there twice)
