"""Rebuild a projection from position zero into a fresh schema, then swap it in.

The live runner keeps serving reads from the old schema while the new one fills. The swap
happens under the projection's advisory lock (the live runner takes it in every batch), after
a last catch-up, so the live runner resumes on the new schema's positions and neither loses
nor doubles an event.

One rebuild of a schema at a time, across processes: whoever rebuilds holds the schema's
rebuild lock. A runner that starts on a schema built at an older version than its projection
declares calls `upgrade`; when several replicas start at once, one rebuilds and the others
wait for it and then find the version current.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import asyncpg

from shared.bus.consumer import ConsumerFactory
from shared.projections.projection import Projection
from shared.projections.runner import ProjectionRunner, built_version

log = logging.getLogger("gongzhi.projections")
LOCK_POLL_SECONDS = 0.5


async def rebuild(projection: Projection, pool: asyncpg.Pool, consumers: ConsumerFactory) -> int:
    """Rebuild at the projection's version and swap in; the number of events applied."""
    if not projection.rebuildable:
        raise ValueError(f"{projection.schema} is a reaction: rebuilding it would act again")
    async with _rebuild_lock(pool, projection.schema) as conn:
        return await _rebuild(projection, pool, consumers, conn)


async def upgrade(projection: Projection, pool: asyncpg.Pool, consumers: ConsumerFactory) -> bool:
    """Bring the live schema to the projection's version, once however many replicas ask:
    True when this call rebuilt it, False when it was (or meanwhile became) current."""
    live = projection.schema
    async with _rebuild_lock(pool, live) as conn:
        built = await built_version(conn, live)
        if built is not None and built >= projection.version:
            return False
        log.info("rebuilding %s: built at version %s, the code declares %d", live, built,
                 projection.version)
        applied = await _rebuild(projection, pool, consumers, conn)
    log.info("%s rebuilt at version %d from %d events and swapped in", live,
             projection.version, applied)
    return True


@contextlib.asynccontextmanager
async def _rebuild_lock(pool: asyncpg.Pool, live: str) -> AsyncIterator[asyncpg.Connection]:
    """Hold the schema's rebuild lock (a session lock, so it goes with a dead process's
    connection). Waiting polls without holding a connection: replicas waiting for each
    other's rebuilds must not drain the pool the rebuild itself needs."""
    key = f"{live} rebuild"
    while True:
        conn = await pool.acquire()
        try:
            if await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", key):
                break
        except BaseException:
            await pool.release(conn)
            raise
        await pool.release(conn)
        await asyncio.sleep(LOCK_POLL_SECONDS)
    try:
        yield conn
    finally:
        try:
            await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", key)
        finally:
            await pool.release(conn)  # releasing resets the session, unlocking all anyway


async def _rebuild(projection: Projection, pool: asyncpg.Pool, consumers: ConsumerFactory,
                   conn: asyncpg.Connection) -> int:
    """Fill `<schema>__rebuild`, then swap it in; `conn` holds the rebuild lock and takes the
    schema's lock for the swap (one connection per rebuild, however many run at once)."""
    live = projection.schema
    fresh = f"{live}__rebuild"
    await conn.execute(f'DROP SCHEMA IF EXISTS "{fresh}" CASCADE')
    runner = ProjectionRunner(projection, pool, consumers, schema=fresh)
    applied = await runner.catch_up()
    await conn.execute("SELECT pg_advisory_lock(hashtext($1))", live)
    try:
        applied += await runner.catch_up()
        async with conn.transaction():
            await conn.execute(f'DROP SCHEMA IF EXISTS "{live}" CASCADE')
            await conn.execute(f'ALTER SCHEMA "{fresh}" RENAME TO "{live}"')
    finally:
        await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", live)
    return applied
