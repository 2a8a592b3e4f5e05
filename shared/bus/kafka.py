"""The Kafka transport: aiokafka consumer groups behind the consumer interface.

A stream is `<topic>:<partition>`, an offset a Kafka offset. Nothing is committed to Kafka:
the projection runner keeps positions beside its effect, and on every assignment (start or
rebalance) the consumer seeks each partition to the stored position + 1, so a restart or a
rebalance neither doubles nor drops an effect. Catching up (follow=False, used by rebuilds
and benchmarks) assigns every partition by hand, outside the group, and stops at the end
offsets it saw when it started.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Mapping

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord

from shared.bus.cloudevents import from_kafka, topic_for
from shared.bus.consumer import PositionLoader
from shared.bus.envelope import Delivery, Envelope
from shared.bus.topics import never_auto_create

# A consumer started before the relay must wait for its topic, never create it (topics.py).
never_auto_create()


def stream_of(tp: TopicPartition) -> str:
    return f"{tp.topic}:{tp.partition}"


def _decode(record: ConsumerRecord) -> Envelope:
    return from_kafka(record.headers, record.value)


async def _seek(consumer: AIOKafkaConsumer, partitions: list[TopicPartition],
                stored: Mapping[str, int]) -> None:
    for tp in partitions:
        if (last := stored.get(stream_of(tp))) is not None:
            consumer.seek(tp, last + 1)
        else:
            await consumer.seek_to_beginning(tp)


async def _reached(consumer: AIOKafkaConsumer, end: Mapping[TopicPartition, int]) -> bool:
    for tp, offset in end.items():
        if await consumer.position(tp) < offset:
            return False
    return True


class _SeekToStored(ConsumerRebalanceListener):
    def __init__(self, consumer: AIOKafkaConsumer, positions: PositionLoader) -> None:
        self.consumer, self.positions = consumer, positions

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        pass  # nothing to commit: positions live with the effects

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        await _seek(self.consumer, list(assigned), await self.positions())


class KafkaConsumer:
    def __init__(
        self,
        bootstrap: str,
        streams: tuple[str, ...],
        *,
        namespace: str,
        group_id: str,
        batch_size: int = 500,
        poll_seconds: float = 0.5,
    ) -> None:
        self.bootstrap = bootstrap
        self.topics = [topic_for(s, namespace) for s in streams]
        self.group_id = group_id
        self.batch_size = batch_size
        self.poll_ms = int(poll_seconds * 1000)

    async def batches(
        self, positions: PositionLoader, *, follow: bool = True
    ) -> AsyncIterator[list[Delivery]]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=self.group_id if follow else None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.batch_size,
            metadata_max_age_ms=5000,  # see topics created after we joined, soon
        )
        await consumer.start()
        try:
            end: dict[TopicPartition, int] = {}
            if follow:
                consumer.subscribe(self.topics, listener=_SeekToStored(consumer, positions))
            else:
                partitions = await self._all_partitions(consumer)
                if not partitions:
                    return
                consumer.assign(partitions)
                await _seek(consumer, partitions, await positions())
                end = await consumer.end_offsets(partitions)
            while True:
                got = await consumer.getmany(timeout_ms=self.poll_ms, max_records=self.batch_size)
                for tp, records in got.items():
                    yield [Delivery(stream_of(tp), r.offset, functools.partial(_decode, r))
                           for r in records]
                if not follow and await _reached(consumer, end):
                    return
        finally:
            await consumer.stop()

    async def _all_partitions(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        return await partitions_of(self.bootstrap, self.topics)


async def partitions_of(bootstrap: str, topics: list[str]) -> list[TopicPartition]:
    """Every partition of the topics that exist (ones not created yet have none)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return sorted(
        TopicPartition(t["topic"], p["partition"])
        for t in described if t["error_code"] == 0 for p in t["partitions"]
    )
