"""Server-sent events from a numbered read-model table (a department's whistle feed, a
resident's issue feed): follow it from a position, resume after `Last-Event-ID`.

The table's own ids are the SSE ids, so a reconnecting client names where it stopped and
gets each later row once. Without `Last-Event-ID` a stream starts from now.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from fastapi import Request
from fastapi.responses import StreamingResponse

from shared import inputs

KEEP_ALIVE_SECONDS = 15.0  # a comment this often keeps proxies from closing a quiet stream
BATCH = 100

# (id, event name, data as one line of JSON)
Row = tuple[int, str, str]
Fetch = Callable[[int, int], Awaitable[Sequence[Row]]]  # (after id, at most) -> rows in order

STREAM_RESPONSES = {200: {"content": {"text/event-stream": {}}}}  # for the OpenAPI docs


async def start_after(last_event_id: str | None, latest: Callable[[], Awaitable[int]]) -> int:
    """Where a stream starts: after the client's last id, or after the newest row. An id this
    service could not have sent is a 422, not a stream that starts somewhere else."""
    after = inputs.row_id(last_event_id, "Last-Event-ID")
    if after is not None:
        return after
    return await latest() or 0


async def follow(fetch: Fetch, after: int, poll: float,
                 is_disconnected: Callable[[], Awaitable[bool]],
                 keep_alive: float = KEEP_ALIVE_SECONDS) -> AsyncIterator[str]:
    """The stream's text: a first comment, then each row once, in order, polling when idle
    and sending a keep-alive comment after `keep_alive` quiet seconds."""
    yield ": connected\n\n"
    idle = 0.0
    while not await is_disconnected():
        rows = await fetch(after, BATCH)
        for row_id, name, data in rows:
            after = row_id
            yield f"id: {row_id}\nevent: {name}\ndata: {data}\n\n"
        if rows:
            idle = 0.0
            continue
        idle += poll
        if idle >= keep_alive:
            idle = 0.0
            yield ": keep-alive\n\n"
        await asyncio.sleep(poll)


def event_stream(request: Request, fetch: Fetch, after: int) -> StreamingResponse:
    poll = request.app.state.settings.consumer_poll_seconds
    return StreamingResponse(follow(fetch, after, poll, request.is_disconnected),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})
