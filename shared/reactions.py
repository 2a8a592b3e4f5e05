"""Reactions: a service's answers to events, declared as one map of event type → handler.

Each service lists its reactions in `services/<service>/reactions.py` (`REACTIONS`). A
`Reaction` follows one stream (a service's log, or its Kafka topic) under its own schema —
positions, versions applied, dead letters and any tables of its own — and dispatches each
event by type to a handler; events it has no handler for only move its position on. The
same map is what the runner subscribes from and what docs/architecture.md's "who reacts to
whom" table is generated from (`python -m gongzhi.docs`), so the two cannot drift.

Exactly once, as eventsourcing's process applications do it (a `ProcessRecorder` inserts a
process's new events together with a `Tracking` record of the position they answer): a
handler's commands do not store their events themselves. Their saves are held
(`shared.eventstore.holding_events`) and `ReactionProjection.apply` inserts them into the
service's event log inside the projection runner's transaction — the same transaction that
records the reaction's position, versions and tables. A crash anywhere before the commit
leaves neither the events nor the position; the redelivered event then reacts once.
docs/reactions.md says why the events bypass the batching writer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from eventsourcing.persistence import IntegrityError

from shared.bus.envelope import Envelope
from shared.eventstore import ServiceApplication, holding_events
from shared.projections.projection import Projection


@dataclass(frozen=True)
class Reacting:
    """What a handler gets besides the event: the service's application (its commands), the
    runner's connection and transaction, the reaction's schema (its own tables) and whatever
    else the service wired in (`deps`)."""

    app: Any
    conn: asyncpg.Connection
    schema: str
    deps: Mapping[str, Any] = field(default_factory=dict)


Handler = Callable[[Reacting, Envelope], Awaitable[None]]


@dataclass(frozen=True)
class Reaction:
    """One reaction: its schema, the stream it follows, and event type → handler. The
    handler's docstring (first line) is what the docs say it does."""

    schema: str
    stream: str
    on: Mapping[str, Handler]
    ddl: str = ""

    def bind(self, app: Any = None, **deps: Any) -> ReactionProjection:
        return ReactionProjection(self, app, deps)


@dataclass(frozen=True)
class ReactionMap:
    """A service's reactions, each under its own schema."""

    service: str
    reactions: tuple[Reaction, ...]

    def __getitem__(self, schema: str) -> Reaction:
        for reaction in self.reactions:
            if reaction.schema == schema:
                return reaction
        raise KeyError(schema)

    def projections(self, app: Any, **deps: Any) -> list[ReactionProjection]:
        """What the service's runners run: every reaction bound to its application."""
        return [r.bind(app, **deps) for r in self.reactions]

    def types(self) -> set[str]:
        return {t for r in self.reactions for t in r.on}


class ReactionProjection(Projection):
    """A reaction as the projection runner runs it."""

    # Replaying its history would act on every event again (commands, webhook deliveries):
    # a reaction is never rebuilt, automatically or by `gongzhi rebuild`.
    rebuildable = False

    def __init__(self, reaction: Reaction, app: Any, deps: Mapping[str, Any]) -> None:
        self.reaction = reaction
        self.app = app
        self.deps = deps
        self.schema = reaction.schema  # type: ignore[misc]
        self.streams = (reaction.stream,)  # type: ignore[misc]
        self.ddl = reaction.ddl  # type: ignore[misc]

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        """Dispatch each event to its handler, then store the events their commands made —
        all in the caller's transaction (the runner's, which records the position next)."""
        reacting = Reacting(self.app, conn, schema, self.deps)
        with holding_events() as held:
            for e in events:
                if (handler := self.reaction.on.get(e.type)) is not None:
                    await handler(reacting, e)
        by_app: dict[int, tuple[ServiceApplication, list[Any]]] = {}
        for app, new_events in held:  # one insert per application, in the order saved
            by_app.setdefault(id(app), (app, []))[1].extend(new_events)
        for app, new_events in by_app.values():
            await store_in(conn, app, new_events)


async def store_in(conn: asyncpg.Connection, app: ServiceApplication,
                   events: Sequence[Any]) -> None:
    """Insert domain events into `app`'s log within `conn`'s transaction, as eventsourcing's
    PostgreSQL recorder does: the same encoding (the application's mapper), the table lock
    that keeps notification ids in commit order (the embedded transport and the relay read
    `> last id` and must never skip a late commit) and the NOTIFY readers wait on. Another
    writer's event at the same (aggregate, version) is a conflict, retried by the runner."""
    recorder = app.recorder
    schema, table = recorder.datastore.schema, recorder.events_table_name
    stored = [app.mapper.to_stored_event(e) for e in events]
    await conn.execute(f"SET LOCAL lock_timeout = '{recorder.datastore.lock_timeout}s'")
    await conn.execute(f'LOCK TABLE "{schema}"."{table}" IN EXCLUSIVE MODE')
    await conn.execute(f'NOTIFY "{recorder.channel_name}"')
    try:
        await conn.execute(
            f'INSERT INTO "{schema}"."{table}" (originator_id, originator_version, topic, state) '
            f"SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bytea[])",
            [s.originator_id for s in stored], [s.originator_version for s in stored],
            [s.topic for s in stored], [s.state for s in stored])
    except asyncpg.UniqueViolationError as exc:
        raise IntegrityError(f"conflicting write: {exc}") from exc
