"""One broker of three killed (SIGKILL, the leader of a partition of the issues topic) while
issues are being raised, brought back with `deploy/kafka.sh start-node`: every event of every
acknowledged command reaches the consumer's effects exactly once, nothing lost.

The cluster is deploy/kafka.sh's (RF 3, min.insync.replicas 2, as docker-compose.yml has it);
the relay publishes with acks=all, so losing one broker loses neither acknowledged messages
nor writes. Small heaps: three JVMs beside everyone else's tests on two cores. The test holds
outcomes only (what arrived, how often), never how long anything took."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from services.issues.application import IssuesApplication, RaiseIssue
from services.issues.placement import Placement
from shared.bus.cloudevents import topic_for
from shared.bus.envelope import Envelope
from shared.bus.transports import consumers_for
from shared.db import create_pool
from shared.eventstore import open_application
from shared.projections.projection import Projection
from shared.projections.runner import ProjectionRunner
from shared.relay import Relay
from shared.sealing import Sealer
from shared.settings import Settings
from tests.kafka.helpers import META, NODES
from tests.utils.brokers import Broker
from tests.utils.wait import eventually

PATIENCE = 180  # seconds: generous, two cores are shared with everyone's tests


@pytest.fixture(scope="module")
def cluster() -> Iterator[Broker]:
    broker = Broker(Path(tempfile.mkdtemp(prefix="gongzhi-test-kafka3-")), nodes=3, env={
        "KAFKA_HEAP_OPTS": "-Xms128m -Xmx384m", "KAFKA_START_TIMEOUT": "240"}).start()
    try:
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(broker.state, ignore_errors=True)


class Received(Projection):
    """Every event it is handed, one row each: a doubled effect would be a second row."""

    schema = "t_received"
    streams = ("issues",)
    ddl = "CREATE TABLE IF NOT EXISTS {schema}.got (subject text NOT NULL, seq int NOT NULL);"

    async def apply(self, conn: asyncpg.Connection, schema: str,
                    events: Sequence[Envelope]) -> None:
        await conn.executemany(f"INSERT INTO {schema}.got VALUES ($1, $2)",
                               [(e.subject, e.seq) for e in events])


class Load:
    """Raise issues through the application, a few at a time, until told to stop; `raised`
    counts the commands the store acknowledged."""

    def __init__(self, settings: Settings) -> None:
        self.app = open_application(IssuesApplication, settings.database_url, sealer=Sealer(
            base64.urlsafe_b64encode(os.urandom(32)).decode()))
        self.raised = 0
        self.stopping = asyncio.Event()

    def _raise(self, n: int) -> None:
        for _ in range(n):
            i = self.raised
            cmd = RaiseIssue(node=NODES[i % 3], title=f"t{i}", description="", category="safety",
                             channel="app", location=None, photos=[], contact=None)
            self.app.raise_issue(cmd, reporter="r", meta=META,
                                 placement=Placement.by_depth(cmd.node))
            self.raised += 1

    async def run(self) -> None:
        while not self.stopping.is_set():
            await asyncio.to_thread(self._raise, 5)
            await asyncio.sleep(0.2)

    async def raised_more(self, than: int, by: int) -> None:
        await eventually(lambda: asyncio.sleep(0, self.raised), lambda n: n >= than + by,
                         timeout=PATIENCE)


async def partitions(admin: AIOKafkaAdminClient, topic: str) -> list[dict]:
    """The topic's partitions as the cluster sees them; none while the broker asked is the
    dead one (the admin client may pick any node it knows)."""
    try:
        [described] = await admin.describe_topics([topic])
    except KafkaError:
        return []
    return described["partitions"]


async def leader_of(admin: AIOKafkaAdminClient, topic: str) -> int | None:
    return next((p["leader"] for p in await partitions(admin, topic) if p["partition"] == 0),
                None)


async def in_sync(admin: AIOKafkaAdminClient, topic: str) -> set[int]:
    return {len(p["isr"]) for p in await partitions(admin, topic)}


async def test_one_broker_of_three_killed_under_load_loses_nothing(
        settings: Settings, cluster: Broker) -> None:
    ns = f"t{uuid.uuid4().hex[:10]}"
    settings = settings.model_copy(update={
        "transport": "kafka", "kafka_bootstrap": cluster.bootstrap, "kafka_namespace": ns,
        "kafka_partitions": 3, "kafka_replication": 3, "consumer_poll_seconds": 0.2})
    topic = topic_for("issues", ns)
    load = Load(settings)
    relay = Relay("issues", settings.database_url, cluster.bootstrap, namespace=ns,
                  partitions=3, replication=3, batch_size=50, poll_seconds=0.1)
    pool = await create_pool(settings.database_url)
    runner = ProjectionRunner(Received(), pool, consumers_for(
        settings, settings.database_url, Received.schema))
    admin = AIOKafkaAdminClient(bootstrap_servers=cluster.bootstrap)
    tasks = [asyncio.create_task(t) for t in (load.run(), relay.run(), runner.run())]
    await admin.start()
    try:
        await eventually(lambda: asyncio.sleep(0, relay.published), lambda n: n >= 50,
                         timeout=PATIENCE)
        assert relay.topic_mismatches == []
        victim = await eventually(lambda: leader_of(admin, topic),
                                  lambda leader: leader in {1, 2, 3})
        await asyncio.to_thread(cluster.kill_node, victim)
        assert victim not in await asyncio.to_thread(cluster.running)

        # Two of three in sync are enough: the relay goes on publishing, the consumer on
        # applying, while the commands keep coming. A hundred more acknowledged by Kafka: past
        # the batch that may have been in flight (50 at most), so some went to partition 0
        # after its leader died.
        published = relay.published
        await load.raised_more(load.raised, by=50)
        await eventually(lambda: asyncio.sleep(0, relay.published),
                         lambda n: n >= published + 100, timeout=PATIENCE)
        await eventually(lambda: leader_of(admin, topic),
                         lambda leader: leader in {1, 2, 3} - {victim}, timeout=PATIENCE)

        await asyncio.to_thread(cluster.start_node, victim)
        await load.raised_more(load.raised, by=25)
        load.stopping.set()
        await tasks[0]

        # Reconcile: every stored event (the events of every acknowledged command) applied
        # exactly once; the restarted broker back in sync for every partition.
        stored = {(str(r[0]), r[1]) for r in await pool.fetch(
            "SELECT originator_id, originator_version FROM issues.issues_events")}
        assert len(stored) >= load.raised > 100
        await eventually(lambda: pool.fetchval("SELECT count(*) FROM t_received.got"),
                         lambda n: n >= len(stored), timeout=PATIENCE)
        got = await pool.fetch("SELECT subject, seq, count(*) AS n FROM t_received.got "
                               "GROUP BY subject, seq")
        assert {(r["subject"], r["seq"]) for r in got} == stored
        assert {r["n"] for r in got} == {1}
        await eventually(lambda: in_sync(admin, topic), lambda isr: isr == {3},
                         timeout=PATIENCE)
    finally:
        load.stopping.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await admin.close()
        await pool.close()
        load.app.close()
