"""Each service's write side is one eventsourcing Application in its own PostgreSQL schema.

The Application's `name` is the service name, so its log is `<service>.<service>_events`
and its NOTIFY channel `<service>_events`: the embedded transport follows exactly that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError

from shared import idempotency, telemetry
from shared.auth import Principal
from shared.batching import BatchingWriter
from shared.db import bound_store_pool, ensure_schema, eventsourcing_env
from shared.errors import Conflict

A = TypeVar("A", bound=Application)

Ag = TypeVar("Ag")
R = TypeVar("R")

# While a reaction runs, its commands' new events are held here instead of stored: the
# reaction stores them itself, in the transaction that also records its position
# (shared/reactions.py). A context variable, so only the reaction's own calls (and the
# worker threads they run in, which copy the context) are affected, not concurrent requests.
_held: ContextVar[list[tuple[ServiceApplication, list[Any]]] | None] = ContextVar(
    "gongzhi_held_events", default=None)


class ServiceApplication(Application[UUID]):
    """A service's Application whose concurrent saves share transactions (see batching)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        datastore = getattr(self.recorder, "datastore", None)
        if datastore is not None:  # PostgreSQL (tests of the domain may use POPO)
            bound_store_pool(datastore)
            _one_attempt(self.recorder, "insert_events", "select_events")
        self.writer = BatchingWriter(self._save_events, name=f"{self.name}-writer")

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        if kwargs:
            return super().save(*objs, **kwargs)
        events: list[Any] = []
        for obj in objs:
            if isinstance(obj, DomainEventProtocol):
                events.append(obj)
            elif obj is not None:
                events.extend(obj.collect_events())
        if not events:
            return []
        if (held := _held.get()) is not None:
            held.append((self, events))
            return []
        with telemetry.span(f"{self.name} store append", events=len(events)):
            return self.writer.submit(events)

    def change_and_save(self, load: Callable[[], Ag], change: Callable[[Ag], R], what: str,
                        attempts: int = 3) -> tuple[Ag, R]:
        """Load, change, save. If a concurrent writer moved the aggregate on between our
        load and save, reload and ask it again, so its rules judge the newer state (and only
        the successful attempt's result counts). 409 once `attempts` are spent."""
        for _ in range(attempts):
            aggregate = load()
            if self.done_before(aggregate):  # a retry of a command that committed: no change
                return aggregate, None
            result = change(aggregate)
            try:
                # A tuple of aggregates (a merge changes two) is saved in one transaction.
                self.save(*(aggregate if isinstance(aggregate, tuple) else (aggregate,)))
                return aggregate, result
            except IntegrityError:
                continue
        raise Conflict(f"{what} kept changing while this command ran; try again")

    def done_before(self, aggregate: Any) -> bool:
        """Whether this request's Idempotency-Key already changed the aggregate (the first
        of a tuple), in its latest LOOK_BACK events (shared/idempotency.py)."""
        if idempotency.current() is None:
            return False
        first = aggregate[0] if isinstance(aggregate, tuple) else aggregate
        return idempotency.done_before(self.repository.event_store.get(
            first.id, desc=True, limit=idempotency.LOOK_BACK))

    def created_before(self, aggregate_id: UUID | None) -> Any | None:
        """What a committed earlier attempt of this request created under `aggregate_id`
        (an id derived from its Idempotency-Key), or None; 409 if another request used it."""
        if aggregate_id is None or idempotency.current() is None:
            return None
        try:
            found = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found if self.done_before(found) else None

    def take_snapshot(self, *args: Any, **kwargs: Any) -> None:
        """A snapshot of events still held for a reaction's transaction cannot be taken
        yet (they are not stored); a snapshot is only a cache, the next one will do."""
        if _held.get() is None:
            super().take_snapshot(*args, **kwargs)

    def _save_events(self, events: list[Any]) -> Any:
        return super().save(*events)

    def close(self) -> None:
        self.writer.stop()
        super().close()


@contextmanager
def holding_events() -> Iterator[list[tuple[ServiceApplication, list[Any]]]]:
    """Within the block, saves hold their events (with the application that made them) in
    the list yielded, rather than store them."""
    held: list[tuple[ServiceApplication, list[Any]]] = []
    token = _held.set(held)
    try:
        yield held
    finally:
        _held.reset(token)


def _one_attempt(recorder: Any, *methods: str) -> None:
    """eventsourcing retries a failed insert or read ten times, 0.2 s apart plus each wait for
    a connection: with PostgreSQL down, a command was stored many seconds after its request
    had been answered 503. Here each call makes one attempt: a stale pooled connection is
    already replaced by the pool's pre-ping, and the client retries, knowing the outcome."""
    for name in methods:
        method = getattr(type(recorder), name)
        if (plain := getattr(method, "__wrapped__", None)) is not None:
            setattr(recorder, name, plain.__get__(recorder))


def open_application(app_class: type[A], database_url: str, **kwargs: object) -> A:
    ensure_schema(database_url, app_class.name)
    return app_class(env=eventsourcing_env(database_url, schema=app_class.name), **kwargs)


def meta(principal: Principal) -> dict[str, object]:
    """Who did it, the trace it belongs to and the request's Idempotency-Key: stored with
    every event."""
    out: dict[str, object] = {"actor": principal.as_actor()}
    if traceparent := telemetry.current_traceparent():
        out["traceparent"] = traceparent
    if command := idempotency.current():
        out["idempotency"] = command.stamp(principal.sub)
    return out


# Bookkeeping and secrets that a history shown to people leaves out.
_NOT_SHOWN = {"originator_id", "originator_version", "timestamp", "originator_topic", "meta",
              "tier", "contact_sealed", "secret_sealed", "fingerprint"}


def history(app: Application, aggregate_id: UUID) -> list[dict[str, Any]]:
    """Who did what, when: every stored event of one aggregate, oldest first."""
    return [
        {
            "seq": e.originator_version,
            "type": type(e).TOPIC,
            "at": e.timestamp.isoformat(),
            "by": e.meta.get("actor"),
            "data": {k: v for k, v in e.__dict__.items() if k not in _NOT_SHOWN},
        }
        for e in app.repository.event_store.get(aggregate_id)
    ]
