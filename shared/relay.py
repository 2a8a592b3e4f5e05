"""The relay: publish each stored event of one service to Kafka, in log order.

The notification log is the outbox; nothing is written to Kafka inside a request. The relay
follows the log, sends each event to `gongzhi.<service>` keyed by aggregate id through an
idempotent producer with acks=all, waits until Kafka acknowledged the whole batch, and only
then records how far it got. A crash re-sends from the recorded position: events may reach
Kafka twice (consumers skip an (aggregate, version) they applied), never not at all.

One relay per service publishes at a time: it holds a PostgreSQL advisory lock, so a
second replica waits as a warm standby.

A stored event the relay cannot read or encode never stops it: it goes, as stored, to the
dead-letter topic `<topic>.dead-letters` with full CloudEvents attributes (its id, source,
type, subject, sequence, the time it was relayed, and `ce_gongzhierror` saying what was wrong),
and the stream goes on. Topics are created here (shared/bus/topics.py), with the configured
partitions and replication (nothing else creates them); an existing topic that differs from
the configuration is reported loudly at every start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

import asyncpg
from aiokafka import AIOKafkaProducer
from opentelemetry.trace import Span

from shared import db, supervise, telemetry
from shared.bus import topics
from shared.bus.cloudevents import Headers, to_kafka, topic_for, unreadable_headers
from shared.bus.envelope import from_stored
from shared.bus.log_follower import follow_logs

log = logging.getLogger("gongzhi.relay")
DEAD_LETTER_SUFFIX = topics.DEAD_LETTER_SUFFIX


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
        self.dead_letter_topic = self.topic + DEAD_LETTER_SUFFIX
        self.published = 0  # messages acknowledged by Kafka in this process
        self.dead_lettered = 0
        self.topic_mismatches: list[str] = []  # what differs from the configuration
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
        self.topic_mismatches = await topics.ensure(
            self.bootstrap, topics.service_topics(self.topic),
            topics.Layout(self.partitions, self.replication))

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
                try:
                    key, value, headers, traced = self._message(row)
                    topic = self.topic
                except Exception as exc:  # one event must never stop the stream
                    key, value, headers, traced = self._dead_letter(row, exc)
                    topic = self.dead_letter_topic
                    self.dead_lettered += 1
                spans.append(traced)
                acks.append(await producer.send(topic, value=value, key=key, headers=headers))
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
        envelope = from_stored(self.service, str(row["originator_id"]),
                               row["originator_version"], row["topic"], row["state"])
        envelope, span = telemetry.start_publish(envelope, self.topic, self.bootstrap)
        try:
            return (*to_kafka(envelope), span)
        except Exception:
            telemetry.end([span])
            raise

    def _dead_letter(self, row: asyncpg.Record,
                     error: Exception) -> tuple[bytes, bytes, Headers, Span | None]:
        """The stored event as it is, with every CloudEvents attribute we can still name."""
        subject, seq = str(row["originator_id"]), row["originator_version"]
        log.error("event %s/%s of %s cannot be published (%s: %s); sent to %s", subject, seq,
                  self.service, type(error).__name__, error, self.dead_letter_topic)
        # Its own time is inside the state we cannot read: ce_time is when it went out.
        return subject.encode(), bytes(row["state"]), [
            *unreadable_headers(subject, seq, str(row["topic"]), self.service,
                                datetime.now(UTC).isoformat()),
            ("ce_gongzhiposition", str(row["notification_id"]).encode()),
            ("ce_gongzhierror", f"{type(error).__name__}: {error}"[:1000].encode()),
        ], None
