"""The public shape of a domain event, the same on every transport.

A stored event's topic *is* its public type (`gongzhi.issue.raised.v1`): aggregates declare
explicit topics, so moving a class never breaks the log or the wire. Fields meant for the
service alone (sealed contact details, bookkeeping) never leave it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from contracts import upcast

# Bookkeeping eventsourcing keeps in every event, and what we lift into envelope attributes.
# `class_version` is eventsourcing's own: an aggregate event class's version, stored so that the
# aggregate upcasts older states when it rehydrates (the public type carries ours).
_LIFTED = {"originator_id", "originator_version", "timestamp", "originator_topic", "tier", "meta",
           "class_version"}
# Never published: only the owning service, reading its own store, uses these. The request
# fingerprint hashes the contact details too, and with the other fields public a phone
# number could be recovered from it by trying them all.
PRIVATE_FIELDS = {"contact_sealed", "secret_sealed", "fingerprint"}


@dataclass(frozen=True, slots=True)
class Envelope:
    id: str  # stable for the stored event: redelivery keeps it
    source: str  # /gongzhi/<service>
    type: str  # gongzhi.<aggregate>.<event>.v<N>
    subject: str  # the aggregate id
    time: str  # ISO 8601, UTC
    seq: int  # the aggregate version
    tier: str | None  # the node path the event happened at
    data: dict[str, Any]
    traceparent: str | None = None

    @property
    def service(self) -> str:
        return self.source.rsplit("/", 1)[-1]


def business_time(e: Envelope) -> datetime:
    """When it happened in the world: the event's `at` (the emitting service's clock);
    events stored before `at` was added fall back to when they were stored."""
    return datetime.fromisoformat(e.data.get("at") or e.time)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message as a transport hands it over: where it sits, and how to read it.

    Decoding is deferred so that a message that cannot be read fails inside the projection
    runner, which parks it in the dead-letter table instead of stalling the stream.
    """

    stream: str
    offset: int
    decode: Callable[[], Envelope] = field(compare=False)


def _plain(obj: dict[str, Any]) -> Any:
    # eventsourcing's JSON transcoder wraps uuids, datetimes and decimals as
    # {"_type_": ..., "_data_": <str>}; on the wire they are their string forms.
    if "_type_" in obj and "_data_" in obj and len(obj) == 2:
        return obj["_data_"]
    return obj


def from_stored(
    service: str, originator_id: str, version: int, topic: str, state: bytes
) -> Envelope:
    """The public envelope of a stored event, in its current version: the one step of
    decoding that the embedded transport, the Kafka relay and the operators' tools share,
    so an event stored as v1 reads as v2 everywhere (contracts.upcast)."""
    body = json.loads(state, object_hook=_plain)
    meta = body.get("meta") or {}
    data = {k: v for k, v in body.items() if k not in _LIFTED and k not in PRIVATE_FIELDS}
    if "actor" in meta:
        data["actor"] = meta["actor"]
    current, data = upcast(topic, data, body["timestamp"])
    return Envelope(
        id=f"{originator_id}/{version}",
        source=f"/gongzhi/{service}",
        type=current,
        subject=str(originator_id),
        time=body["timestamp"],
        seq=version,
        tier=body.get("tier"),
        data=data,
        traceparent=meta.get("traceparent"),
    )
