"""The one place a service is assembled: write side, read pool, projections, routes.

Each service's bootstrap names its parts; this builds the lifespan that opens them in order
and closes them in reverse. No I/O happens until the ASGI server starts the app.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from eventsourcing.application import Application
from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool

from shared import ops, supervise, telemetry
from shared.bus.transports import consumers_for
from shared.db import create_pool, resolve_database_url
from shared.eventstore import open_application
from shared.http import create_service_app
from shared.projections.dead_letters import router as dead_letters_router
from shared.projections.projection import Projection
from shared.projections.runner import running
from shared.relay import Relay
from shared.settings import Settings
from shared.vouch import Vouch


def build_service(
    *,
    settings: Settings,
    description: str,
    application: type[Application],
    projections: Sequence[Projection],
    routers: Sequence[APIRouter],
    vouch: Vouch,
    application_kwargs: Callable[[Settings], dict[str, Any]] = lambda _: {},
    body_limits: dict[str, int] | None = None,
    deadlines: dict[str, float] | None = None,
    reactions: Callable[[Any], Sequence[Projection]] = lambda _: (),
    background: Callable[[FastAPI], Sequence[tuple[str, Callable[[], Awaitable[None]]]]] = (
        lambda _: ()),
    ops_extra: ops.Extra | None = None,
    setup: Callable[[FastAPI], Awaitable[None]] | None = None,
) -> FastAPI:
    """`projections` build read models; `reactions(application)` answer events with
    commands on this service's application (a service's `REACTIONS.projections`,
    shared/reactions.py); `background(app)` names long-running
    steps (watchers, senders) to keep alive. All start with the app and stop with it.
    `setup(app)` runs once the pool is open, before any request: tables a service keeps
    outside its event store and read models (grid's sign-in state).
    `vouch` checks every token's scope and department against this service's read models."""
    service = application.name

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = await run_in_threadpool(resolve_database_url, settings)
        app.state.settings = settings
        app.state.ops_extra = ops_extra
        app.state.jwt_secret = settings.secret("jwt_secret")
        app.state.vouch = vouch
        app.state.application = await run_in_threadpool(
            open_application, application, url, **application_kwargs(settings)
        )
        app.state.pool = await create_pool(url)
        if setup is not None:
            await setup(app)
        relay = _relay(service, settings, url)
        app.state.relay = relay
        tasks = [asyncio.create_task(relay.run(), name=f"relay:{service}")] if relay else []
        try:
            async with running(
                [*projections, *reactions(app.state.application)], app.state.pool,
                lambda schema: consumers_for(settings, url, group=schema),
                dead_letter_after=settings.dead_letter_after,
                patience=settings.reaction_patience_seconds,
            ) as runners:
                app.state.runners = runners
                # Background work starts once the read models it queries exist.
                tasks += [asyncio.create_task(supervise.forever(name, step), name=name)
                          for name, step in background(app)]
                yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await app.state.pool.close()
            app.state.application.close()
            telemetry.shutdown()

    telemetry.configure(service)
    app = create_service_app(
        service=service,
        description=description,
        lifespan=lifespan,
        routers=[*routers, ops.router, dead_letters_router],
        max_body_bytes=settings.max_body_bytes,
        body_limits=body_limits or {},
        request_deadline=settings.request_deadline_seconds,
        deadlines=deadlines,
        asyncapi=_asyncapi(service, settings),
    )
    telemetry.instrument(app)
    return app


def _asyncapi(service: str, settings: Settings) -> Callable[[str], dict[str, Any]]:
    """The service's own channels (its topic, its dead letters; the grid's also the
    department webhooks and stream, served from the host it was asked at), made once per
    host: the contracts do not change while the service runs."""

    @functools.lru_cache(maxsize=4)
    def build(host: str) -> dict[str, Any]:
        from contracts.asyncapi import document  # the registry, imported on first ask

        return document(services=[service], namespace=settings.kafka_namespace,
                        bootstrap=settings.kafka_bootstrap, grid_http=host)

    return build


def _relay(service: str, settings: Settings, url: str) -> Relay | None:
    """On Kafka, every service publishes its own log; on the embedded transport consumers
    read the logs directly and there is nothing to relay."""
    if settings.transport != "kafka":
        return None
    return Relay(service, url, settings.kafka_bootstrap, namespace=settings.kafka_namespace,
                 partitions=settings.kafka_partitions,
                 replication=settings.kafka_replication, batch_size=settings.relay_batch_size,
                 poll_seconds=settings.consumer_poll_seconds)
