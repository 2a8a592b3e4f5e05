"""Runs a projection: a batch's effect and its positions commit in one asyncpg transaction.

Exactly-once effects rest on three checks inside that transaction:
- positions: a delivery at or before the stored offset of its stream was already applied
  (a redelivery after a crash, or a consumer restarted mid-batch) and is skipped;
- versions: an event whose (aggregate, version) is not past the last one applied for that
  aggregate is skipped (the relay may publish an event twice, at two offsets);
- an advisory lock per schema, so two replicas, or a rebuild swapping schemas, never
  interleave their transactions.
A batch that fails is retried message by message. A failure that says nothing about the
message — the database unavailable, a write conflict, something the event needs not arrived
yet (`NotYet`) — is retried with capped backoff until it succeeds (what is missing gets
`patience` seconds, then the message is parked). A message that fails otherwise
`dead_letter_after` times is parked in the dead-letter table with its error, and the stream
goes on. Operators replay or drop parked messages (`replay`, and `gongzhi dead-letters`); a
replay applies a message once: it and the row's new state commit together.
A schema is built at its projection's `version` and never altered: on start, one built at an
older version is rebuilt beside it and swapped in (`prepare`, `upgrade`; docs/operations.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict

import asyncpg
from eventsourcing.persistence import IntegrityError

from shared import supervise, telemetry
from shared.bus.consumer import ConsumerFactory
from shared.bus.envelope import Delivery, Envelope
from shared.db import store_unavailable
from shared.errors import Conflict
from shared.projections.projection import NotYet, Projection

log = logging.getLogger("gongzhi.projections")

RUNNER_DDL = """
CREATE TABLE IF NOT EXISTS {schema}.tracking (
    stream text PRIMARY KEY,
    position bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.applied_versions (
    subject text PRIMARY KEY,
    seq bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.dead_letters (
    id bigserial PRIMARY KEY,
    stream text NOT NULL,
    position bigint NOT NULL,
    error text NOT NULL,
    attempts int NOT NULL,
    message text,
    parked_at timestamptz NOT NULL DEFAULT now(),
    -- parked, replay (asked for; the running service applies it), replayed, dropped
    state text NOT NULL DEFAULT 'parked',
    resolved_at timestamptz
);
-- The projection's version the tables were built at (one row). A runner declaring a newer
-- one rebuilds them into a fresh schema and swaps it in; nothing is altered in place.
CREATE TABLE IF NOT EXISTS {schema}.schema_version (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    version int NOT NULL,
    built_at timestamptz NOT NULL DEFAULT now()
);
"""
# What a schema made before versions were recorded counts as.
UNRECORDED_VERSION = 1
SUPERSEDED_POLL_SECONDS = 5.0

MAX_BACKOFF_SECONDS = 5.0
REPLAY_POLL_SECONDS = 2.0


async def built_version(conn: asyncpg.Connection, schema: str) -> int | None:
    """The version a schema's tables were built at; None before it records one."""
    if not await conn.fetchval("SELECT to_regclass($1)", f'"{schema}".schema_version'):
        return None
    return await conn.fetchval(f'SELECT version FROM "{schema}".schema_version')


class Superseded(Exception):
    """The schema was built at a newer version than this code's (a newer replica swapped it
    in during a rolling deployment): this runner must not write its older idea of the tables
    into it. Nothing of the batch is applied; the newer replicas apply it."""


def transient(exc: BaseException) -> bool:
    """A failure worth waiting out: it says nothing about the message itself."""
    return store_unavailable(exc) or isinstance(exc, (IntegrityError, Conflict, NotYet))


def backoff(attempt: int) -> float:
    """0.1 s doubling to 5 s, with jitter so replicas do not retry in step."""
    return min(MAX_BACKOFF_SECONDS, 0.1 * 2 ** min(attempt, 10)) * random.uniform(0.5, 1.0)


class ProjectionRunner:
    def __init__(
        self,
        projection: Projection,
        pool: asyncpg.Pool,
        consumers: ConsumerFactory,
        *,
        schema: str | None = None,
        dead_letter_after: int = 3,
        patience: float = 600.0,
    ) -> None:
        self.projection = projection
        self.pool = pool
        self.consumers = consumers
        self.schema = schema or projection.schema
        self.dead_letter_after = dead_letter_after
        self.patience = patience  # how long a NotYet is waited for before parking
        self.applied = 0  # events applied by this process, for benchmarks and logs
        self.built_version: int | None = None  # the live schema's, once prepared
        self.rebuilding = False

    @property
    def _q(self) -> str:
        return f'"{self.schema}"'

    async def prepare(self) -> None:
        """Make a missing schema at the projection's version, or find the version an existing
        one was built at (`built_version`). An existing schema's tables are never altered: a
        newer version is rebuilt beside them and swapped in (`stale`, `upgrade`)."""
        declared = self.projection.version
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", self.schema)
            existed = await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", self.schema)
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self._q}")
            await conn.execute(RUNNER_DDL.format(schema=self._q))
            built = await conn.fetchval(f"SELECT version FROM {self._q}.schema_version")
            if built is None:
                built = UNRECORDED_VERSION if existed else declared
                await conn.execute(
                    f"INSERT INTO {self._q}.schema_version (version) VALUES ($1)", built)
            if built == declared and self.projection.ddl.strip():
                await conn.execute(self.projection.ddl.format(schema=self._q))
        was_superseded = self.superseded
        self.built_version = built
        if self.superseded and not was_superseded:
            log.warning("%s was built at version %d, newer than this code's %d (a newer "
                        "replica's, or a rollback's): this runner applies nothing to it; "
                        "after a rollback `gongzhi rebuild` builds it at this version",
                        self.schema, built, declared)
        elif built < declared and not self.projection.rebuildable:
            log.error("%s is at version %d, the code declares %d, but it keeps state that "
                      "replaying would act on again: it is not rebuilt; migrate it by hand",
                      self.schema, built, declared)

    @property
    def stale(self) -> bool:
        """The live schema was built at an older version than the projection declares."""
        return (self.projection.rebuildable and self.built_version is not None
                and self.built_version < self.projection.version)

    @property
    def superseded(self) -> bool:
        """The live schema was built at a newer version than this code's: applying to it
        would write an older idea of its tables, so this runner does not."""
        return self.built_version is not None and self.built_version > self.projection.version

    async def upgrade(self) -> bool:
        """Rebuild the schema at the declared version and swap it in, unless another replica
        is doing or did it (then wait for it). Meanwhile reads keep the old schema and this
        runner applies nothing to it. True when this runner did the rebuild."""
        from shared.projections.rebuild import upgrade  # rebuild.py builds on this module

        self.rebuilding = True
        try:
            rebuilt = await upgrade(self.projection, self.pool, self.consumers)
        finally:
            self.rebuilding = False
        self.built_version = self.projection.version
        return rebuilt

    async def positions(self) -> dict[str, int]:
        rows = await self.pool.fetch(f"SELECT stream, position FROM {self._q}.tracking")
        return {r["stream"]: r["position"] for r in rows}

    async def run(self) -> None:
        """Follow the streams forever; a follower that dies is restarted from its positions.
        Alongside, apply the replays operators asked for."""

        async def follow() -> None:
            await self.prepare()
            if self.stale:
                await self.upgrade()
            while self.superseded:  # until the newer code is gone and the schema rebuilt
                await asyncio.sleep(SUPERSEDED_POLL_SECONDS)
                await self.prepare()
            try:
                await self._consume(follow=True)
            except Superseded as exc:  # swapped in under us; the next round waits
                log.warning("%s; applying nothing to it", exc)

        async def replays() -> None:
            await asyncio.sleep(REPLAY_POLL_SECONDS)
            await self.replay_requested()

        await asyncio.gather(supervise.forever(f"projection {self.schema}", follow),
                             supervise.forever(f"replays {self.schema}", replays))

    async def catch_up(self) -> int:
        """Apply everything up to the current head, then return how many events applied."""
        await self.prepare()
        before = self.applied
        if self.stale:
            await self.upgrade()
        if self.superseded:
            return 0
        await self._consume(follow=False)
        return self.applied - before

    async def _consume(self, *, follow: bool) -> None:
        consumer = self.consumers(self.projection.streams)
        async for batch in consumer.batches(self.positions, follow=follow):
            await self.handle(batch)

    async def handle(self, batch: Sequence[Delivery]) -> None:
        try:
            await self._apply(batch)
        except Superseded:
            raise
        except Exception as exc:  # one bad message must not hold the others back
            log.warning("batch of %d failed on %s (%s); retrying one by one",
                        len(batch), self.schema, exc)
            for delivery in batch:
                await self._apply_alone(delivery)

    async def _apply_alone(self, delivery: Delivery) -> None:
        failures = attempt = 0
        first_not_yet: float | None = None
        while True:
            attempt += 1
            try:
                await self._apply([delivery])
                return
            except Exception as exc:
                if isinstance(exc, Superseded):
                    raise
                if isinstance(exc, NotYet):
                    first_not_yet = first_not_yet or time.monotonic()
                    if time.monotonic() - first_not_yet > self.patience:
                        return await self._park(delivery, exc)
                if transient(exc):
                    log.warning("%s@%d on %s: %s; retrying", delivery.stream, delivery.offset,
                                self.schema, exc)
                    await asyncio.sleep(backoff(attempt))
                    continue
                failures += 1
                if failures >= self.dead_letter_after:
                    return await self._park(delivery, exc)
                await asyncio.sleep(0.05 * failures)

    async def _apply(self, batch: Sequence[Delivery]) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", self.schema)
            stored = await self._stored_positions(conn, {d.stream for d in batch},
                                                  check_version=True)
            fresh = [d for d in batch if d.offset > stored.get(d.stream, -1)]
            if not fresh:
                return
            decoded = [d.decode() for d in fresh]
            events = await self._unapplied(decoded, conn)
            # A Kafka stream is '<topic>:<partition>'; a log's is the service's name.
            topics = {e.id: d.stream.rpartition(":")[0] for d, e in zip(fresh, decoded,
                                                                       strict=True)
                      if ":" in d.stream}
            spans = telemetry.start_processing(self.schema, events, topics)
            try:
                if events:
                    await self.projection.apply(conn, self._q, events)
                    await self._record_versions(conn, events)
                await self._record_positions(conn, fresh)
            finally:
                telemetry.end(spans)
        self.applied += len(events)

    async def _stored_positions(
        self, conn: asyncpg.Connection, streams: set[str], *, check_version: bool = False
    ) -> dict[str, int]:
        """The stored positions of `streams`. With `check_version`, in the same round trip
        (a row with no stream carries it), whether a newer version has been swapped in since
        `prepare`: then nothing may be applied (`Superseded`)."""
        query = f"SELECT stream, position FROM {self._q}.tracking WHERE stream = ANY($1::text[])"
        if check_version:
            query += f" UNION ALL SELECT NULL, version FROM {self._q}.schema_version"
        rows = await conn.fetch(query, list(streams))
        stored = {r["stream"]: r["position"] for r in rows if r["stream"] is not None}
        built = next((r["position"] for r in rows if r["stream"] is None), None)
        if built is not None and built > self.projection.version:
            self.built_version = built
            raise Superseded(f"{self.schema} was rebuilt at version {built}, newer than this "
                             f"code's {self.projection.version}")
        return stored

    async def _unapplied(
        self, events: list[Envelope], conn: asyncpg.Connection
    ) -> list[Envelope]:
        rows = await conn.fetch(
            f"SELECT subject, seq FROM {self._q}.applied_versions "
            f"WHERE subject = ANY($1::text[])",
            list({e.subject for e in events}),
        )
        last = {r["subject"]: r["seq"] for r in rows}
        keep = []
        for event in events:
            if event.seq > last.get(event.subject, 0):
                keep.append(event)
                last[event.subject] = event.seq
        return keep

    async def _record_versions(self, conn: asyncpg.Connection, events: list[Envelope]) -> None:
        latest: dict[str, int] = {}
        for e in events:
            latest[e.subject] = max(e.seq, latest.get(e.subject, 0))
        await conn.execute(
            f"INSERT INTO {self._q}.applied_versions AS a (subject, seq) "
            f"SELECT * FROM unnest($1::text[], $2::bigint[]) "
            f"ON CONFLICT (subject) DO UPDATE SET seq = GREATEST(a.seq, EXCLUDED.seq)",
            list(latest), list(latest.values()),
        )

    async def _record_positions(self, conn: asyncpg.Connection, batch: Sequence[Delivery]) -> None:
        latest: dict[str, int] = {}
        for d in batch:
            latest[d.stream] = max(d.offset, latest.get(d.stream, -1))
        await conn.execute(
            f"INSERT INTO {self._q}.tracking (stream, position) "
            f"SELECT * FROM unnest($1::text[], $2::bigint[]) "
            f"ON CONFLICT (stream) DO UPDATE SET position = EXCLUDED.position",
            list(latest), list(latest.values()),
        )

    async def _park(self, delivery: Delivery, error: Exception) -> None:
        log.error("parking %s@%d on %s: %s", delivery.stream, delivery.offset, self.schema, error)
        try:
            message = json.dumps(asdict(delivery.decode()), ensure_ascii=False)
        except Exception:  # the message may be unreadable; that is why it is here
            message = None
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", self.schema)
            stored = await self._stored_positions(conn, {delivery.stream})
            if delivery.offset <= stored.get(delivery.stream, -1):
                return
            await conn.execute(
                f"INSERT INTO {self._q}.dead_letters (stream, position, error, attempts, message)"
                f" VALUES ($1, $2, $3, $4, $5)",
                delivery.stream, delivery.offset, f"{type(error).__name__}: {error}",
                self.dead_letter_after, message,
            )
            await self._record_positions(conn, [delivery])

    async def replay(self, letter_id: int) -> str:
        """Apply a parked message now, once: the effect and the row's new state commit in one
        transaction, and a row no longer `parked` (or `replay`) is left alone. Returns the
        row's state afterwards: replayed, dropped, or unreadable (no message was kept)."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", self.schema)
            row = await conn.fetchrow(
                f"SELECT state, message FROM {self._q}.dead_letters WHERE id = $1 FOR UPDATE",
                letter_id)
            if row is None:
                raise LookupError(f"no dead letter {letter_id} in {self.schema}")
            if row["state"] not in ("parked", "replay"):
                return row["state"]
            if row["message"] is None:
                return "unreadable"
            envelope = Envelope(**json.loads(row["message"]))
            await self.projection.apply(conn, self._q, [envelope])
            await self._record_versions(conn, [envelope])
            await conn.execute(f"UPDATE {self._q}.dead_letters SET state = 'replayed', "
                               f"resolved_at = now() WHERE id = $1", letter_id)
        log.info("replayed dead letter %d on %s", letter_id, self.schema)
        return "replayed"

    async def replay_requested(self) -> int:
        """Replay what operators asked for from outside this process (`gongzhi dead-letters
        replay` marks rows `replay`). Not into a schema of another version."""
        if self.stale or self.superseded:
            return 0
        ids = await self.pool.fetch(
            f"SELECT id FROM {self._q}.dead_letters WHERE state = 'replay' ORDER BY id")
        for r in ids:
            await self.replay(r["id"])
        return len(ids)


@contextlib.asynccontextmanager
async def running(
    projections: Sequence[Projection],
    pool: asyncpg.Pool,
    consumers_for: Callable[[str], ConsumerFactory],
    *,
    dead_letter_after: int = 3,
    patience: float = 600.0,
) -> AsyncIterator[list[ProjectionRunner]]:
    """Run each projection in its own supervised task for the life of the block;
    `consumers_for(schema)` gives each its consumers (on Kafka, its own group)."""
    runners = [
        ProjectionRunner(p, pool, consumers_for(p.schema), dead_letter_after=dead_letter_after,
                         patience=patience)
        for p in projections
    ]
    for runner in runners:
        await runner.prepare()  # read routes find their tables from the first request on
    tasks = [asyncio.create_task(r.run(), name=f"projection:{r.schema}") for r in runners]
    try:
        yield runners
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
