"""Webhooks through outages: a removed hook's pending retries are cancelled without slowing
anyone else, a row that cannot be sent never stops the sender, and a receiver down for ten
minutes (on the injected clock) gets every delivery once it is back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from services.grid.webhooks import REMOVED, RETRY_FOR, WEBHOOKS, WebhookSender
from shared.bus.envelope import Envelope
from shared.clock import ManualClock
from shared.db import create_pool
from shared.errors import NotFound
from shared.projections.runner import ProjectionRunner
from shared.settings import Settings
from tests.utils.receiver import Receiver

Q = f'"{WEBHOOKS.schema}"'
LOCAL = frozenset({"127.0.0.1"})  # the receivers are local; webhooks refuse private addresses


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(settings.database_url)
    await ProjectionRunner(WEBHOOKS, pool, lambda _: None).prepare()  # its tables
    yield pool
    await pool.close()


async def hook(pool: asyncpg.Pool, hook_id: str, department: str, url: str,
               deliveries: int, attempts: int = 0) -> None:
    await pool.execute(f"INSERT INTO {Q}.hooks VALUES ($1, $2, $3)", hook_id, department, url)
    for _ in range(deliveries):
        await pool.execute(
            f"INSERT INTO {Q}.deliveries (hook_id, department, url, event_id, type, body, "
            f"attempts) VALUES ($1, $2, $3, $4, 'gongzhi.whistle.blown.v1', '{{}}', $5)",
            hook_id, department, url, str(uuid.uuid4()), attempts)


async def statuses(pool: asyncpg.Pool, hook_id: str) -> list[str]:
    return [r["status"] for r in await pool.fetch(
        f"SELECT status FROM {Q}.deliveries WHERE hook_id = $1 ORDER BY id", hook_id)]


def secrets(*gone: str):
    def secret_of(department: str, hook_id: str) -> str:
        if hook_id in gone:  # as grid answers for a hook its department no longer has
            raise NotFound(f"no webhook {hook_id} for {department}")
        return "secret"
    return secret_of


async def test_a_removed_hook_cancels_its_retries_and_delays_no_one(
        pool: asyncpg.Pool) -> None:
    down, up = Receiver(fail_first=10**6), Receiver()
    try:
        await hook(pool, "h-removed", "km-cgj", down.url, deliveries=3, attempts=2)
        await hook(pool, "h-gone-late", "km-jtj", down.url, deliveries=1)  # removal not seen yet
        await hook(pool, "h-police", "km-gaj", up.url, deliveries=3)
        removed = Envelope(id="x/2", source="/gongzhi/grid", type=REMOVED, subject="x",
                           time="2026-11-23T09:00:00+00:00", seq=2, tier="km",
                           data={"hook_id": "h-removed", "department": "km-cgj"})
        async with pool.acquire() as conn:
            await WEBHOOKS.apply(conn, Q, [removed])
        sender = WebhookSender(pool, secrets("h-removed", "h-gone-late"), allow_hosts=LOCAL)
        async with httpx.AsyncClient(timeout=10) as client:
            assert await sender.send_due(client) == 4  # the police's three and the bad row
        assert len(up.got) == 3  # at once: neither the removed hook nor the bad row held it up
        assert await statuses(pool, "h-police") == ["delivered"] * 3
        assert await statuses(pool, "h-removed") == ["cancelled"] * 3
        assert down.refused == 0  # nothing went to the removed hook
        bad = await pool.fetchrow(f"SELECT * FROM {Q}.deliveries WHERE hook_id = 'h-gone-late'")
        assert (bad["status"], bad["attempts"]) == ("pending", 1)
        assert "NotFound" in bad["last_error"]
    finally:
        down.close()
        up.close()


async def test_a_receiver_down_for_ten_minutes_gets_every_delivery_once_back(
        pool: asyncpg.Pool) -> None:
    receiver = Receiver(fail_first=10**6)
    clock = ManualClock(datetime.now(UTC) + timedelta(seconds=1))
    sender = WebhookSender(pool, secrets(), clock=clock, allow_hosts=LOCAL)
    try:
        await hook(pool, "h1", "km-gaj", receiver.url, deliveries=5)
        async with httpx.AsyncClient(timeout=10) as client:
            async def run_for(span: timedelta, step: timedelta) -> None:
                end = clock.now() + span
                while clock.now() < end:
                    await sender.send_due(client)
                    clock.advance(step)

            await run_for(timedelta(minutes=10), timedelta(seconds=5))
            assert receiver.refused >= 5 * 8  # retried all along, more than the old 8 times
            assert await statuses(pool, "h1") == ["pending"] * 5
            receiver.fail_first = receiver.refused  # the receiver is back
            await run_for(timedelta(minutes=13), timedelta(seconds=5))  # > the longest wait
        assert await statuses(pool, "h1") == ["delivered"] * 5
        assert len(receiver.got) == 5  # each once
        most = await pool.fetchval(f"SELECT max(attempts) FROM {Q}.deliveries")
        assert most < 30  # backed off, not hammered every 5 s
    finally:
        receiver.close()


async def test_retries_stop_a_day_after_the_event(pool: asyncpg.Pool) -> None:
    receiver = Receiver(fail_first=10**6)
    clock = ManualClock(datetime.now(UTC) + timedelta(seconds=1))
    sender = WebhookSender(pool, secrets(), clock=clock, allow_hosts=LOCAL)
    try:
        await hook(pool, "h1", "km-gaj", receiver.url, deliveries=1)
        async with httpx.AsyncClient(timeout=10) as client:
            while clock.now() < datetime.now(UTC) + RETRY_FOR - timedelta(minutes=15):
                await sender.send_due(client)
                clock.advance(timedelta(minutes=10))
            assert await statuses(pool, "h1") == ["pending"]  # still trying, 23¾ hours on
            for _ in range(6):
                await sender.send_due(client)
                clock.advance(timedelta(minutes=10))
        assert await statuses(pool, "h1") == ["failed"]
    finally:
        receiver.close()
