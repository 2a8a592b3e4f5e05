"""The embedded transport: deliveries straight from the services' notification logs.

It stands in for Kafka on one machine, reading other services' logs read-only. A stream is
a service name; an offset is a notification id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg

from shared.bus.consumer import PositionLoader
from shared.bus.envelope import Delivery, from_stored
from shared.bus.log_follower import follow_logs


class EmbeddedConsumer:
    def __init__(
        self,
        database_url: str,
        streams: tuple[str, ...],
        *,
        batch_size: int = 500,
        poll_seconds: float = 0.5,
    ) -> None:
        self.database_url = database_url
        self.streams = streams
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds

    async def batches(
        self, positions: PositionLoader, *, follow: bool = True
    ) -> AsyncIterator[list[Delivery]]:
        async for service, rows in follow_logs(
            self.database_url, self.streams, await positions(),
            batch_size=self.batch_size, poll_seconds=self.poll_seconds, follow=follow,
        ):
            yield [Delivery(service, row["notification_id"], _decoder(service, row))
                   for row in rows]


def _decoder(service: str, row: asyncpg.Record):
    return lambda: from_stored(
        service, str(row["originator_id"]), row["originator_version"], row["topic"], row["state"]
    )
