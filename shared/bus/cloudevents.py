"""CloudEvents 1.0 in Kafka binary content mode: attributes in `ce_*` headers, the event's
data as the JSON body, the aggregate id as the key (so one aggregate's events share a
partition and stay in order). A stock CloudEvents SDK, or kcat, reads every message."""

from __future__ import annotations

import json
from collections.abc import Sequence

from shared.bus.envelope import Envelope

Headers = list[tuple[str, bytes]]
CONTENT_TYPE = b"application/json"


def topic_for(service: str, namespace: str = "gongzhi") -> str:
    return f"{namespace}.{service}"


def to_kafka(e: Envelope) -> tuple[bytes, bytes, Headers]:
    headers: Headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", e.id.encode()),
        ("ce_source", e.source.encode()),
        ("ce_type", e.type.encode()),
        ("ce_subject", e.subject.encode()),
        ("ce_time", e.time.encode()),
        ("ce_seq", str(e.seq).encode()),
        ("content-type", CONTENT_TYPE),
    ]
    if e.tier:
        headers.append(("ce_tier", e.tier.encode()))
    if e.traceparent:
        headers.append(("ce_traceparent", e.traceparent.encode()))
    if departments := concerned_departments(e.data):
        headers.append(("ce_departments", ",".join(departments).encode()))
    body = json.dumps(e.data, ensure_ascii=False, separators=(",", ":")).encode()
    return e.subject.encode(), body, headers


def concerned_departments(data: dict) -> list[str]:
    """The `departments` extension: which departments an event concerns (a whistle's
    summoned departments, or the one that reported in, completed or was overdue), so a
    department's consumer can filter on a header without reading bodies."""
    if isinstance(data.get("departments"), list):
        return [str(d) for d in data["departments"]]
    if isinstance(data.get("department"), str):
        return [data["department"]]
    return []


def from_kafka(headers: Sequence[tuple[str, bytes]], value: bytes | None) -> Envelope:
    """Raises ValueError (or KeyError) on a message that is not one of our CloudEvents."""
    h = {k: v.decode() for k, v in headers if k.startswith("ce_") or k == "content-type"}
    if h.get("ce_specversion") != "1.0":
        raise ValueError(f"not a CloudEvents 1.0 message (specversion {h.get('ce_specversion')!r})")
    data = json.loads(value or b"null")
    if not isinstance(data, dict):
        raise ValueError("the body is not a JSON object")
    return Envelope(
        id=h["ce_id"],
        source=h["ce_source"],
        type=h["ce_type"],
        subject=h["ce_subject"],
        time=h["ce_time"],
        seq=int(h["ce_seq"]),
        tier=h.get("ce_tier"),
        data=data,
        traceparent=h.get("ce_traceparent"),
    )
