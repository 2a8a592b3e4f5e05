"""Relay events/s and Kafka-consumer projection events/s, each beside this machine's raw
limits measured in the same run: aiokafka producing the same number of messages of the same
size with the same producer settings, and consuming them with no processing.

    python -m bench.kafka_throughput [--events 20000]

Starts a single-node broker through deploy/kafka.sh (or uses GONGZHI_KAFKA_BOOTSTRAP).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.common import database, machine
from bench.projection_throughput import write_events
from services.issues.projections.issue_list import IssueList
from services.issues.projections.tier_summary import TierSummary
from shared.bus import topics
from shared.bus.kafka import KafkaConsumer, partitions_of
from shared.db import create_pool
from shared.projections.runner import ProjectionRunner
from shared.relay import Relay

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
PARTITIONS = 6


def broker() -> tuple[str, dict[str, str] | None]:
    if bootstrap := os.environ.get("GONGZHI_KAFKA_BOOTSTRAP"):
        return bootstrap, None
    env = os.environ | {"GONGZHI_KAFKA_DIR": tempfile.mkdtemp(prefix="gongzhi-bench-kafka-"),
                        "KAFKA_PORT": "39092"}
    subprocess.run([str(DEPLOY / "kafka.sh"), "start"], env=env, check=True)
    return "127.0.0.1:39092", env


async def raw_produce(bootstrap: str, topic: str, n: int, size: int) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True,
                                acks="all", linger_ms=5, max_batch_size=512 * 1024)
    await producer.start()
    value = os.urandom(size // 2).hex().encode()
    headers = [(f"ce_h{i}", b"x" * 24) for i in range(8)]
    try:
        t = time.perf_counter()
        for chunk in range(0, n, 1000):  # the relay's batch: send 1000, wait for all acks
            acks = [await producer.send(topic, value=value, key=str(i).encode(),
                                        headers=headers)
                    for i in range(chunk, min(chunk + 1000, n))]
            await asyncio.gather(*acks)
        return n / (time.perf_counter() - t)
    finally:
        await producer.stop()


async def raw_consume(bootstrap: str, topic: str, n: int) -> float:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", max_poll_records=500)
    await consumer.start()
    try:
        t, seen = time.perf_counter(), 0
        while seen < n:
            for records in (await consumer.getmany(timeout_ms=1000, max_records=500)).values():
                seen += len(records)
        return seen / (time.perf_counter() - t)
    finally:
        await consumer.stop()


async def main(raises: int) -> None:
    bootstrap, started = broker()
    try:
        url = database()
        print(f"machine: {machine()}")
        events = write_events(url, raises)
        print(f"{events} events in the issues log; topics with {PARTITIONS} partitions, RF 1")
        ns = f"bench{uuid.uuid4().hex[:6]}"

        relay = Relay("issues", url, bootstrap, namespace=ns, partitions=PARTITIONS)
        t = time.perf_counter()
        task = asyncio.create_task(relay.run())
        while relay.published < events:  # noqa: ASYNC110 - sampling a counter
            await asyncio.sleep(0.01)
        relay_rate = events / (time.perf_counter() - t)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        topic = relay.topic
        size = 600  # bytes of JSON body a raised issue carries, near enough
        raw_topic = f"{ns}.raw"  # brokers never auto-create: make it as the relay makes its own
        await topics.ensure(bootstrap, [raw_topic], topics.Layout(PARTITIONS, 1))
        produce = await raw_produce(bootstrap, raw_topic, events, size)
        consume = await raw_consume(bootstrap, raw_topic, events)
        print(f"  {'ceiling: raw aiokafka produce':<40} {produce:8.0f} msgs/s")
        print(f"  {'relay: log -> Kafka (acks=all, idem.)':<40} {relay_rate:8.0f} events/s   "
              f"ratio {relay_rate / produce:.2f}")
        print(f"  {'ceiling: raw aiokafka consume':<40} {consume:8.0f} msgs/s")
        pool = await create_pool(url)
        assert await partitions_of(bootstrap, [topic])
        for projection in (TierSummary(), IssueList()):
            group = f"{ns}.{projection.schema}"
            runner = ProjectionRunner(projection, pool, lambda streams, group=group: KafkaConsumer(
                bootstrap, streams, namespace=ns, group_id=group, batch_size=500))
            t = time.perf_counter()
            applied = await runner.catch_up()
            rate = applied / (time.perf_counter() - t)
            print(f"  {projection.schema + ' via Kafka':<40} {rate:8.0f} events/s   "
                  f"ratio {rate / consume:.2f}")
        await pool.close()
    finally:
        if started:
            subprocess.run([str(DEPLOY / "kafka.sh"), "stop"], env=started, check=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000, help="issues raised")
    asyncio.run(main(parser.parse_args().events))
