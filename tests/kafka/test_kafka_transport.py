"""The Kafka transport against a real broker: the wire format, and exactly-once effects
under republishing, restarts mid-batch and poison messages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from cloudevents.v1.kafka import KafkaMessage, from_binary

from services.issues.bootstrap import create_app
from services.issues.projections.tier_summary import TierSummary
from shared.bus.cloudevents import topic_for
from shared.bus.envelope import Envelope
from shared.bus.transports import consumers_for
from shared.db import create_pool
from shared.projections.runner import ProjectionRunner
from shared.settings import Settings
from tests.kafka.helpers import read_topic, relay_for, relay_until, write_issues
from tests.utils.city import BUILDING, register_small_city
from tests.utils.serve import serve
from tests.utils.tokens import bearer
from tests.utils.wait import eventually


@pytest.fixture
async def pool(kafka_settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(kafka_settings.database_url)
    yield p
    await p.close()


def runner(settings: Settings, pool: asyncpg.Pool, projection=None) -> ProjectionRunner:
    projection = projection or TierSummary()
    return ProjectionRunner(projection, pool,
                            consumers_for(settings, settings.database_url, projection.schema))


async def raised_at_km(pool: asyncpg.Pool) -> int:
    return await pool.fetchval(
        "SELECT coalesce(sum(n), 0) FROM issues_tier_summary.counts WHERE node = 'km'")


async def test_an_issue_reaches_the_summary_through_kafka_as_a_cloudevent(
    kafka_settings: Settings
) -> None:
    register_small_city(kafka_settings.database_url)
    grid_relay = asyncio.create_task(relay_for(kafka_settings, "grid").run())
    admin = bearer("admin", "km", sub="a-1")
    try:
        async with serve(create_app(kafka_settings)) as api:
            await eventually(lambda: api.get("/v1/tiers/km.guandu/summary", headers=admin),
                             lambda r: r.status_code == 200, timeout=60)
            r = await api.post("/v1/issues", headers=admin, json={
                "node": BUILDING, "title": "井盖缺失", "category": "safety", "channel": "probe"})
            assert r.status_code == 201
            issue_id = r.json()["id"]
            await eventually(lambda: api.get("/v1/tiers/km.guandu.taihe/summary", headers=admin),
                             lambda r: r.json()["node"]["counts"]["total"] == 1, timeout=30)
    finally:
        grid_relay.cancel()
    records = [r for r in await read_topic(kafka_settings) if r.key == issue_id.encode()]
    assert [dict(r.headers)["ce_type"] for r in records] == [
        b"gongzhi.issue.raised.v1", b"gongzhi.issue.triaged.v1"]  # one partition, in order
    record = records[0]
    event = from_binary(KafkaMessage(headers=dict(record.headers), key=record.key,
                                     value=record.value), data_unmarshaller=json.loads)
    assert event["specversion"] == "1.0"
    assert event["type"] == "gongzhi.issue.raised.v1"
    assert event["source"] == "/gongzhi/issues"
    assert event["subject"] == issue_id and event["id"] == f"{issue_id}/1"
    assert event["tier"] == BUILDING and event["seq"] == "1"
    assert event.data["title"] == "井盖缺失" and event.data["actor"]["sub"] == "a-1"
    assert "contact_sealed" not in event.data and "fingerprint" not in event.data


async def test_an_event_the_relay_published_twice_applies_once(kafka_settings, pool) -> None:
    head = write_issues(kafka_settings, 30, acknowledge_every=3)
    await relay_until(relay_for(kafka_settings), head, kafka_settings)
    # The relay "crashed" after Kafka acknowledged and before recording its position: it
    # starts again from zero and publishes everything a second time.
    await pool.execute("UPDATE issues.relay_position SET position = 0")
    await relay_until(relay_for(kafka_settings), head, kafka_settings)
    assert len(await read_topic(kafka_settings)) == 2 * head
    assert await runner(kafka_settings, pool).catch_up() == head
    assert await raised_at_km(pool) == 30
    acknowledged = await pool.fetchval(
        "SELECT n FROM issues_tier_summary.counts WHERE node = 'km' AND status = 'acknowledged'")
    assert acknowledged == 10


class CrashingSummary(TierSummary):
    """Dies inside its second batch, with the transaction open, like a killed process."""

    def __init__(self) -> None:
        self.batches = 0
        self.inside = asyncio.Event()

    async def apply(self, conn, schema: str, events: Sequence[Envelope]) -> None:
        await super().apply(conn, schema, events)
        self.batches += 1
        if self.batches == 2:
            self.inside.set()
            await asyncio.sleep(3600)  # cancelled here, mid-transaction


async def test_a_consumer_restarted_mid_batch_doubles_nothing(kafka_settings, pool) -> None:
    head = write_issues(kafka_settings, 300)
    await relay_until(relay_for(kafka_settings), head, kafka_settings)
    settings = kafka_settings.model_copy(update={"consumer_batch_size": 40})
    crashing = CrashingSummary()
    first = runner(settings, pool, crashing)
    await first.prepare()
    task = asyncio.create_task(first.run())  # a member of the consumer group
    await asyncio.wait_for(crashing.inside.wait(), 60)
    applied_before = await raised_at_km(pool)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert 0 < applied_before < 300
    second = runner(settings, pool)  # joins the same group; seeks to the stored positions
    task = asyncio.create_task(second.run())
    try:
        await eventually(lambda: raised_at_km(pool), lambda n: n >= 300, timeout=60)
        await asyncio.sleep(1)  # would anything arrive twice?
        assert await raised_at_km(pool) == 300
        assert await pool.fetchval("SELECT count(*) FROM issues_tier_summary.issue_status") == 300
    finally:
        task.cancel()


async def test_a_broken_message_is_parked_and_the_consumer_goes_on(kafka_settings, pool) -> None:
    head = write_issues(kafka_settings, 5)
    await relay_until(relay_for(kafka_settings), head, kafka_settings)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            topic_for("issues", kafka_settings.kafka_namespace), key=b"broken",
            value=b"\x00\xffnot json",
            headers=[("ce_specversion", b"1.0"), ("ce_type", b"gongzhi.issue.raised.v1")])
    finally:
        await producer.stop()
    write_issues(kafka_settings, 5)
    await relay_until(relay_for(kafka_settings), head * 2, kafka_settings)
    assert await runner(kafka_settings, pool).catch_up() == head * 2  # all but the broken one
    assert await raised_at_km(pool) == 10
    parked = await pool.fetch("SELECT * FROM issues_tier_summary.dead_letters")
    assert len(parked) == 1 and parked[0]["stream"].startswith(
        topic_for("issues", kafka_settings.kafka_namespace))
    assert "UnicodeDecodeError" in parked[0]["error"] or "JSON" in parked[0]["error"]


async def test_a_rebalance_neither_doubles_nor_drops(kafka_settings, pool) -> None:
    head = write_issues(kafka_settings, 600)
    await relay_until(relay_for(kafka_settings), head, kafka_settings)
    settings = kafka_settings.model_copy(update={"consumer_batch_size": 25})
    first = runner(settings, pool)
    await first.prepare()
    tasks = [asyncio.create_task(first.run())]
    try:
        await eventually(lambda: raised_at_km(pool), lambda n: n > 0, timeout=60)
        # A second replica joins the group mid-stream: partitions move between them.
        tasks.append(asyncio.create_task(runner(settings, pool).run()))
        write_issues(kafka_settings, 200)
        await relay_until(relay_for(kafka_settings), head + 200, kafka_settings)
        await eventually(lambda: raised_at_km(pool), lambda n: n >= 800, timeout=90)
        await asyncio.sleep(1.0)
        assert await raised_at_km(pool) == 800
        assert await pool.fetchval("SELECT count(*) FROM issues_tier_summary.issue_status") == 800
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
