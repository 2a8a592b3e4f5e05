"""A read model's new version rebuilt and swapped in on Kafka: the rebuild reads every
partition from offset zero outside the consumer group, and the live runner then follows the
group from the new schema's stored offsets, neither doubling nor dropping an event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.issues.projections.tier_summary import TierSummary
from shared.bus.transports import consumers_for
from shared.db import create_pool
from shared.projections.runner import ProjectionRunner
from shared.settings import Settings
from tests.kafka.helpers import relay_for, relay_until, write_issues
from tests.utils.wait import eventually


class TierSummaryV2(TierSummary):
    version = 2  # the same tables: what matters here is the rebuild and the swap


@pytest.fixture
async def pool(kafka_settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(kafka_settings.database_url)
    yield p
    await p.close()


def runner(settings: Settings, pool: asyncpg.Pool, projection: TierSummary) -> ProjectionRunner:
    return ProjectionRunner(projection, pool,
                            consumers_for(settings, settings.database_url, projection.schema))


async def counts(pool: asyncpg.Pool) -> dict:
    rows = await pool.fetch('SELECT node, status, n FROM "issues_tier_summary".counts '
                            "WHERE n <> 0")
    return {(r["node"], r["status"]): r["n"] for r in rows}


async def test_a_new_version_is_rebuilt_from_the_topic_and_followed_on(
    kafka_settings: Settings, pool: asyncpg.Pool
) -> None:
    head = write_issues(kafka_settings, 12, acknowledge_every=4)
    await relay_until(relay_for(kafka_settings), head, kafka_settings)
    assert await runner(kafka_settings, pool, TierSummary()).catch_up() == head
    before = await counts(pool)
    assert before[("km", "raised")] == 9 and before[("km", "acknowledged")] == 3

    live = runner(kafka_settings, pool, TierSummaryV2())
    await live.prepare()
    assert live.stale
    task = asyncio.create_task(live.run())
    try:
        await eventually(lambda: pool.fetchval(
            'SELECT version FROM "issues_tier_summary".schema_version'), lambda v: v == 2,
            timeout=60)
        assert await counts(pool) == before
        # Kafka positions (partition offsets) came with the new schema: the group goes on
        # from them, applying the new events once.
        partitions = await pool.fetchval('SELECT count(*) FROM "issues_tier_summary".tracking')
        assert partitions >= 1
        head = write_issues(kafka_settings, 3)
        await relay_until(relay_for(kafka_settings), head, kafka_settings)
        await eventually(lambda: counts(pool), lambda c: c[("km", "raised")] == 12, timeout=60)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert (await counts(pool))[("km", "acknowledged")] == 3
