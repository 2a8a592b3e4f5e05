"""Choose the transport by configuration: GONGZHI_TRANSPORT=embedded (default) or kafka.

Projection and policy code is the same for both; only the consumer factory differs. On
Kafka each read model is its own consumer group (`<namespace>.<schema>`), so replicas of a
service share its partitions.
"""

from __future__ import annotations

from shared.bus.consumer import Consumer, ConsumerFactory
from shared.bus.embedded import EmbeddedConsumer
from shared.bus.kafka import KafkaConsumer
from shared.settings import Settings


def consumers_for(settings: Settings, database_url: str, group: str) -> ConsumerFactory:
    def embedded(streams: tuple[str, ...]) -> Consumer:
        return EmbeddedConsumer(database_url, streams, batch_size=settings.consumer_batch_size,
                                poll_seconds=settings.consumer_poll_seconds)

    def kafka(streams: tuple[str, ...]) -> Consumer:
        ns = settings.kafka_namespace
        return KafkaConsumer(settings.kafka_bootstrap, streams, namespace=ns,
                             group_id=f"{ns}.{group}",
                             batch_size=settings.consumer_batch_size,
                             poll_seconds=settings.consumer_poll_seconds)

    return kafka if settings.transport == "kafka" else embedded
