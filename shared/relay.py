"""The relay: publish each stored event of one service to Kafka, in log order.

The notification log is the outbox; nothing is written to Kafka inside a request. The relay
follows the log, sends each event to `gongzhi.<service>` keyed by aggregate id through an
idempotent producer with acks=all, waits until Kafka acknowledged the whole batch, and only
then records how far it got. A crash re-sends from the recorded position: events may reach
Kafka twice (consumers skip an (aggregate, version) they applied), never not at all.

One relay per service publishes at a time: it holds a PostgreSQL advisory lock, so a
second replica waits as a warm standby.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from opentelemetry.trace import Span

from shared import db, supervise, telemetry
from shared.bus.cloudevents import Headers, to_kafka, topic_for
from shared.bus.envelope import from_stored
from shared.bus.log_follower import follow_logs

log = logging.getLogger("gongzhi.relay")


class Relay:
    def __init__(
        self,
        service: str,
        database_url: str,
        bootstrap: str,
        *,
        namespace: str = "gongzhi",
        partitions: int = 6,
        replication: int = 1,
        batch_size: int = 1000,
        poll_seconds: float = 0.5,
    ) -> None:
        self.service = service
        self.topic = topic_for(service, namespace)
        self.database_url = database_url
        self.bootstrap = bootstrap
        self.partitions = partitions
        self.replication = replication
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.published = 0  # messages acknowledged by Kafka in this process
        self.leading = asyncio.Event()

    async def run(self) -> None:
        """Publish forever; on any failure start again from the recorded position."""
        await supervise.forever(f"relay {self.service}", self._lead)

    async def _lead(self) -> None:
        conn = await db.connect(self.database_url)
        try:
            # Another replica may lead; poll the lock (PostgreSQL cannot notify us of it).
            while not await conn.fetchval(  # noqa: ASYNC110
                "SELECT pg_try_advisory_lock(hashtext($1))", f"relay:{self.service}"
            ):
                await asyncio.sleep(1.0)
            await self._prepare(conn)
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap,
                enable_idempotence=True,
                acks="all",
                linger_ms=5,
                max_batch_size=512 * 1024,
            )
            await producer.start()
            self.leading.set()
            try:
                await self._publish(conn, producer)
            finally:
                self.leading.clear()
                await producer.stop()
        finally:
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)

    async def _prepare(self, conn: asyncpg.Connection) -> None:
        await conn.execute(
            f'CREATE TABLE IF NOT EXISTS "{self.service}".relay_position '
            f"(topic text PRIMARY KEY, position bigint NOT NULL)"
        )
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            configs = {"min.insync.replicas": "2"} if self.replication >= 3 else {}
            await admin.create_topics([NewTopic(self.topic, self.partitions, self.replication,
                                                topic_configs=configs)])
        except TopicAlreadyExistsError:
            pass
        finally:
            await admin.close()

    async def _publish(self, conn: asyncpg.Connection, producer: AIOKafkaProducer) -> None:
        position = await conn.fetchval(
            f'SELECT position FROM "{self.service}".relay_position WHERE topic = $1', self.topic
        ) or 0
        async for _, rows in follow_logs(
            self.database_url, (self.service,), {self.service: position},
            batch_size=self.batch_size, poll_seconds=self.poll_seconds,
        ):
            acks, spans = [], []
            for row in rows:
                key, value, headers, traced = self._message(row)
                spans.append(traced)
                acks.append(await producer.send(self.topic, value=value, key=key,
                                                headers=headers))
            await asyncio.gather(*acks)  # every message acknowledged by all in-sync replicas
            telemetry.end(spans)
            position = rows[-1]["notification_id"]
            await conn.execute(
                f'INSERT INTO "{self.service}".relay_position (topic, position) VALUES ($1, $2)'
                f" ON CONFLICT (topic) DO UPDATE SET position = EXCLUDED.position",
                self.topic, position,
            )
            self.published += len(rows)

    def _message(self, row: asyncpg.Record) -> tuple[bytes, bytes, Headers, Span | None]:
        try:
            envelope = from_stored(self.service, str(row["originator_id"]),
                                   row["originator_version"], row["topic"], row["state"])
        except ValueError:
            # A stored event we cannot read is still published, as it is, so that every
            # consumer parks it in its dead-letter table instead of silently missing it.
            log.error("publishing unreadable event %s/%s as is", row["originator_id"],
                      row["originator_version"])
            return str(row["originator_id"]).encode(), bytes(row["state"]), [
                ("ce_specversion", b"1.0"), ("ce_type", row["topic"].encode()),
                ("ce_subject", str(row["originator_id"]).encode())], None
        envelope, span = telemetry.start_publish(envelope, self.topic)
        return (*to_kafka(envelope), span)
