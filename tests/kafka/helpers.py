"""Shared steps of the Kafka tests: write events, relay them, read the topic back."""

from __future__ import annotations

import asyncio
import base64
import os

from aiokafka import AIOKafkaConsumer

from services.issues.application import IssuesApplication, RaiseIssue
from services.issues.placement import Placement
from shared.bus.cloudevents import topic_for
from shared.eventstore import open_application
from shared.relay import Relay
from shared.sealing import Sealer
from shared.settings import Settings

META = {"actor": {"sub": "t", "role": "admin", "name": ""}}
NODES = ["km.a.s1.c1", "km.a.s1.c2", "km.a.s2.c3"]


def write_issues(settings: Settings, n: int, acknowledge_every: int = 0) -> int:
    """Raise n issues straight through the issues Application; returns the events stored."""
    app = open_application(IssuesApplication, settings.database_url,
                           sealer=Sealer(base64.urlsafe_b64encode(os.urandom(32)).decode()))
    try:
        for i in range(n):
            cmd = RaiseIssue(node=NODES[i % 3], title=f"t{i}", description="",
                             category="safety", channel="app", location=None, photos=[],
                             contact=None)
            issue, _ = app.raise_issue(cmd, reporter="r", meta=META,
                                       placement=Placement.by_depth(cmd.node))
            if acknowledge_every and i % acknowledge_every == 0:
                app.acknowledge(issue.id, "", META)
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


def relay_for(settings: Settings, service: str = "issues") -> Relay:
    return Relay(service, settings.database_url, settings.kafka_bootstrap,
                 namespace=settings.kafka_namespace, partitions=settings.kafka_partitions,
                 poll_seconds=0.1)


async def relay_until(relay: Relay, position: int, settings: Settings) -> None:
    """Run the relay until its recorded position reaches `position`."""
    import asyncpg

    from shared.db import asyncpg_kwargs

    task = asyncio.create_task(relay.run())
    conn = await asyncpg.connect(**asyncpg_kwargs(settings.database_url))
    try:
        for _ in range(600):
            try:
                got = await conn.fetchval(
                    f'SELECT position FROM "{relay.service}".relay_position')
            except asyncpg.UndefinedTableError:
                got = None
            if got is not None and got >= position:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"relay did not reach {position}")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await conn.close()


async def read_topic(settings: Settings, service: str = "issues") -> list:
    """Every message on the service's topic, from the beginning to the current end."""
    from shared.bus.kafka import _reached, partitions_of

    topic = topic_for(service, settings.kafka_namespace)
    partitions = await partitions_of(settings.kafka_bootstrap, [topic])
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        records: list = []
        while not await _reached(consumer, end):
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records += batch
        return records
    finally:
        await consumer.stop()
