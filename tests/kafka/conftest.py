from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.settings import Settings
from tests.utils.brokers import Broker


@pytest.fixture(scope="session")
def kafka() -> Iterator[Broker]:
    """A real single-node KRaft broker for this test run (never skipped: if it cannot
    start, every Kafka test errors with the broker's log)."""
    broker = Broker(Path(tempfile.mkdtemp(prefix="gongzhi-test-kafka-"))).start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def kafka_settings(settings: Settings, kafka: Broker) -> Settings:
    """Kafka transport on the session broker, in a namespace of this test's own."""
    return settings.model_copy(update={
        "transport": "kafka", "kafka_bootstrap": kafka.bootstrap, "kafka_partitions": 3,
        "consumer_poll_seconds": 0.2, "kafka_namespace": f"t{uuid.uuid4().hex[:10]}",
    })
