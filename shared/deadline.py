"""Every request has a deadline, and a command is never executed for a client that gave up.

A request gets a `Budget` when it arrives. If no response has started by its deadline the
request is answered 503 with `Retry-After`, and its budget is abandoned; so is the budget of a
request whose client disconnects. The batching writer *claims* a command's budget as it takes
the command into a transaction: an abandoned budget cannot be claimed (the command is dropped,
never executed late), and a claimed one cannot be abandoned (its transaction is already under
way, and the request waits for its outcome rather than answering 503 for a command that may
commit). Work without a request (policies, watchers) has no budget and always runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import Unavailable

RETRY_AFTER_SECONDS = 2


class Abandoned(Unavailable):
    """The request's client gave up, or its deadline passed, before the command ran."""


class Budget:
    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._claimed = False
        self._abandoned = False

    def claim(self) -> bool:
        """The writer is about to run this request's command: True unless it was abandoned
        or its deadline passed (then it is abandoned now)."""
        with self._lock:
            if not self._claimed and (self._abandoned or time.monotonic() >= self.deadline):
                self._abandoned = True
                return False
            self._claimed = True
            return True

    def abandon(self) -> bool:
        """The client is gone or the deadline passed: True unless a command already runs."""
        with self._lock:
            if self._claimed:
                return False
            self._abandoned = True
            return True

    @property
    def abandoned(self) -> bool:
        return self._abandoned


_current: ContextVar[Budget | None] = ContextVar("gongzhi_request_budget", default=None)


def current() -> Budget | None:
    """The budget of the request this code runs for (threads started by run_in_threadpool
    inherit it), or None outside a request."""
    return _current.get()


def claim_or_raise(budget: Budget | None) -> None:
    if budget is not None and not budget.claim():
        raise Abandoned("the request's client gave up, or its deadline passed, before it ran; "
                        "nothing was written")


_READS = {"GET", "HEAD", "OPTIONS"}


class RequestDeadline:
    """ASGI middleware: answer 503 + Retry-After when no response has started within
    `seconds` (some paths, such as bulk imports, may name more), and abandon the budget of a
    state-changing request whose client disconnects."""

    def __init__(self, app: ASGIApp, seconds: float, per_path: dict[str, float]) -> None:
        self.app, self.seconds, self.per_path = app, seconds, per_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        seconds = self.per_path.get(scope["path"], self.seconds)
        budget = Budget(seconds)
        token = _current.set(budget)
        started = timed_out = False
        watcher: asyncio.Task | None = None

        async def watch_disconnect() -> None:
            # Once the body is read, the next message can only be the client leaving.
            while (await receive())["type"] != "http.disconnect":
                pass
            budget.abandon()

        async def app_receive() -> Message:
            nonlocal watcher
            message = await receive()
            if message["type"] == "http.disconnect":
                budget.abandon()
            elif (not message.get("more_body") and watcher is None
                  and scope["method"] not in _READS):
                watcher = asyncio.create_task(watch_disconnect())
            return message

        async def app_send(message: Message) -> None:
            nonlocal started
            if timed_out:
                return  # the client already has its 503
            started = True
            await send(message)

        task = asyncio.create_task(self.app(scope, app_receive, app_send))
        try:
            done, _ = await asyncio.wait({task}, timeout=max(0.0, budget.deadline
                                                              - time.monotonic()))
            if not done and not started and budget.abandon():
                timed_out = True
                task.cancel()
                # Answer now: a route waiting on a worker thread only sees the cancellation
                # once the thread returns (its own waits are bounded by the store's timeouts).
                await _unavailable(seconds)(scope, receive, send)
                with contextlib.suppress(BaseException):
                    await task
                return
            await task
        finally:
            _current.reset(token)
            if watcher is not None:
                watcher.cancel()
            if not task.done():
                task.cancel()


def _unavailable(seconds: float) -> Any:
    from shared.http import problem  # http builds on this module

    response = problem(503, "Service unavailable",
                       f"no answer within {seconds:g}s (the database may be unavailable); "
                       "nothing was written, try again")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
