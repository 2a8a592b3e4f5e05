"""One CloudEvents 1.0 encoder for every channel, so an event reads the same wherever it
arrives: Kafka in binary content mode (attributes in `ce_*` headers, the data as the JSON
body, the aggregate id as the key so one aggregate's events share a partition and stay in
order), webhooks and server-sent events in structured mode (`application/cloudevents+json`:
the attributes and the data in one JSON object). A stock CloudEvents SDK, or kcat, reads
each of them into the same attributes and data.

The attributes: id, source, type, subject, time, and the extensions `seq` (the aggregate
version), `tier` (the node path), `traceparent` (W3C trace context, so a department's trace
continues from ours) and `departments` (comma-separated codes of the departments the event
concerns, for a header filter without reading bodies). Extension values are strings on
every channel, as binary mode must carry them, so the SDK parses one event alike everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from contracts import REGISTRY, ContractError, payload, upcast
from shared.bus.envelope import Envelope

Headers = list[tuple[str, bytes]]
CONTENT_TYPE = "application/json"
STRUCTURED = "application/cloudevents+json"

def topic_for(service: str, namespace: str = "gongzhi") -> str:
    return f"{namespace}.{service}"


def concerned_departments(e: Envelope) -> list[str]:
    """The `departments` extension: set exactly on the events whose contract concerns
    departments (contracts/: every whistle event, an issue assigned to a department, an issue
    on which a whistle summoned departments), as docs/subscribing.md lists them; each
    payload says which. Other events that merely carry a `department` field (a webhook
    registered, a role assigned) concern no department's work."""
    contract = REGISTRY.get(e.type)
    if contract is None or not contract.concerns_departments:
        return []
    try:
        return [str(code) for code in payload(e).departments_concerned()]
    except ContractError:
        return []  # an event that does not meet its contract is nobody's to filter on


def attributes(e: Envelope) -> dict[str, str]:
    """The context attributes of an event, the same on every channel; absent ones omitted."""
    out = {"specversion": "1.0", "id": e.id, "source": e.source, "type": e.type,
           "subject": e.subject, "time": e.time, "seq": str(e.seq)}
    if e.tier:
        out["tier"] = e.tier
    if e.traceparent:
        out["traceparent"] = e.traceparent
    if departments := concerned_departments(e):
        out["departments"] = ",".join(departments)
    return out


def to_kafka(e: Envelope) -> tuple[bytes, bytes, Headers]:
    """Binary content mode: (key, value, headers)."""
    headers: Headers = [(f"ce_{k}", v.encode()) for k, v in attributes(e).items()]
    headers.append(("content-type", CONTENT_TYPE.encode()))
    body = json.dumps(e.data, ensure_ascii=False, separators=(",", ":")).encode()
    return e.subject.encode(), body, headers


def to_structured(e: Envelope) -> str:
    """Structured content mode, for HTTP (webhooks, SSE): one JSON object."""
    body: dict[str, Any] = {**attributes(e), "datacontenttype": CONTENT_TYPE, "data": e.data}
    return json.dumps(body, ensure_ascii=False)


def unreadable_headers(originator_id: str, version: int, topic: str, service: str,
                       time: str) -> Headers:
    """A stored event that cannot be read goes to the dead-letter topic as a CloudEvent
    with the attributes known without decoding it, so it can be found by id."""
    return [("ce_specversion", b"1.0"), ("ce_id", f"{originator_id}/{version}".encode()),
            ("ce_source", f"/gongzhi/{service}".encode()), ("ce_type", topic.encode()),
            ("ce_subject", originator_id.encode()), ("ce_time", time.encode()),
            ("ce_seq", str(version).encode()),
            ("content-type", b"application/octet-stream")]  # the stored bytes, as they are


def from_kafka(headers: Sequence[tuple[str, bytes]], value: bytes | None) -> Envelope:
    """Raises ValueError (or KeyError) on a message that is not one of our CloudEvents."""
    h = {k: v.decode() for k, v in headers if k.startswith("ce_") or k == "content-type"}
    if h.get("ce_specversion") != "1.0":
        raise ValueError(f"not a CloudEvents 1.0 message (specversion {h.get('ce_specversion')!r})")
    data = json.loads(value or b"null")
    if not isinstance(data, dict):
        raise ValueError("the body is not a JSON object")
    # The relay publishes current versions (from_stored upcasts); a message an older relay
    # published may still carry an old one, and every consumer reads only current types.
    current, data = upcast(h["ce_type"], data, h["ce_time"])
    return Envelope(
        id=h["ce_id"],
        source=h["ce_source"],
        type=current,
        subject=h["ce_subject"],
        time=h["ce_time"],
        seq=int(h["ce_seq"]),
        tier=h.get("ce_tier"),
        data=data,
        traceparent=h.get("ce_traceparent"),
    )
