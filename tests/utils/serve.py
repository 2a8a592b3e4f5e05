"""Run a service's ASGI app in-process, lifespan included, behind an httpx client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import httpx
from fastapi import FastAPI

from shared.bus.log_follower import events_table
from tests.utils.wait import eventually


async def vouching_ready(app: FastAPI, timeout: float = 60.0) -> None:
    """Wait until the read models that vouch for tokens (the tier tree and departments
    copies, shared/vouch.py) hold what grid had stored when the service started, so a test's
    first request with a scoped token is not refused as naming an unknown node. Only the
    embedded transport has a log head to compare with; Kafka tests wait for what they use."""
    state = app.state
    vouch, settings = getattr(state, "vouch", None), getattr(state, "settings", None)
    if vouch is None or settings is None or settings.transport != "embedded":
        return  # not a service (the console), or a transport without a log head
    pool = state.pool
    if not await pool.fetchval("SELECT to_regclass($1)", events_table("grid")):
        return
    head = await pool.fetchval(f"SELECT coalesce(max(notification_id), 0) "
                               f"FROM {events_table('grid')}")
    for schema in {vouch.tier_schema, vouch.departments_schema}:
        await eventually(lambda schema=schema: pool.fetchval(
            f'SELECT coalesce(max(position), 0) FROM "{schema}".tracking '
            f"WHERE stream = 'grid'"), lambda at: at >= head, timeout=timeout)


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        await vouching_ready(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            yield client


@asynccontextmanager
async def serve_http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app behind a real uvicorn server on loopback, in this event loop: for what an
    in-memory transport cannot show, such as a response that streams for ever (SSE)."""
    import asyncio
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # startup failed: raise its error
        await asyncio.sleep(0.02)
    try:
        await vouching_ready(app)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        server.should_exit = True
        await task


@contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[str]:
    """The app behind a real uvicorn server on loopback, on an event loop of its own thread:
    for synchronous clients (a fuzzer) that would block the test's loop. Yields its URL."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"the app on port {port} did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
