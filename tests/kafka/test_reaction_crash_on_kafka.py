"""On Kafka too, a reaction killed between its new events and its position commits neither,
then happens once: the stream is a `topic:partition`, the position a Kafka offset."""

from __future__ import annotations

from pathlib import Path

from shared.settings import Settings
from tests.integration.test_reaction_crash import kill_then_restart, log_patrol
from tests.kafka.helpers import read_topic, relay_for, relay_until


async def test_a_reaction_killed_on_kafka_commits_nothing_then_happens_once(
        kafka_settings: Settings, tmp_path: Path) -> None:
    await relay_until(relay_for(kafka_settings, "grid"), log_patrol(kafka_settings),
                      kafka_settings)
    (patrol,) = [r for r in await read_topic(kafka_settings, "grid")
                 if ("ce_type", b"gongzhi.patrol.logged.v1") in r.headers]
    await kill_then_restart(kafka_settings, (f"{patrol.topic}:{patrol.partition}",
                                             patrol.offset), tmp_path)
