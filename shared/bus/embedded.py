"""The embedded transport: follow services' notification logs in PostgreSQL.

It stands in for Kafka on one machine and reads other services' logs read-only. A follower
LISTENs on the channel eventsourcing NOTIFYs on every insert, and polls as well, because a
NOTIFY can be lost (a dropped connection) and must never stall a follower. The writers hold a
table lock per insert, so notification ids commit in order and reading `> last id` never
skips a row that commits later.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

import asyncpg

from shared import db
from shared.bus.envelope import Delivery, from_stored


def events_table(service: str) -> str:
    # eventsourcing names the table after the Application's name, in the service's schema.
    return f'"{service}"."{service}_events"'


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
        self, after: Mapping[str, int], *, follow: bool = True
    ) -> AsyncIterator[list[Delivery]]:
        conn = await db.connect(self.database_url)
        wake = asyncio.Event()
        try:
            for stream in self.streams:
                await conn.add_listener(f"{stream}_events", lambda *_: wake.set())
            positions = {s: after.get(s, 0) for s in self.streams}
            while True:
                wake.clear()  # before reading, so an insert during the read wakes us again
                idle = True
                for stream in self.streams:
                    batch = await self._read(conn, stream, positions[stream])
                    if batch:
                        idle = False
                        positions[stream] = batch[-1].offset
                        yield batch
                if idle:
                    if not follow:
                        return
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), self.poll_seconds)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(conn.close(timeout=2))

    async def _read(self, conn: asyncpg.Connection, stream: str, after: int) -> list[Delivery]:
        try:
            rows = await conn.fetch(
                f"SELECT notification_id, originator_id, originator_version, topic, state "
                f"FROM {events_table(stream)} WHERE notification_id > $1 "
                f"ORDER BY notification_id LIMIT $2",
                after,
                self.batch_size,
            )
        except asyncpg.UndefinedTableError:
            return []  # that service has not started yet: nothing to follow
        return [
            Delivery(
                stream=stream,
                offset=row["notification_id"],
                decode=_decoder(stream, row),
            )
            for row in rows
        ]


def _decoder(stream: str, row: asyncpg.Record):  # noqa: ANN202
    return lambda: from_stored(
        stream, str(row["originator_id"]), row["originator_version"], row["topic"], row["state"]
    )
