"""Topics are made by the relay (or `gongzhi topics create`) as configured, never by a consumer;
one unlike the configuration is reported by the relay, `/v1/ops/status` and `gongzhi topics
check`. On the session broker, which runs with auto-create off as deploy/kafka.sh sets it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError
from typer.testing import CliRunner

from gongzhi import subscribe as subscribing
from gongzhi.cli import app as cli
from services.issues.bootstrap import create_app
from services.issues.projections.tier_summary import TierSummary
from shared.bus import topics
from shared.bus.cloudevents import topic_for
from shared.bus.transports import consumers_for
from shared.db import create_pool
from shared.projections.runner import ProjectionRunner
from shared.relay import DEAD_LETTER_SUFFIX
from shared.settings import Settings
from tests.kafka.helpers import relay_for, write_issues
from tests.utils.city import register_small_city
from tests.utils.serve import serve
from tests.utils.tokens import bearer
from tests.utils.wait import eventually


@pytest.fixture
async def admin(kafka_settings: Settings) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(bootstrap_servers=kafka_settings.kafka_bootstrap)
    await client.start()
    yield client
    await client.close()


async def layout(admin: AIOKafkaAdminClient, topic: str) -> tuple[int, set[int]]:
    [described] = await admin.describe_topics([topic])
    partitions = described["partitions"]
    return len(partitions), {len(p["replicas"]) for p in partitions}


async def groups(admin: AIOKafkaAdminClient) -> set[str]:
    try:
        return {g[0] for g in await admin.list_consumer_groups()}
    except KafkaError:  # a fresh broker still loading its offsets topic: ask again
        return set()


async def test_a_consumer_started_before_the_relay_waits_and_creates_nothing(
        kafka_settings: Settings, admin: AIOKafkaAdminClient) -> None:
    topic = topic_for("issues", kafka_settings.kafka_namespace)
    pool = await create_pool(kafka_settings.database_url)
    projection = TierSummary()
    group = f"{kafka_settings.kafka_namespace}.{projection.schema}"
    runner = ProjectionRunner(projection, pool, consumers_for(
        kafka_settings, kafka_settings.database_url, projection.schema))
    following = asyncio.create_task(runner.run())
    relaying = None
    try:
        # Once its group is on the broker, the consumer has asked for the topic's metadata.
        await eventually(lambda: groups(admin), lambda names: group in names, timeout=90)
        assert topic not in await admin.list_topics()

        head = write_issues(kafka_settings, 7)
        relaying = asyncio.create_task(relay_for(kafka_settings).run())  # 3 partitions
        await eventually(lambda: pool.fetchval(
            "SELECT coalesce(sum(n), 0) FROM issues_tier_summary.counts WHERE node = 'km'"),
            lambda n: n == 7, timeout=90)
        assert head > 0
        assert await layout(admin, topic) == (3, {1})
        assert await layout(admin, topic + DEAD_LETTER_SUFFIX) == (3, {1})
    finally:
        for task in (following, relaying):
            if task:
                task.cancel()
        await asyncio.gather(following, *([relaying] if relaying else []),
                             return_exceptions=True)
        await pool.close()


async def test_a_topic_unlike_the_configuration_is_reported_everywhere(
        kafka_settings: Settings, admin: AIOKafkaAdminClient,
        caplog: pytest.LogCaptureFixture) -> None:
    ns = kafka_settings.kafka_namespace
    topic = topic_for("issues", ns)
    # As a broker auto-creating it for an early consumer would have, with its own defaults.
    await admin.create_topics([NewTopic(topic, 1, 1)])
    register_small_city(kafka_settings.database_url)
    caplog.set_level(logging.ERROR, logger="gongzhi.topics")
    async with serve(create_app(kafka_settings)) as api:  # configured: 3 partitions
        status = await eventually(
            lambda: api.get("/v1/ops/status", headers=bearer("admin", "km")),
            lambda r: r.status_code == 200 and r.json()["relay"]["topic_mismatches"],
            timeout=90)
    [mismatch] = status.json()["relay"]["topic_mismatches"]
    assert mismatch == (f"{topic}: 1 partitions, replication 1; configured 3 partitions, "
                        f"replication 1")
    assert any("TOPIC MISMATCH" in r.getMessage() and topic in r.getMessage()
               for r in caplog.records)
    # The dead-letter topic did not exist: the relay made it as configured.
    assert await layout(admin, topic + DEAD_LETTER_SUFFIX) == (3, {1})

    args = ["--bootstrap", kafka_settings.kafka_bootstrap, "--namespace", ns,
            "--partitions", "3", "--replication", "1"]
    checked = await asyncio.to_thread(CliRunner().invoke, cli, ["topics", "check", *args])
    assert checked.exit_code == 1
    assert f"MISMATCH {mismatch}" in checked.output
    # The other services' topics are not there yet: missing is a difference too.
    assert f"MISMATCH {topic_for('grid', ns)}: missing" in checked.output

    created = await asyncio.to_thread(CliRunner().invoke, cli, ["topics", "create", *args])
    assert created.exit_code == 1  # it made the missing ones, and still reports issues'
    await eventually(lambda: layout(admin, topic_for("grid", ns)), lambda got: got == (3, {1}))
    checked = await asyncio.to_thread(CliRunner().invoke, cli, ["topics", "check", *args])
    assert checked.exit_code == 1
    assert checked.output.count("MISMATCH") == 1 and mismatch in checked.output

    fresh = ["--namespace", f"{ns}b", *args[:2], *args[4:]]
    created = await asyncio.to_thread(CliRunner().invoke, cli, ["topics", "create", *fresh])
    assert created.exit_code == 0, created.output
    checked = await asyncio.to_thread(CliRunner().invoke, cli, ["topics", "check", *fresh])
    assert checked.exit_code == 0, checked.output
    assert "8 topics as configured (3 partitions, replication 1)" in checked.output


def test_no_client_of_ours_asks_a_broker_to_auto_create() -> None:
    """aiokafka sends "allow auto topic creation: true" in every metadata request unless told
    otherwise, and has no option for it; importing our Kafka transport tells it."""
    from aiokafka.protocol.metadata import MetadataRequest, MetadataRequest_v5

    import shared.bus.kafka  # noqa: F401  (applies it, as every consumer does)

    assert MetadataRequest(["t"]).build(MetadataRequest_v5).allow_auto_topic_creation is False
    assert MetadataRequest(None).build(MetadataRequest_v5).topics is None  # still "all topics"


async def test_a_department_subscribed_before_the_topic_exists_misses_nothing(
        kafka_settings: Settings, admin: AIOKafkaAdminClient,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`gongzhi subscribe` started before grid's relay: what the relay publishes right after
    making the topic — before the subscriber's next metadata refresh — is printed too."""
    ns, bootstrap = kafka_settings.kafka_namespace, kafka_settings.kafka_bootstrap
    looked, exists = asyncio.Event(), subscribing._exists

    async def looking(*args: str) -> bool:
        try:
            return await exists(*args)
        finally:
            looked.set()

    # A consumer joins no group while its topic is missing: nothing on the broker shows that
    # it started, so the test waits for the subscriber to have looked for the topic.
    monkeypatch.setattr(subscribing, "_exists", looking)
    subscriber = asyncio.create_task(subscribing.subscribe(bootstrap, ns, "km-cgj",
                                                           max_events=1))
    try:
        await asyncio.wait_for(looked.wait(), 90)
        topic = topic_for("grid", ns)
        assert topic not in await admin.list_topics()
        await topics.ensure(bootstrap, topics.service_topics(topic), topics.Layout(3, 1))
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:  # at once, as a relay with a backlog would
            await producer.send_and_wait(topic, key=b"w1", value=b'{"title": "x"}', headers=[
                ("ce_type", b"gongzhi.whistle.blown.v1"), ("ce_departments", b"km-cgj")])
        finally:
            await producer.stop()
        assert await asyncio.wait_for(subscriber, 90) == 1
    finally:
        subscriber.cancel()
        await asyncio.gather(subscriber, return_exceptions=True)
    [line] = capsys.readouterr().out.splitlines()
    assert '"type": "gongzhi.whistle.blown.v1"' in line and '"title": "x"' in line
