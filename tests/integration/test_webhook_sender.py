"""A webhook sender that dies mid-POST: the delivery is neither lost nor sent twice. Its
lease runs out, another sender takes it, and it is delivered once."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from services.grid.webhooks import WEBHOOKS, WebhookSender
from shared.db import create_pool
from shared.projections.runner import ProjectionRunner
from shared.settings import Settings
from tests.utils.receiver import Receiver
from tests.utils.wait import eventually


async def test_a_sender_killed_mid_post_leaves_the_delivery_to_the_next(
    settings: Settings,
) -> None:
    receiver = Receiver(hang_first=1)
    pool = await create_pool(settings.database_url)
    try:
        await ProjectionRunner(WEBHOOKS, pool, lambda _: None).prepare()  # its tables
        q = f'"{WEBHOOKS.schema}"'
        await pool.execute(f"INSERT INTO {q}.hooks VALUES ('h1', 'km-gaj', $1)", receiver.url)
        await pool.execute(
            f"INSERT INTO {q}.deliveries (hook_id, department, url, event_id, type, body) "
            f"VALUES ('h1', 'km-gaj', $1, $2, 'gongzhi.whistle.blown.v1', '{{}}')",
            receiver.url, str(uuid.uuid4()))

        def sender() -> WebhookSender:
            return WebhookSender(pool, lambda *_: "secret", lease_seconds=1.0,
                                 allow_hosts=frozenset({"127.0.0.1"}))  # a local receiver

        async with httpx.AsyncClient(timeout=60) as client:
            dying = asyncio.create_task(sender().send_due(client))
            await eventually(lambda: _value(receiver.held), lambda n: n == 1)
            dying.cancel()  # the process dies while the receiver still holds the request
            await asyncio.gather(dying, return_exceptions=True)
            row = await pool.fetchrow(f"SELECT * FROM {q}.deliveries")
            assert (row["status"], row["attempts"]) == ("pending", 0)  # not lost, not counted
            assert await sender().send_due(client) == 0  # leased: nobody takes it yet

            await eventually(lambda: sender().send_due(client), lambda n: n == 1)
            assert len(receiver.got) == 1
            assert await sender().send_due(client) == 0  # and never again
        row = await pool.fetchrow(f"SELECT * FROM {q}.deliveries")
        assert (row["status"], row["attempts"]) == ("delivered", 1)
    finally:
        await pool.close()
        receiver.close()


async def _value(value: int) -> int:
    return value
