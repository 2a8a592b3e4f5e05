"""The AsyncAPI 3.0 document of every public event, generated from the contracts registry,
so what integrators read is what the code decodes (docs/asyncapi.md).

It describes a consumer of Gongzhi's events (a department's system, an integrator): every
operation is a `receive`.
- Kafka: one channel per service's topic `<namespace>.<service>` and one per its
  `<topic>.dead-letters`; each event is a CloudEvent in binary content mode (the `ce_*`
  headers, extensions `seq`, `tier`, `traceparent`, `departments`; the body is `data`);
- HTTP, the grid's whistle events as departments receive them: signed webhook POSTs and the
  department's server-sent-events stream, both structured mode
  (`application/cloudevents+json`). AsyncAPI 3 has no SSE binding: the stream is an `http`
  channel received by `GET`, each SSE message's `data:` line one structured CloudEvent.

The attributes and which events carry `departments` are the encoder's
(shared/bus/cloudevents.py); this module only describes them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from contracts import SERVICES
from contracts.schema import Definitions, Schema, payload_schema
from shared.bus.cloudevents import CONTENT_TYPE, STRUCTURED, topic_for

ASYNCAPI_VERSION = "3.0.0"
DOCUMENT_VERSION = "1.0.0"  # of the document's shape; each message has its own version
KAFKA_BINDING = "0.5.0"
HTTP_BINDING = "0.3.0"
# The events a department's webhooks and SSE stream carry: the grid's whistle events, as
# services/grid/webhooks.py and the `feed` of services/grid/projections/whistles.py select them.
DEPARTMENT_FEED = "gongzhi.whistle."

DEPARTMENTS_NOTE = (
    "The department filter: `departments` (comma-separated department codes) is set exactly "
    "on the events that concern departments' work — every `gongzhi.whistle.*` event (the "
    "summoned departments, or the one that reported in, completed or went overdue), "
    "`gongzhi.issue.whistled.v1`, and `gongzhi.issue.assigned.v1` when `assignee.kind` is "
    "`department`. Events that merely name a department (a webhook registered, a role "
    "assigned) carry none, so a consumer keeping the messages whose `departments` contains "
    "its code gets its work and nothing else, without reading bodies. Messages that may carry "
    "it are marked `x-concerns-departments: true`.")

def _attributes() -> dict[str, Schema]:
    """The CloudEvents context attributes, by name without the binary-mode `ce_` prefix.
    Extension values are strings on every channel (shared/bus/cloudevents.py)."""
    return {
        "specversion": {"type": "string", "const": "1.0"},
        "id": {"type": "string", "description": "`<aggregate id>/<version>`: the same on a "
               "redelivery; deduplicate on it (delivery is at least once)"},
        "source": {"type": "string", "pattern": "^/gongzhi/[a-z_]+$",
                   "description": "`/gongzhi/<service>`"},
        "type": {"type": "string", "description": "the contract's type, e.g. "
                 "`gongzhi.issue.raised.v1`"},
        "subject": {"type": "string", "description": "the aggregate id (also the Kafka key)"},
        "time": {"type": "string", "format": "date-time",
                 "description": "when it was stored (RFC 3339, UTC)"},
        "seq": {"type": "string", "pattern": "^[0-9]+$",
                "description": "extension: the aggregate version, as a string"},
        "tier": {"type": "string", "description": "extension: the tier node path the event "
                 "happened at, e.g. `km.guandu.taihe`; absent when none"},
        "traceparent": {"type": "string", "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}"
                        "-[0-9a-f]{2}$", "description": "extension (distributed tracing): W3C "
                        "trace context, when the event was traced; continue the trace in yours"},
        "departments": {"type": "string", "pattern": "^[^,]+(,[^,]+)*$",
                        "description": "extension: " + DEPARTMENTS_NOTE},
    }


_REQUIRED = ["specversion", "id", "source", "type", "subject", "time", "seq"]
_OPTIONAL = ["tier", "traceparent", "departments"]


def _attribute_key(name: str) -> str:
    return f"cloudevents.{name}"


def _attribute_ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{_attribute_key(name)}"}


def document(registry: Mapping[str, Any] | None = None, *, services: Iterable[str] | None = None,
             namespace: str = "gongzhi", bootstrap: str = "127.0.0.1:9092",
             grid_http: str = "127.0.0.1:8002") -> dict[str, Any]:
    """The AsyncAPI document of `registry` (default `contracts.REGISTRY`), for all services or
    only `services` (each service serves its own channel's document at /asyncapi.json)."""
    if registry is None:
        from contracts import REGISTRY  # every contract, registered by the package

        registry = REGISTRY
    wanted = set(services) if services is not None else None
    by_service: dict[str, list[Any]] = {}
    for key in sorted(registry):
        contract = registry[key]
        if wanted is None or contract.service in wanted:
            by_service.setdefault(contract.service, []).append(contract)
    order = sorted(by_service, key=lambda s: (SERVICES.index(s)
                                               if s in SERVICES else len(SERVICES), s))
    doc: dict[str, Any] = {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:gongzhi:events",
        "info": _info(order),
        "defaultContentType": CONTENT_TYPE,
        "servers": {"kafka": {
            "host": bootstrap, "protocol": "kafka",
            "description": "the brokers (`GONGZHI_KAFKA_BOOTSTRAP`); topics are named "
                           f"`<namespace>.<service>`, here namespace `{namespace}` "
                           "(`GONGZHI_KAFKA_NAMESPACE`)"}},
        "channels": {}, "operations": {},
        "components": {"schemas": {_attribute_key(n): schema
                                   for n, schema in _attributes().items()}, "messages": {}},
    }
    definitions = Definitions()  # the payloads' nested types (Actor, …), each written once
    for service in order:
        _kafka_channel(doc, service, by_service[service], namespace, definitions)
        _dead_letter_channel(doc, service, namespace)
    doc["components"]["schemas"].update(definitions.schemas)
    feed = [c for s in order for c in by_service[s] if c.type.startswith(DEPARTMENT_FEED)]
    if feed:
        _department_channels(doc, feed, grid_http)
    return doc


def render(doc: Mapping[str, Any]) -> str:
    """The committed form (docs/asyncapi.json): stable, readable, diffable."""
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _info(services: list[str]) -> dict[str, Any]:
    return {
        "title": "Gongzhi events",
        "version": DOCUMENT_VERSION,
        "description": (
            "Every public event of Gongzhi (共治) as a consumer receives it, generated from the "
            "contracts package (`contracts/`). Services: " + ", ".join(services) + ".\n\n"
            "On Kafka each event is a CloudEvents 1.0 message in binary content mode on its "
            "service's topic, keyed by the aggregate id (one aggregate's events stay in order "
            "in one partition): the attributes are `ce_*` headers, the body is the JSON `data` "
            "(the contract's payload; who did it in `actor`). Join with a consumer group of "
            "your own. "
            "Webhooks and the department stream carry the very same CloudEvent in structured "
            "mode (`application/cloudevents+json`).\n\n" + DEPARTMENTS_NOTE + "\n\n"
            "Adding an optional field keeps an event's version (ignore fields you do not "
            "know); any other change is a new version (`.v2`), and older stored events are "
            "upcast to it before they are published."),
        "license": {"name": "Apache-2.0",
                    "url": "https://www.apache.org/licenses/LICENSE-2.0"},
        "tags": [{"name": s, "description": f"events of the {s} service"} for s in services],
    }


def _channel_id(service: str) -> str:
    return _identifier(service)


def _identifier(text: str) -> str:
    """A component or channel id: AsyncAPI allows letters, digits, `.`, `-` and `_`."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


def _kafka_channel(doc: dict[str, Any], service: str, contracts: list[Any],
                   namespace: str, definitions: Definitions) -> None:
    topic = topic_for(service, namespace)
    channel = _channel_id(service)
    messages: dict[str, Any] = {}
    for contract in contracts:
        key = _identifier(contract.type)
        doc["components"]["schemas"][key] = payload_schema(contract.payload, definitions)
        doc["components"]["messages"][key] = _kafka_message(contract, key)
        messages[key] = {"$ref": f"#/components/messages/{key}"}
    doc["channels"][channel] = {
        "address": topic,
        "title": f"the {service} service's events",
        "description": f"Every event the {service} service stores, in the order of each "
                       "aggregate (the key); the relay publishes them after they are "
                       "committed, at least once.",
        "servers": [{"$ref": "#/servers/kafka"}],
        "messages": messages,
        "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING}},
    }
    doc["operations"][f"receive_{channel}"] = {
        "action": "receive",
        "channel": {"$ref": f"#/channels/{channel}"},
        "title": f"consume {topic}",
        "summary": f"Receive the {service} service's events.",
        "description": "With a consumer group of your own (not one the platform's read "
                       "models or `gongzhi subscribe` use); commit after handling, and "
                       "deduplicate on `ce_id`.",
        "tags": [{"name": service}],
        "bindings": {"kafka": {"groupId": {"type": "string"},
                               "bindingVersion": KAFKA_BINDING}},
        "messages": [{"$ref": f"#/channels/{channel}/messages/{key}"} for key in messages],
    }


def _kafka_message(contract: Any, key: str) -> dict[str, Any]:
    concerns = bool(getattr(contract, "concerns_departments", False))
    names = _REQUIRED + [n for n in _OPTIONAL if n != "departments" or concerns]
    properties = {f"ce_{n}": _attribute_ref(n) for n in names}
    properties["ce_type"] = {"type": "string", "const": contract.type}
    properties["content-type"] = {"type": "string", "const": CONTENT_TYPE}
    message = {
        "name": contract.type,
        "title": contract.type,
        "summary": contract.summary or contract.type,
        "description": _description(contract),
        "contentType": CONTENT_TYPE,
        "tags": [{"name": contract.service}],
        "headers": {"type": "object", "required": [f"ce_{n}" for n in _REQUIRED],
                    "properties": properties},
        "payload": {"$ref": f"#/components/schemas/{key}"},
        "correlationId": {"description": "the W3C trace context, when traced",
                          "location": "$message.header#/ce_traceparent"},
        "bindings": {"kafka": {"key": {"type": "string", "description": "the aggregate id "
                                       "(`ce_subject`)"},
                               "bindingVersion": KAFKA_BINDING}},
    }
    if concerns:
        message["x-concerns-departments"] = True
    else:  # the department filter's promise: this type never carries it
        message["headers"]["not"] = {"required": ["ce_departments"]}
    return message


def _description(contract: Any) -> str:
    aggregate = getattr(contract, "aggregate", None)
    aggregate = getattr(aggregate, "__name__", aggregate)
    lines = [f"Emitted by the {contract.service} service"
             + (f" ({aggregate})" if aggregate else "") + f"; version {contract.version}."]
    if getattr(contract, "concerns_departments", False):
        lines.append("Concerns departments: carries `ce_departments` (see the department "
                     "filter in the document's description).")
    older = _older_types(getattr(contract, "upcast_from", None))
    if older:
        lines.append("Stored events of " + ", ".join(f"`{t}`" for t in older)
                     + " are upcast to this version before consumers see them.")
    return " ".join(lines)


def _older_types(upcast_from: Any) -> list[str]:
    """`upcast_from` names the older versions this one is upcast from: a type string, a
    contract, or a collection or mapping of them."""
    if not upcast_from:
        return []
    if isinstance(upcast_from, str):
        return [upcast_from]
    if hasattr(upcast_from, "type") and isinstance(upcast_from.type, str):
        return [upcast_from.type]
    if isinstance(upcast_from, Mapping):
        return [str(k) for k in upcast_from]
    if isinstance(upcast_from, Iterable):
        return [t for item in upcast_from for t in _older_types(item)]
    return []


def _dead_letter_channel(doc: dict[str, Any], service: str, namespace: str) -> None:
    topic = f"{topic_for(service, namespace)}.dead-letters"
    channel = f"{_channel_id(service)}_dead_letters"
    messages = doc["components"]["messages"]
    if "unreadable" not in messages:
        names = ["specversion", "id", "source", "type", "subject", "time", "seq"]
        properties = {f"ce_{n}": _attribute_ref(n) for n in names}
        properties["ce_time"] = {"type": "string", "format": "date-time", "description":
                                 "when it was published (its stored time is inside the bytes)"}
        properties["content-type"] = {"type": "string", "const": "application/octet-stream"}
        messages["unreadable"] = {
            "name": "unreadable",
            "title": "an event the relay could not read or encode",
            "summary": "The stored event's bytes, as they are, with the attributes known "
                       "without decoding it, so it can be found by id (docs/faults.md).",
            "contentType": "application/octet-stream",
            "headers": {"type": "object", "required": [f"ce_{n}" for n in names],
                        "properties": properties},
            "payload": {"type": "string", "format": "binary"},
        }
    doc["channels"][channel] = {
        "address": topic,
        "title": f"the {service} service's dead letters",
        "description": "Stored events the relay could not read or encode; "
                       "`gongzhi dead-letters` lists and replays them.",
        "servers": [{"$ref": "#/servers/kafka"}],
        "messages": {"unreadable": {"$ref": "#/components/messages/unreadable"}},
        "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING}},
    }
    doc["operations"][f"receive_{channel}"] = {
        "action": "receive",
        "channel": {"$ref": f"#/channels/{channel}"},
        "summary": f"Receive the {service} service's unreadable events.",
        "tags": [{"name": service}],
        "messages": [{"$ref": f"#/channels/{channel}/messages/unreadable"}],
    }


def _department_channels(doc: dict[str, Any], feed: list[Any], grid_http: str) -> None:
    """Webhooks and the SSE stream: the whistle events in structured mode."""
    doc["servers"]["grid"] = {
        "host": grid_http, "protocol": "http",
        "description": "the grid service (its OpenAPI is at /openapi.json): the department "
                       "stream; send the bearer token (docs/subscribing.md)",
        "security": [{"$ref": "#/components/securitySchemes/bearer"}],
    }
    doc["servers"]["department_receiver"] = {
        "host": "{host}", "protocol": "https",
        "description": "a department's own receiver: the URL it registered with "
                       "`POST /v1/departments/{code}/webhooks` on the grid service",
        "variables": {"host": {"description": "the host of the registered URL",
                               "examples": ["cgj.example.gov.cn"]}},
    }
    doc["components"]["securitySchemes"] = {"bearer": {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "a Gongzhi token (`gongzhi token`), or the console's session cookie"}}
    messages = doc["components"]["messages"]
    refs: dict[str, Any] = {}
    for contract in feed:
        key = f"structured.{_identifier(contract.type)}"
        messages[key] = _structured_message(contract, _identifier(contract.type))
        refs[key] = {"$ref": f"#/components/messages/{key}"}
    doc["channels"]["department_webhook"] = {
        "address": None,
        "title": "a department's webhook",
        "description": "Each whistle event concerning the department is POSTed to every URL "
                       "it registered, signed (`Gongzhi-Signature`), retried with backoff "
                       "for 24 hours; answer 2xx once stored.",
        "servers": [{"$ref": "#/servers/department_receiver"}],
        "messages": refs,
    }
    doc["channels"]["department_stream"] = {
        "address": "/v1/departments/{code}/stream",
        "title": "a department's server-sent events",
        "description": "`text/event-stream`: each SSE message's `event` is the CloudEvent "
                       "`type`, its `id` the place in the department's feed (send "
                       "`Last-Event-ID` to resume after it), its `data` one structured "
                       "CloudEvent. AsyncAPI 3 has no SSE binding; this is the HTTP GET that "
                       "opens the stream.",
        "servers": [{"$ref": "#/servers/grid"}],
        "parameters": {"code": {"description": "the department's code, e.g. `km-cgj`"}},
        "messages": dict(refs),
    }
    doc["operations"]["receive_department_webhook"] = {
        "action": "receive",
        "channel": {"$ref": "#/channels/department_webhook"},
        "summary": "Receive whistle events as signed POSTs at your URL.",
        "bindings": {"http": {"method": "POST", "bindingVersion": HTTP_BINDING}},
        "messages": [{"$ref": f"#/channels/department_webhook/messages/{k}"} for k in refs],
    }
    doc["operations"]["receive_department_stream"] = {
        "action": "receive",
        "channel": {"$ref": "#/channels/department_stream"},
        "summary": "Follow whistle events live (a browser console).",
        "security": [{"$ref": "#/components/securitySchemes/bearer"}],
        "bindings": {"http": {"method": "GET", "bindingVersion": HTTP_BINDING}},
        "messages": [{"$ref": f"#/channels/department_stream/messages/{k}"} for k in refs],
    }


def _structured_message(contract: Any, data_key: str) -> dict[str, Any]:
    properties = {n: _attribute_ref(n) for n in _REQUIRED + _OPTIONAL}
    properties["type"] = {"type": "string", "const": contract.type}
    properties["datacontenttype"] = {"type": "string", "const": CONTENT_TYPE}
    properties["data"] = {"$ref": f"#/components/schemas/{data_key}"}
    return {
        "name": contract.type,
        "title": f"{contract.type} (structured)",
        "summary": contract.summary or contract.type,
        "description": _description(contract) + " Structured mode: the attributes and the "
                       "data in one JSON object, the same as on Kafka.",
        "contentType": STRUCTURED,
        "tags": [{"name": contract.service}],
        "headers": {"type": "object", "description": "webhook deliveries only (an SSE "
                    "message has none)", "properties": {
                        "Gongzhi-Signature": {"type": "string", "description":
                                              "`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "
                                              "\"<t>.<raw body>\")>`: verify before trusting"},
                        "Gongzhi-Event-Id": {"type": "string",
                                             "description": "the CloudEvent id"},
                        "Gongzhi-Delivery": {"type": "string",
                                             "description": "the delivery's number in the "
                                                            "department's log"}}},
        "payload": {"type": "object", "required": [*_REQUIRED, "datacontenttype", "data"],
                    "properties": properties},
        "x-concerns-departments": True,
    }
