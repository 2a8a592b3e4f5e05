"""One unreadable row in a service's log never stops its relay: the row goes to the
dead-letter topic with full CloudEvents attributes, and every later event arrives. A topic
that differs from the configuration is reported."""

from __future__ import annotations

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.bus.cloudevents import topic_for
from shared.db import asyncpg_kwargs
from shared.relay import DEAD_LETTER_SUFFIX
from shared.settings import Settings
from tests.kafka.helpers import read_topic, relay_for, relay_until, write_issues

GARBAGE = b"\xff\xfe not the JSON eventsourcing wrote"


async def test_an_unreadable_event_goes_to_the_dead_letter_topic_and_the_rest_follow(
        kafka_settings: Settings) -> None:
    first = write_issues(kafka_settings, 5)
    conn = await asyncpg.connect(**asyncpg_kwargs(kafka_settings.database_url))
    try:
        bad = await conn.fetchrow(
            "UPDATE issues.issues_events SET state = $1 WHERE notification_id = 3 "
            "RETURNING originator_id::text AS subject, originator_version AS seq, topic",
            GARBAGE)
    finally:
        await conn.close()
    head = write_issues(kafka_settings, 5)
    assert head > first
    relay = relay_for(kafka_settings)
    await relay_until(relay, head, kafka_settings)  # it went past the bad row

    published = await read_topic(kafka_settings)
    ids = {dict(r.headers)["ce_id"].decode() for r in published}
    assert len(published) == head - 1 and f"{bad['subject']}/{bad['seq']}" not in ids
    [parked] = await read_topic(kafka_settings, "issues" + DEAD_LETTER_SUFFIX)
    headers = {k: v.decode() for k, v in parked.headers}
    assert parked.value == GARBAGE and parked.key.decode() == bad["subject"]
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_id"] == f"{bad['subject']}/{bad['seq']}"
    assert headers["ce_source"] == "/gongzhi/issues"
    assert headers["ce_type"] == bad["topic"] and headers["ce_subject"] == bad["subject"]
    assert headers["ce_seq"] == str(bad["seq"]) and headers["ce_time"]
    assert headers["ce_gongzhiposition"] == "3" and headers["ce_gongzhierror"]
    assert relay.dead_lettered == 1 and relay.topic_mismatches == []


async def test_a_topic_unlike_the_configuration_is_reported(kafka_settings: Settings) -> None:
    write_issues(kafka_settings, 1)
    topic = topic_for("issues", kafka_settings.kafka_namespace)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_settings.kafka_bootstrap)
    await admin.start()
    try:  # as a broker auto-creating it for an early consumer would have
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    relay = relay_for(kafka_settings)  # configured: 3 partitions
    conn = await asyncpg.connect(**asyncpg_kwargs(kafka_settings.database_url))
    try:
        await relay._prepare(conn)
    finally:
        await conn.close()
    assert len(relay.topic_mismatches) == 1
    assert relay.topic_mismatches[0].startswith(f"{topic}: 1 partitions")
