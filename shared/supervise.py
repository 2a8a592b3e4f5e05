"""Keep a long-running task alive: restart it after a failure, backing off up to 10 s."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("gongzhi.supervise")


async def forever(name: str, step: Callable[[], Awaitable[None]]) -> None:
    """Run `step` again whenever it returns or fails, until cancelled."""
    backoff = 0.2
    while True:
        try:
            await step()
            backoff = 0.2
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s stopped; restarting in %.1fs", name, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10.0)


def every(seconds: float, step: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    """A step for `forever` that does `step`, then rests: a watcher's whole loop."""
    async def once_then_rest() -> None:
        await step()
        await asyncio.sleep(seconds)
    return once_then_rest
