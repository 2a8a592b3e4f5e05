"""One encoder, every channel: the same event read by the stock CloudEvents SDK from a Kafka
message (binary mode) and from an HTTP body (structured mode, what webhooks and the SSE
stream send) has the same attributes and data, trace context and `departments` included;
`departments` is set exactly on the events that concern departments."""

from __future__ import annotations

import json

import pytest
from cloudevents.v1.http import from_http
from cloudevents.v1.kafka import KafkaMessage, from_binary

from contracts import Payload
from contracts.grid import (
    DepartmentRegistered,
    DepartmentWebhookRegistered,
    PersonRoleAssigned,
    WhistleBlown,
    WhistleClosed,
    WhistleDepartmentCompleted,
    WhistleDepartmentReported,
    WhistleOverdue,
)
from contracts.issues import IssueAssigned, IssueTriaged, IssueWhistled
from shared.bus.cloudevents import (
    STRUCTURED,
    attributes,
    concerned_departments,
    to_kafka,
    to_structured,
    unreadable_headers,
)
from shared.bus.envelope import Envelope

TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


AT = "2026-11-29T08:00:00+00:00"


def envelope(type_: str, data: dict, traceparent: str | None = TRACE) -> Envelope:
    return Envelope(id="w-1/3", source="/gongzhi/grid", type=type_, subject="w-1",
                    time="2026-11-29T08:00:00+00:00", seq=3, tier="km.guandu.taihe",
                    data=data, traceparent=traceparent)


def read_kafka(e: Envelope):
    key, value, headers = to_kafka(e)
    return from_binary(KafkaMessage(headers=dict(headers), key=key, value=value),
                       data_unmarshaller=json.loads)


def read_http(e: Envelope):
    return from_http({"content-type": f"{STRUCTURED}; charset=utf-8"}, to_structured(e))


def test_kafka_and_http_read_alike() -> None:
    e = envelope(WhistleBlown.TYPE, WhistleBlown(
        node="km.guandu.taihe", situation="law_enforcement", title="联合执法", issue_id=None,
        departments=["km-cgj", "km-gaj"], summons={"km-cgj": AT, "km-gaj": AT}, mode="daily",
        at=AT).to_data())
    kafka, http = read_kafka(e), read_http(e)
    from_kafka = {k: v for k, v in kafka.get_attributes().items()
                  if k != "partitionkey"}  # the Kafka binding's own mapping of the key
    assert from_kafka == http.get_attributes()
    assert kafka.data == http.data == e.data
    assert http.get_attributes() == {
        "specversion": "1.0", "id": "w-1/3", "source": "/gongzhi/grid",
        "type": "gongzhi.whistle.blown.v1", "subject": "w-1",
        "time": "2026-11-29T08:00:00+00:00", "datacontenttype": "application/json",
        "seq": "3", "tier": "km.guandu.taihe", "traceparent": TRACE,
        "departments": "km-cgj,km-gaj"}
    assert kafka["partitionkey"] == b"w-1"


def test_absent_extensions_are_left_out_everywhere() -> None:
    e = envelope("gongzhi.node.renamed.v1", {"name": "新名"}, traceparent=None)
    for event in (read_kafka(e), read_http(e)):
        assert "traceparent" not in event.get_attributes()
        assert "departments" not in event.get_attributes()


@pytest.mark.parametrize(("p", "departments"), [
    (WhistleBlown(node="km.guandu.taihe", situation="law_enforcement", title="t",
                  issue_id=None, departments=["km-cgj", "km-gaj"],
                  summons={"km-cgj": AT, "km-gaj": AT}, mode="daily", at=AT),
     ["km-cgj", "km-gaj"]),
    (WhistleClosed(at=AT, departments=["km-gaj"]), ["km-gaj"]),
    (WhistleDepartmentReported(department="km-gaj", at=AT, late=False, note=""), ["km-gaj"]),
    (WhistleDepartmentCompleted(department="km-gaj", at=AT, outcome=""), ["km-gaj"]),
    (WhistleOverdue(department="km-cgj", deadline=AT, supervisor="km.guandu", at=AT),
     ["km-cgj"]),
    (IssueWhistled(whistle_id="w-1", departments=["km-gaj"], at_node="km.guandu.taihe"),
     ["km-gaj"]),
    (IssueAssigned(assignee={"kind": "department", "id": "km-cgj", "name": "城管"}, note=""),
     ["km-cgj"]),
    # A `department` field alone concerns no department's work:
    (IssueAssigned(assignee={"kind": "grid_worker", "id": "g-1", "name": ""}, note=""), []),
    (DepartmentWebhookRegistered(hook_id="h", department="km-gaj", url="https://x"), []),
    (PersonRoleAssigned(staff_id="s", role="department_staff", node="km", department="km-gaj",
                        at=AT), []),
    (IssueTriaged(category="c", level="street", handling_node="km", departments=["km-cgj"],
                  ack_by=AT, resolve_by=AT, mode="daily", reason="", at=AT), []),
    (DepartmentRegistered(code="km-gaj", name="", kind="", categories=[], jurisdiction=[]),
     []),
], ids=lambda v: v.TYPE if hasattr(v, "TYPE") else str(v))
def test_departments_is_set_exactly_on_what_concerns_departments(
        p: Payload, departments: list[str]) -> None:
    e = envelope(p.TYPE, p.to_data())
    assert concerned_departments(e) == departments
    assert attributes(e).get("departments") == (",".join(departments) or None)


def test_a_whistle_event_short_of_its_contract_names_no_department() -> None:
    assert concerned_departments(envelope(WhistleOverdue.TYPE, {"department": "km-cgj"})) == []


def test_an_unreadable_event_still_carries_its_identity() -> None:
    headers = dict(unreadable_headers("w-1", 3, "gongzhi.whistle.blown.v1", "grid",
                                      "2026-11-29T08:00:00+00:00"))
    assert headers["ce_id"] == b"w-1/3" and headers["ce_source"] == b"/gongzhi/grid"
    assert headers["ce_time"] == b"2026-11-29T08:00:00+00:00"
    assert headers["ce_type"] == b"gongzhi.whistle.blown.v1" and headers["ce_seq"] == b"3"
    assert headers["content-type"] == b"application/octet-stream"
    event = from_binary(KafkaMessage(headers=headers, key=b"w-1", value=b"\x00not json"),
                        data_unmarshaller=lambda raw: raw)
    assert event["id"] == "w-1/3" and event.data == b"\x00not json"
