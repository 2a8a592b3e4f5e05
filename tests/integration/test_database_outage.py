"""PostgreSQL stops under load and comes back: every answer is a 2xx, a 409 or a 503 with
Retry-After within 5 s, writes resume within 5 s of the restart, nothing acknowledged is lost
and nothing is stored twice; a command whose client gave up is never executed later.

The outage test runs its own PostgreSQL server (stopping the session's would stop every
other test); the abandonment test holds the store's write lock on the session server.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

from services.issues.bootstrap import create_app
from shared import embedded_pg
from shared.settings import Settings
from tests.conftest import DATA_KEY, JWT_SECRET
from tests.utils.city import BUILDING, register_small_city
from tests.utils.serve import serve_http
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

STAFF = bearer("district_staff", "km.guandu", sub="d-01")
ANSWER_WITHIN = 5.0
OUTAGE_SECONDS = 4.0


def issue(title: str) -> dict:
    return {"node": BUILDING, "title": title, "category": "environment", "channel": "app"}


def stored_titles(database_url: str) -> list[str]:
    """Every raise in the issues log, read as an auditor would (the title is in the state)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT convert_from(state, 'UTF8') FROM issues.issues_events "
            "WHERE topic = 'gongzhi.issue.raised.v1'").fetchall()
    import json

    return [json.loads(r[0])["title"] for r in rows]


@dataclass
class Load:
    """Raise issues from several clients at once and remember every answer and its time."""

    http: httpx.AsyncClient  # made beforehand: making one blocks the loop (TLS defaults)
    answers: list[tuple[float, float, int | str, str]] = field(default_factory=list)
    stop: bool = False

    async def client(self, n: int) -> None:
        while not self.stop:
            title = f"load-{n}-{uuid.uuid4().hex[:8]}"
            sent = time.monotonic()
            try:
                r = await self.http.post("/v1/issues", json=issue(title), headers=STAFF)
                status: int | str = r.status_code
                if r.status_code == 503:
                    assert r.headers["Retry-After"].isdigit(), r.headers
                    assert r.headers["content-type"] == "application/problem+json"
            except httpx.TimeoutException:
                status = "timeout"
            self.answers.append((sent, time.monotonic(), status, title))
            if status == 503:
                await asyncio.sleep(0.05)

    def acknowledged(self) -> list[str]:
        return [title for _, _, status, title in self.answers if status in (200, 201)]


@pytest.fixture
def own_server() -> Iterator[Path]:
    data = Path(tempfile.mkdtemp(prefix="gongzhi-outage-pg-")) / "pg"  # as conftest's
    embedded_pg.start(data)
    try:
        yield data
    finally:
        embedded_pg.stop(data)


@pytest.fixture
async def outage_platform(own_server: Path, tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    url = embedded_pg.create_database(embedded_pg.start(own_server), "outage")
    register_small_city(url)
    settings = Settings(DATABASE_URL=url, home=tmp_path / "home", env="test",
                        jwt_secret=JWT_SECRET, data_key=DATA_KEY, consumer_poll_seconds=0.2)
    async with serve_http(create_app(settings)) as api:
        await eventually(lambda: api.get("/v1/tiers/km.guandu/summary", headers=STAFF),
                         lambda r: r.status_code == 200)
        yield str(api.base_url), url


async def test_postgres_stopping_under_load_gives_503s_then_recovers(
        outage_platform: tuple[str, str], own_server: Path) -> None:
    api, url = outage_platform
    async with httpx.AsyncClient(base_url=api, timeout=ANSWER_WITHIN) as http:
        load = Load(http)
        clients = [asyncio.create_task(load.client(n)) for n in range(6)]
        await asyncio.sleep(1.5)
        await asyncio.to_thread(embedded_pg.stop, own_server)
        await asyncio.sleep(OUTAGE_SECONDS)
        await asyncio.to_thread(embedded_pg.start, own_server)
        back = time.monotonic()
        await asyncio.sleep(6.0)
        load.stop = True
        await asyncio.gather(*clients)

    statuses = {status for _, _, status, _ in load.answers}
    assert statuses <= {200, 201, 409, 503}, statuses  # never a 500, never a timeout
    assert 503 in statuses, "the outage was never seen"
    slowest = max(answered - sent for sent, answered, _, _ in load.answers)
    assert slowest < ANSWER_WITHIN
    first_write_after = min(answered for _, answered, status, _ in load.answers
                            if status == 201 and answered > back)
    assert first_write_after - back < 5.0, "writes did not resume within 5 s of the restart"

    stored = stored_titles(url)
    assert len(stored) == len(set(stored)), "an issue was stored twice"
    assert set(load.acknowledged()) <= set(stored), "an acknowledged issue was lost"
    # The read models caught up with the store after the outage, each issue once.
    async with httpx.AsyncClient(base_url=api, timeout=10) as http:
        await eventually(lambda: http.get("/v1/tiers/km.guandu/summary", headers=STAFF),
                         lambda r: r.status_code == 200
                         and r.json()["node"]["counts"]["total"] == len(stored), timeout=30)


async def test_a_command_whose_client_gave_up_is_never_executed(settings: Settings) -> None:
    """The store is stuck (its write lock held); a patient command waits in the writer, and
    impatient clients give up behind it. When the store moves again only the patient one
    is written."""
    register_small_city(settings.database_url)
    async with serve_http(create_app(settings)) as api:
        await eventually(lambda: api.get("/v1/tiers/km.guandu/summary", headers=STAFF),
                         lambda r: r.status_code == 200)
        with psycopg.connect(settings.database_url) as holder:
            holder.execute("LOCK TABLE issues.issues_events IN EXCLUSIVE MODE")
            patient = asyncio.create_task(api.post("/v1/issues", json=issue("patient"),
                                                   headers=STAFF))
            await asyncio.sleep(0.5)  # the writer is now waiting for the lock
            async with httpx.AsyncClient(base_url=str(api.base_url), timeout=0.5) as hasty:
                for n in range(4):
                    with pytest.raises(httpx.TimeoutException):
                        await hasty.post("/v1/issues", json=issue(f"abandoned-{n}"),
                                         headers=STAFF)
            await asyncio.sleep(0.3)  # the server sees the disconnections
            holder.rollback()
        assert (await patient).status_code == 201
        await asyncio.sleep(1.0)  # time for anything wrongly queued to be written
    assert stored_titles(settings.database_url) == ["patient"]
