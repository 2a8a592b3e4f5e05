"""The projection runner's guarantees, each broken on purpose against a real log.

Events are written by the real IssuesApplication; the runner follows the real notification
log through the embedded transport, into the tier summary read model.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator

import asyncpg
import psycopg
import pytest

from services.issues.application import IssuesApplication, RaiseIssue
from services.issues.placement import Placement
from services.issues.projections.tier_summary import TierSummary
from shared.bus.embedded import EmbeddedConsumer
from shared.bus.envelope import Delivery
from shared.db import create_pool
from shared.eventstore import open_application
from shared.projections.rebuild import rebuild
from shared.projections.runner import ProjectionRunner
from shared.sealing import Sealer
from shared.settings import Settings
from tests.utils.wait import eventually

META = {"actor": {"sub": "t", "role": "admin", "name": ""}}
NODES = ["km.a.s1.c1", "km.a.s1.c2", "km.a.s2.c3"]


@pytest.fixture
def issues(settings: Settings):
    app = open_application(IssuesApplication, settings.database_url,
                           sealer=Sealer(base64.urlsafe_b64encode(os.urandom(32)).decode()))
    yield app
    app.close()


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(settings.database_url)
    yield p
    await p.close()


def consumers(settings: Settings, batch_size: int = 500):
    return lambda streams: EmbeddedConsumer(settings.database_url, streams,
                                            batch_size=batch_size, poll_seconds=0.1)


def raise_many(app: IssuesApplication, n: int) -> list:
    ids = []
    for i in range(n):
        cmd = RaiseIssue(node=NODES[i % 3], title=f"t{i}", description="", category="safety",
                         channel="app", location=None, photos=[], contact=None)
        issue, _ = app.raise_issue(cmd, reporter="r", meta=META,
                                       placement=Placement.by_depth(cmd.node))
        ids.append(issue.id)
    return ids


async def counts(pool: asyncpg.Pool, schema: str = "issues_tier_summary") -> dict:
    rows = await pool.fetch(f'SELECT node, status, n FROM "{schema}".counts WHERE n <> 0')
    return {(r["node"], r["status"]): r["n"] for r in rows}


async def all_deliveries(settings: Settings) -> list[Delivery]:
    out: list[Delivery] = []
    async for batch in consumers(settings)(("issues",)).batches(_nothing_stored, follow=False):
        out += batch
    return out


async def test_a_batch_applies_once_even_when_delivered_again(issues, pool, settings) -> None:
    raise_many(issues, 6)
    runner = ProjectionRunner(TierSummary(), pool, consumers(settings))
    await runner.prepare()
    batch = await all_deliveries(settings)
    await runner.handle(batch)
    first = await counts(pool)
    await runner.handle(batch)  # redelivery: a consumer restarted mid-batch, a crash
    await runner.handle(batch[2:4])
    assert await counts(pool) == first
    assert first[("km", "raised")] == 6 and first[("km.a.s1", "raised")] == 4


async def test_the_same_event_published_twice_at_a_new_offset_applies_once(
    issues, pool, settings
) -> None:
    raise_many(issues, 3)
    runner = ProjectionRunner(TierSummary(), pool, consumers(settings))
    await runner.prepare()
    batch = await all_deliveries(settings)
    await runner.handle(batch)
    # The relay crashed after Kafka's ack and before recording its position: the same
    # stored events arrive again, later in the stream, with new offsets.
    again = [Delivery(d.stream, d.offset + 1000, d.decode) for d in batch]
    await runner.handle(again)
    assert (await counts(pool))[("km", "raised")] == 3
    assert (await runner.positions())["issues"] == batch[-1].offset + 1000


async def test_a_poison_message_is_parked_and_the_stream_goes_on(issues, pool, settings) -> None:
    raise_many(issues, 2)
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO issues.issues_events (originator_id, originator_version, topic, state)"
            " VALUES (gen_random_uuid(), 1, 'gongzhi.issue.raised.v1', %s)",
            (b"{this is not json",),
        )
    raise_many(issues, 2)
    runner = ProjectionRunner(TierSummary(), pool, consumers(settings, batch_size=2),
                              dead_letter_after=2)
    await runner.catch_up()
    assert (await counts(pool))[("km", "raised")] == 4
    parked = await pool.fetch('SELECT * FROM "issues_tier_summary".dead_letters')
    assert len(parked) == 1
    assert parked[0]["attempts"] == 2 and "JSONDecodeError" in parked[0]["error"]
    assert parked[0]["message"] is None  # it could not be read at all
    head = await pool.fetchval("SELECT max(notification_id) FROM issues.issues_events")
    assert (await runner.positions())["issues"] == head


async def test_a_restarted_runner_resumes_from_its_stored_position(issues, pool, settings) -> None:
    raise_many(issues, 5)  # two events each: raised, triaged
    assert await ProjectionRunner(TierSummary(), pool, consumers(settings)).catch_up() == 10
    raise_many(issues, 4)
    second = ProjectionRunner(TierSummary(), pool, consumers(settings))
    assert await second.catch_up() == 8
    assert (await counts(pool))[("km", "raised")] == 9


async def test_a_follower_wakes_on_notify_and_still_polls_when_notify_is_lost(
    issues, pool, settings
) -> None:
    runner = ProjectionRunner(TierSummary(), pool, consumers(settings))
    await runner.prepare()
    task = asyncio.create_task(runner.run())
    try:
        await asyncio.to_thread(raise_many, issues, 1)
        await eventually(lambda: counts(pool), lambda c: c.get(("km", "raised")) == 1)
        # A row that arrives with no NOTIFY at all (as if the notification were lost).
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO issues.issues_events (originator_id, originator_version, topic,"
                " state) SELECT gen_random_uuid(), 1, topic, state FROM issues.issues_events"
                " ORDER BY notification_id LIMIT 1"
            )
        await eventually(lambda: counts(pool), lambda c: c.get(("km", "raised")) == 2)
    finally:
        task.cancel()


async def test_rebuild_from_zero_matches_the_live_model_and_swaps_in(
    issues, pool, settings
) -> None:
    ids = raise_many(issues, 9)
    for issue_id in ids[:4]:
        issues.acknowledge(issue_id, "", META)
    live = ProjectionRunner(TierSummary(), pool, consumers(settings))
    await live.catch_up()
    expected = await counts(pool)
    await pool.execute('UPDATE "issues_tier_summary".counts SET n = n + 100')  # corrupt it
    applied = await rebuild(TierSummary(), pool, consumers(settings))
    assert applied == 9 * 2 + 4
    assert await counts(pool) == expected
    assert expected[("km", "acknowledged")] == 4 and expected[("km", "raised")] == 5
    # The live runner goes on against the swapped-in schema without doubling anything.
    raise_many(issues, 1)
    await live.catch_up()
    assert (await counts(pool))[("km", "raised")] == 6


async def _nothing_stored() -> dict[str, int]:
    return {}


async def test_a_follower_whose_connection_dies_is_restarted(issues, pool, settings) -> None:
    runner = ProjectionRunner(TierSummary(), pool, consumers(settings))
    await runner.prepare()
    task = asyncio.create_task(runner.run())
    try:
        await asyncio.to_thread(raise_many, issues, 1)
        await eventually(lambda: counts(pool), lambda c: c.get(("km", "raised")) == 1)
        killed = await pool.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'gongzhi-follower:issues'")
        assert killed == 1
        await asyncio.to_thread(raise_many, issues, 2)
        await eventually(lambda: counts(pool), lambda c: c.get(("km", "raised")) == 3)
        assert not task.done()
    finally:
        task.cancel()
