"""`gongzhi subscribe --department CODE`: a department's own consumer of whistle events.

It joins its own consumer group (`<ns>.department.<code>`) on the grid topic and keeps the
events whose `ce_departments` header names the department: the same filter a department's
own system applies (docs/subscribing.md). Offsets are committed after each event is printed,
so a restarted subscriber goes on where it stopped.
"""

from __future__ import annotations

import asyncio
import json
import sys

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from shared.bus.cloudevents import topic_for
from shared.bus.topics import never_auto_create

never_auto_create()  # wait for the grid topic if the relay has not made it yet, never make it


def wanted(headers: list[tuple[str, bytes]], department: str) -> bool:
    for key, value in headers:
        if key == "ce_departments":
            return department in value.decode().split(",")
    return False


async def _exists(bootstrap: str, topic: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return topic in await admin.list_topics()
    finally:
        await admin.close()


async def subscribe(bootstrap: str, namespace: str, department: str, *,
                    max_events: int | None = None, from_beginning: bool = False) -> int:
    topic = topic_for("grid", namespace)
    # A topic the relay has not made yet holds nothing older than this subscriber: read it from
    # its beginning. Its end, once we see it (at the next metadata refresh, up to 5 s after the
    # relay made it), would skip whatever the relay published in between.
    earliest = from_beginning or not await _exists(bootstrap, topic)
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap,
        group_id=f"{namespace}.department.{department}", enable_auto_commit=False,
        auto_offset_reset="earliest" if earliest else "latest",
        metadata_max_age_ms=5000)  # the topic may not exist yet: see it once the relay makes it
    await consumer.start()
    printed = 0
    try:
        async for record in consumer:
            if wanted(record.headers, department):
                headers = {k[3:]: v.decode() for k, v in record.headers if k.startswith("ce_")}
                event = {**headers, "data": json.loads(record.value)}
                sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
                sys.stdout.flush()
                printed += 1
            await consumer.commit()
            if max_events is not None and printed >= max_events:
                break
    finally:
        await consumer.stop()
    return printed


def run(bootstrap: str, namespace: str, department: str, max_events: int | None,
        from_beginning: bool) -> None:
    asyncio.run(subscribe(bootstrap, namespace, department, max_events=max_events,
                          from_beginning=from_beginning))
