"""The generator's every shape (Kafka channels, dead letters, the department's webhook and
stream, the department filter) passes the AsyncAPI parser, and the harness does fail a
broken document. A small registry of its own keeps this independent of the real contracts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypedDict

from contracts.asyncapi import document
from shared.bus.cloudevents import to_kafka
from shared.bus.envelope import Envelope
from tests.asyncapi.parser import errors


class Assignee(TypedDict):
    kind: Literal["grid_worker", "department"]
    id: str


@dataclass(frozen=True, kw_only=True)
class Assigned:
    assignee: Assignee
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Blown:
    node: str
    departments: list[str]
    summons: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Contract:
    type: str
    version: int
    service: str
    aggregate: str
    summary: str
    concerns_departments: bool
    payload: type
    upcast_from: Any = ()


REGISTRY = {c.type: c for c in [
    Contract(type="gongzhi.issue.assigned.v2", version=2, service="issues", aggregate="Issue",
             summary="assigned", concerns_departments=True, payload=Assigned,
             upcast_from=("gongzhi.issue.assigned.v1",)),
    Contract(type="gongzhi.whistle.blown.v1", version=1, service="grid", aggregate="Whistle",
             summary="blown", concerns_departments=True, payload=Blown),
    Contract(type="gongzhi.node.renamed.v1", version=1, service="grid", aggregate="Node",
             summary="renamed", concerns_departments=False, payload=Assigned),
]}
DOC = document(REGISTRY, namespace="city")


def test_every_shape_passes_the_asyncapi_parser_and_a_broken_document_does_not(
        tmp_path: Path) -> None:
    broken = {**DOC, "operations": {**DOC["operations"], "receive_issues": {
        **DOC["operations"]["receive_issues"],
        "messages": [{"$ref": "#/channels/grid/messages/gongzhi.whistle.blown.v1"}]}}}
    found = errors({"generated": DOC, "broken": broken}, tmp_path)
    assert found["generated"] == []
    assert "asyncapi3-operation-messages-from-referred-channel" in {
        e["code"] for e in found["broken"]}, "the harness would pass anything"


def test_channels_are_the_topics_and_their_dead_letters() -> None:
    addresses = {c["address"] for c in DOC["channels"].values()}
    assert {"city.issues", "city.grid", "city.issues.dead-letters",
            "city.grid.dead-letters"} <= addresses
    assert set(DOC["channels"]["grid"]["messages"]) == {"gongzhi.whistle.blown.v1",
                                                         "gongzhi.node.renamed.v1"}
    assert all(o["action"] == "receive" for o in DOC["operations"].values())


def test_only_messages_that_concern_departments_offer_the_departments_header() -> None:
    messages = DOC["components"]["messages"]
    assert "ce_departments" in messages["gongzhi.whistle.blown.v1"]["headers"]["properties"]
    assert "ce_departments" not in messages["gongzhi.node.renamed.v1"]["headers"]["properties"]
    assert messages["gongzhi.whistle.blown.v1"]["x-concerns-departments"] is True
    assert "gongzhi.issue.assigned.v1" in messages["gongzhi.issue.assigned.v2"]["description"]


def test_the_webhook_and_stream_carry_the_whistle_events_in_structured_mode() -> None:
    for channel in ("department_webhook", "department_stream"):
        assert set(DOC["channels"][channel]["messages"]) == {
            "structured.gongzhi.whistle.blown.v1"}
    message = DOC["components"]["messages"]["structured.gongzhi.whistle.blown.v1"]
    assert message["contentType"] == "application/cloudevents+json"
    assert message["payload"]["properties"]["data"] == {
        "$ref": "#/components/schemas/gongzhi.whistle.blown.v1"}


def test_nested_types_are_written_once_and_referred_to() -> None:
    schemas = DOC["components"]["schemas"]
    assert schemas["gongzhi.issue.assigned.v2"]["properties"]["assignee"] == {
        "$ref": "#/components/schemas/Assignee"}
    assert schemas["Assignee"]["required"] == ["kind", "id"]


def test_the_headers_schema_matches_what_the_encoder_sends() -> None:
    """The document describes shared/bus/cloudevents.py; this catches the two drifting."""
    envelope = Envelope(id="w1/1", source="/gongzhi/grid", type="gongzhi.whistle.blown.v1",
                        subject="w1", time="2026-11-30T00:00:00+00:00", seq=1,
                        tier="km.guandu.taihe", traceparent="00-" + "a" * 32 + "-" + "b" * 16
                        + "-01", data={  # a whole payload: its contract names the departments
                            "node": "km.guandu.taihe", "situation": "law_enforcement",
                            "title": "t", "issue_id": None, "departments": ["km-cgj"],
                            "summons": {"km-cgj": "2026-11-30T01:00:00+00:00"},
                            "mode": "daily", "at": "2026-11-30T00:00:00+00:00"})
    _, _, headers = to_kafka(envelope)
    schema = DOC["components"]["messages"]["gongzhi.whistle.blown.v1"]["headers"]
    sent = {name for name, _ in headers}
    assert sent <= set(schema["properties"]), sent - set(schema["properties"])
    assert set(schema["required"]) <= sent
    assert "ce_departments" in sent
    for name, value in headers:
        rule = schema["properties"][name]
        if "$ref" in rule:
            rule = DOC["components"]["schemas"][rule["$ref"].rsplit("/", 1)[1]]
        if "const" in rule:
            assert value.decode() == rule["const"], name
        if "pattern" in rule:
            assert re.search(rule["pattern"], value.decode()), (name, value)
