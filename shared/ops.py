"""What an operator needs to see of a running service: each read model's position against
the head of the logs it follows (events behind, and the age of the oldest event it has not
applied), its dead letters, the relay's position on Kafka and any topic of its unlike the
configuration, and any service-specific troubles (a service may add them, e.g. grid's failing
webhook deliveries). Admins only.

Lag is measured where it is cheap and exact: on the embedded transport a stream is a service's
notification log, so its head is that log's newest id and the oldest unapplied event is the
next row. On Kafka a position is a partition offset; the head would need the broker's end
offsets, so lag is reported as unknown there and the relay's own backlog is shown instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query, Request

from shared.bus.envelope import from_stored
from shared.bus.log_follower import events_table
from shared.errors import Forbidden
from shared.http import CurrentPrincipal
from shared.projections.dead_letters import list_letters
from shared.projections.runner import built_version

router = APIRouter(prefix="/v1/ops", tags=["operations"])
Extra = Callable[[asyncpg.Pool], Awaitable[dict[str, Any]]]


async def _log_head(conn: asyncpg.Connection, service: str) -> int | None:
    """The newest notification id of a service's log; None while that service has never
    started (its table does not exist yet)."""
    if not await conn.fetchval("SELECT to_regclass($1)", events_table(service)):
        return None
    return await conn.fetchval(f"SELECT coalesce(max(notification_id), 0) "
                               f"FROM {events_table(service)}")


async def _oldest_unapplied_age(conn: asyncpg.Connection, service: str, position: int,
                                now: datetime) -> float | None:
    row = await conn.fetchrow(
        f"SELECT originator_id, originator_version, topic, state FROM {events_table(service)} "
        f"WHERE notification_id > $1 ORDER BY notification_id LIMIT 1", position)
    if row is None:
        return 0.0
    try:
        event = from_stored(service, str(row["originator_id"]), row["originator_version"],
                            row["topic"], row["state"])
        return max(0.0, (now - datetime.fromisoformat(event.time)).total_seconds())
    except Exception:  # an unreadable event: its age is unknown, its count still shows
        return None


async def read_model_status(pool: asyncpg.Pool, runner: Any, embedded: bool,
                            now: datetime) -> dict[str, Any]:
    schema = runner.schema
    async with pool.acquire() as conn:
        tracked = {r["stream"]: r["position"] for r in await conn.fetch(
            f'SELECT stream, position FROM "{schema}".tracking')}
        parked = await conn.fetchval(f'SELECT count(*) FROM "{schema}".dead_letters '
                                     f"WHERE state IN ('parked', 'replay')")
        streams = []
        for service in runner.projection.streams:
            if not embedded:
                positions = {k: v for k, v in tracked.items() if k.split(":")[0].endswith(
                    f".{service}")}
                streams.append({"stream": service, "positions": positions,
                                "lag_events": None, "lag_seconds": None})
                continue
            position = tracked.get(service, 0)
            head = await _log_head(conn, service)
            if head is None:
                streams.append({"stream": service, "position": position, "head": None,
                                "lag_events": None, "lag_seconds": None})
                continue
            streams.append({
                "stream": service, "position": position, "head": head,
                "lag_events": max(0, head - position),
                "lag_seconds": await _oldest_unapplied_age(conn, service, position, now)
                if head > position else 0.0,
            })
        built = await built_version(conn, schema)
    # `version`: what the live schema was built at; while it is older than the code's, the
    # old schema serves reads and a rebuild fills its successor (`rebuilding` here).
    return {"schema": schema, "version": built, "declared_version": runner.projection.version,
            "rebuilding": runner.rebuilding, "streams": streams, "dead_letters": parked,
            "applied_since_start": runner.applied}


async def dead_letters(pool: asyncpg.Pool, schemas: list[str], limit: int) -> list[dict]:
    """The newest parked (or replay-pending) messages across this service's read models."""
    letters = await list_letters(pool, schemas)
    return sorted(letters, key=lambda d: d["parked_at"], reverse=True)[:limit]


async def relay_status(pool: asyncpg.Pool, relay: Any) -> dict[str, Any] | None:
    if relay is None:
        return None
    async with pool.acquire() as conn:
        head = await _log_head(conn, relay.service) or 0
        position = 0
        if await conn.fetchval("SELECT to_regclass($1)", f'"{relay.service}".relay_position'):
            position = await conn.fetchval(
                f'SELECT position FROM "{relay.service}".relay_position WHERE topic = $1',
                relay.topic) or 0
    # Topics unlike the configuration, as the relay found them at its last start (topics.py).
    return {"topic": relay.topic, "position": position, "head": head,
            "lag_events": max(0, head - position),
            "topic_mismatches": list(relay.topic_mismatches)}


@router.get("/status", name="ops_status")
async def status(request: Request, who: CurrentPrincipal,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """Health, read models and their lag, dead letters, relay; admins only."""
    if who.role != "admin":
        raise Forbidden("operations status is for operators (the admin role)")
    state = request.app.state
    settings = state.settings
    pool: asyncpg.Pool = state.pool
    now = datetime.now(UTC)
    runners = getattr(state, "runners", [])
    embedded = settings.transport != "kafka"
    models = [await read_model_status(pool, r, embedded, now) for r in runners]
    extra: Extra | None = getattr(state, "ops_extra", None)
    return {
        "service": request.app.title.removeprefix("Gongzhi "), "status": "ok",
        "transport": settings.transport, "at": now.isoformat(),
        "tracing_ui": settings.tracing_ui_url,
        "read_models": models,
        "dead_letters": await dead_letters(pool, [r.schema for r in runners], limit),
        "relay": await relay_status(pool, getattr(state, "relay", None)),
        **(await extra(pool) if extra else {}),
    }


