"""Rebuild a projection from position zero into a fresh schema, then swap it in.

The live runner keeps serving reads from the old schema while the new one fills. The swap
happens under the projection's advisory lock (the live runner takes it in every batch), after
a last catch-up, so the live runner resumes on the new schema's positions and neither loses
nor doubles an event.
"""

from __future__ import annotations

import asyncpg

from shared.bus.consumer import ConsumerFactory
from shared.projections.projection import Projection
from shared.projections.runner import ProjectionRunner


async def rebuild(projection: Projection, pool: asyncpg.Pool, consumers: ConsumerFactory) -> int:
    live = projection.schema
    fresh = f"{live}__rebuild"
    await pool.execute(f'DROP SCHEMA IF EXISTS "{fresh}" CASCADE')
    runner = ProjectionRunner(projection, pool, consumers, schema=fresh)
    applied = await runner.catch_up()
    async with pool.acquire() as lock_conn:
        await lock_conn.execute("SELECT pg_advisory_lock(hashtext($1))", live)
        try:
            applied += await runner.catch_up()
            async with lock_conn.transaction():
                await lock_conn.execute(f'DROP SCHEMA IF EXISTS "{live}" CASCADE')
                await lock_conn.execute(f'ALTER SCHEMA "{fresh}" RENAME TO "{live}"')
        finally:
            await lock_conn.execute("SELECT pg_advisory_unlock(hashtext($1))", live)
    return applied
