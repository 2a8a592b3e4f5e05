"""Choose the transport by configuration: GONGZHI_TRANSPORT=embedded (default) or kafka."""

from __future__ import annotations

from shared.bus.consumer import Consumer, ConsumerFactory
from shared.bus.embedded import EmbeddedConsumer
from shared.settings import Settings


def consumers_for(settings: Settings, database_url: str) -> ConsumerFactory:
    if settings.transport != "embedded":
        raise RuntimeError(
            f"GONGZHI_TRANSPORT={settings.transport} is not available yet; use embedded"
        )

    def make(streams: tuple[str, ...]) -> Consumer:
        return EmbeddedConsumer(
            database_url, streams,
            batch_size=settings.consumer_batch_size,
            poll_seconds=settings.consumer_poll_seconds,
        )

    return make
