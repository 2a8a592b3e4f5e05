"""What every aggregate stands on, and nothing else: the domain layer imports only the
standard library, `eventsourcing.domain` and pure modules like this one (shared.errors,
shared.tiers, shared.roles), never the event store's infrastructure (database, batching,
telemetry). tests/unit/test_domain_purity.py holds every domain module to that."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate

# Who did it and in which trace: the actor, and the W3C `traceparent` once tracing is on.
Meta = dict[str, Any]


class TieredAggregate(Aggregate):
    """Every Gongzhi aggregate: each of its events says where (`tier`, a node path, for
    roll-ups and the CloudEvents `tier` extension) and who and in which trace (`meta`).
    Each aggregate still declares its own `TOPIC` and `Created(...).TOPIC`, as eventsourcing
    requires of explicit topics."""

    class Event(Aggregate.Event):
        tier: str
        meta: Meta
