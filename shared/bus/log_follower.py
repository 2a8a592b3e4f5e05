"""Follow services' notification logs in PostgreSQL: the one reader of the outbox.

The embedded transport turns its rows into deliveries; the relay turns them into Kafka
messages. LISTEN wakes it on every insert (eventsourcing NOTIFYs `<service>_events`), and it
polls as well, because a NOTIFY can be lost (a dropped connection) and must never stall a
follower. Writers hold a table lock per insert, so notification ids commit in order and
reading `> last id` never skips a row that commits later.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

import asyncpg

from shared import db


def events_table(service: str) -> str:
    # eventsourcing names the table after the Application's name, in the service's schema.
    return f'"{service}"."{service}_events"'


async def follow_logs(
    database_url: str,
    services: tuple[str, ...],
    after: Mapping[str, int],
    *,
    batch_size: int,
    poll_seconds: float,
    follow: bool = True,
) -> AsyncIterator[tuple[str, list[asyncpg.Record]]]:
    """Yield (service, rows) in notification order per service, past the given ids; with
    follow=False, stop once every log is read to its end."""
    conn = await db.connect(database_url, name=f"gongzhi-follower:{','.join(services)}")
    wake = asyncio.Event()
    try:
        for service in services:
            await conn.add_listener(f"{service}_events", lambda *_: wake.set())
        positions = {s: after.get(s, 0) for s in services}
        while True:
            wake.clear()  # before reading, so an insert during the read wakes us again
            idle = True
            for service in services:
                rows = await _read(conn, service, positions[service], batch_size)
                if rows:
                    idle = False
                    positions[service] = rows[-1]["notification_id"]
                    yield service, rows
            if idle:
                if not follow:
                    return
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
                # cancellation that lands as the NOTIFY wakes us, and the follower (and the
                # service's shutdown, waiting on it) would then hang.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(poll_seconds):
                        await wake.wait()
    finally:
        with contextlib.suppress(Exception):
            await asyncio.shield(conn.close(timeout=2))


async def _read(
    conn: asyncpg.Connection, service: str, after: int, limit: int
) -> list[asyncpg.Record]:
    try:
        return await conn.fetch(
            f"SELECT notification_id, originator_id, originator_version, topic, state "
            f"FROM {events_table(service)} WHERE notification_id > $1 "
            f"ORDER BY notification_id LIMIT $2",
            after, limit,
        )
    except asyncpg.UndefinedTableError:
        return []  # that service has not started yet: nothing to follow
