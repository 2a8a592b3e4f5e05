"""Who makes Kafka topics, and how they are checked against the configuration.

Topics are made in one place: here, called by each service's relay as it starts (its own topic
and that topic's dead-letter topic) and by `gongzhi topics create` (every service's). They get
the configured partitions and replication (`GONGZHI_KAFKA_PARTITIONS`,
`GONGZHI_KAFKA_REPLICATION`), and `min.insync.replicas` 2 once there are three copies, so
losing one broker loses neither data nor writes.

Nothing else may create one. The brokers run with `auto.create.topics.enable=false`, and our
clients never ask for it either: a Kafka metadata request carries an "allow auto topic
creation" flag, which aiokafka 0.14 always sends as true (it has no `allow_auto_create_topics`
option, KIP-361's consumer setting) — from consumers, producers and the admin client's
`describe_topics` alike. `never_auto_create()` makes aiokafka send false, so that even a
broker left with the default (auto-create on) never makes a topic with its own defaults for
a consumer that started before the relay. Such a consumer simply sees no partitions yet, and
picks the topic up at its next metadata refresh (every few seconds, `metadata_max_age_ms`).

An existing topic that differs from the configuration (other partitions, other replication)
is a mismatch: the relay logs it as an ERROR at every start and `/v1/ops/status` shows it;
`gongzhi topics check` prints it and exits non-zero. Nothing changes it automatically:
partitions can only grow, which remaps keys to partitions, and replication changes need a
reassignment — an operator's decision (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.protocol import metadata as _metadata

log = logging.getLogger("gongzhi.topics")
DEAD_LETTER_SUFFIX = ".dead-letters"
VISIBLE_WITHIN = 30.0  # seconds


def never_auto_create() -> None:
    """Make every metadata request aiokafka sends say "do not auto-create" (idempotent)."""
    request = _metadata.MetadataRequest
    if getattr(request, "_gongzhi_no_auto_create", False):
        return
    original = request.__init__

    def init(self: _metadata.MetadataRequest, topics: list[str] | None = None,
             allow_auto_topic_creation: bool | None = None) -> None:
        original(self, topics, bool(allow_auto_topic_creation))

    request.__init__ = init  # type: ignore[method-assign]
    request._gongzhi_no_auto_create = True  # type: ignore[attr-defined]


never_auto_create()


@dataclass(frozen=True)
class Layout:
    """What the configuration says a topic should look like."""

    partitions: int
    replication: int

    @property
    def configs(self) -> dict[str, str]:
        return {"min.insync.replicas": "2"} if self.replication >= 3 else {}


def service_topics(topic: str) -> tuple[str, str]:
    """A service's topic and the topic its unreadable events go to."""
    return topic, topic + DEAD_LETTER_SUFFIX


async def ensure(bootstrap: str, topics: Iterable[str], layout: Layout) -> list[str]:
    """Create the topics that do not exist yet, as configured; return what differs in those
    that did (each also logged as an error)."""
    wanted = list(topics)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        present = set(await admin.list_topics())
        missing = [NewTopic(t, layout.partitions, layout.replication,
                            topic_configs=layout.configs) for t in wanted if t not in present]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another replica's, just now
                await admin.create_topics(missing)
            await _visible(admin, [t.name for t in missing])
        existing = [t for t in wanted if t in present]
        return _report(await _mismatches(admin, existing, layout)) if existing else []
    finally:
        await admin.close()


async def check(bootstrap: str, topics: Iterable[str], layout: Layout) -> list[str]:
    """What differs from the configuration, a missing topic included; creates nothing."""
    wanted = list(topics)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        present = set(await admin.list_topics())
        problems = [f"{t}: missing (configured {layout.partitions} partitions, replication "
                    f"{layout.replication})" for t in wanted if t not in present]
        existing = [t for t in wanted if t in present]
        return problems + (await _mismatches(admin, existing, layout) if existing else [])
    finally:
        await admin.close()


async def _visible(admin: AIOKafkaAdminClient, names: list[str]) -> None:
    """Wait until the brokers' metadata shows topics just created (the controller has them
    at once, the brokers' caches a moment later), so that whoever runs next — a producer,
    `gongzhi topics check` — finds them. Bounded: a slow cluster is not an error here."""
    deadline = asyncio.get_running_loop().time() + VISIBLE_WITHIN
    while asyncio.get_running_loop().time() < deadline:
        described = await admin.describe_topics(names)
        if all(d["error_code"] == 0 and d["partitions"] for d in described):
            return
        await asyncio.sleep(0.2)
    log.warning("topics %s created but not yet visible after %ss", names, VISIBLE_WITHIN)


async def _mismatches(admin: AIOKafkaAdminClient, topics: list[str],
                      layout: Layout) -> list[str]:
    found = []
    for described in await admin.describe_topics(topics):
        partitions = described.get("partitions") or []
        replicas = {len(p.get("replicas") or ()) for p in partitions}
        if len(partitions) != layout.partitions or replicas != {layout.replication}:
            found.append(f"{described['topic']}: {len(partitions)} partitions, replication "
                         f"{'/'.join(map(str, sorted(replicas))) or '-'}; configured "
                         f"{layout.partitions} partitions, replication {layout.replication}")
    return sorted(found)


def _report(mismatches: list[str]) -> list[str]:
    for m in mismatches:
        log.error("TOPIC MISMATCH %s (recreate the topic as configured, or change "
                  "GONGZHI_KAFKA_PARTITIONS / GONGZHI_KAFKA_REPLICATION; "
                  "`gongzhi topics check` lists them)", m)
    return mismatches
