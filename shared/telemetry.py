"""OpenTelemetry tracing, configured by the standard OTEL_* variables.

OTEL_TRACES_EXPORTER: zipkin, otlp, console (comma-separated), or none (the default: no
spans are made). OTEL_SERVICE_NAME names the process (default gongzhi-<service>); each
exporter reads its own standard endpoint variable (OTEL_EXPORTER_ZIPKIN_ENDPOINT,
OTEL_EXPORTER_OTLP_ENDPOINT). The W3C trace context rides in HTTP headers, in every stored
event's meta, and in the `ce_traceparent` header on Kafka, so one trace follows an issue from
the resident's request through the store, the relay and every consumer.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.bus.envelope import Envelope

_propagator = TraceContextTextMapPropagator()
tracer = trace.get_tracer("gongzhi")
_enabled = False


def enabled() -> bool:
    return _enabled


def configure(service: str) -> None:
    """Install a tracer provider with the exporters OTEL_TRACES_EXPORTER names (once)."""
    global _enabled
    names = [n.strip() for n in os.environ.get("OTEL_TRACES_EXPORTER", "none").split(",")]
    names = [n for n in names if n and n != "none"]
    if not names or _enabled:
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    os.environ.setdefault("OTEL_SERVICE_NAME", f"gongzhi-{service}")
    provider = TracerProvider(resource=Resource.create())
    for name in names:
        provider.add_span_processor(BatchSpanProcessor(_exporter(name)))
    trace.set_tracer_provider(provider)
    _enabled = True


def _exporter(name: str) -> Any:
    if name == "zipkin":
        from opentelemetry.exporter.zipkin.json import ZipkinExporter

        exporter = ZipkinExporter()
        exporter.encoder = _zipkin_encoder(exporter.encoder.max_tag_value_length)
        return exporter
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    raise ValueError(f"OTEL_TRACES_EXPORTER: unknown exporter {name!r} (zipkin, otlp, console)")


def _zipkin_encoder(max_tag_value_length: int) -> Any:
    """Zipkin's JSON v2 encoder, plus the span's remote endpoint from `peer.service` (the
    OpenTelemetry exporter leaves it out): Zipkin's dependency links are drawn from it, so
    without it a producer or consumer span links to nothing."""
    from opentelemetry.exporter.zipkin.json.v2 import JsonV2Encoder

    class WithRemoteEndpoint(JsonV2Encoder):
        def _encode_span(self, span: Any, encoded_local_endpoint: dict) -> dict:
            encoded = super()._encode_span(span, encoded_local_endpoint)
            if peer := (span.attributes or {}).get("peer.service"):
                encoded["remoteEndpoint"] = {"serviceName": str(peer)}
            return encoded

    return WithRemoteEndpoint(max_tag_value_length)


def shutdown() -> None:
    provider = trace.get_tracer_provider()
    if hasattr(provider, "shutdown"):
        provider.shutdown()


def instrument(app: Any) -> None:
    """HTTP server spans for a FastAPI app, continuing any traceparent the caller sent."""
    if _enabled:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, excluded_urls="health")


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


def trace_id(traceparent: str | None) -> str | None:
    """The trace id of a W3C traceparent (version-traceid-spanid-flags): what a tracing UI's
    address takes."""
    parts = (traceparent or "").split("-")
    return parts[1] if len(parts) == 4 and len(parts[1]) == 32 else None


def _parent(traceparent: str | None) -> otel_context.Context | None:
    return _propagator.extract({"traceparent": traceparent}) if traceparent else None


@contextlib.contextmanager
def span(name: str, **attributes: Any) -> Iterator[None]:
    """An internal span (a command, a store append) under the current one."""
    if not _enabled:
        yield
        return
    with tracer.start_as_current_span(name, attributes=attributes):
        yield


BROKER = "kafka"  # the peer.service of messaging spans: the node Zipkin draws between services


def broker_attributes(topic: str, bootstrap: str | None = None) -> dict[str, Any]:
    """What names the broker on a messaging span. `peer.service` becomes the span's remote
    endpoint in Zipkin, so its dependency graph draws service → kafka → service."""
    out: dict[str, Any] = {"messaging.system": "kafka", "messaging.destination.name": topic,
                           "peer.service": BROKER}
    if bootstrap:
        host, _, port = bootstrap.split(",")[0].strip().rpartition(":")
        out["server.address"] = host or port
        if host and port.isdigit():
            out["server.port"] = int(port)
    return out


def start_publish(envelope: Envelope, topic: str, bootstrap: str | None = None
                  ) -> tuple[Envelope, Span | None]:
    """A producer span, child of the event's own trace; the envelope then carries the
    span's context onward. The caller ends the span once Kafka acknowledged."""
    if not _enabled or not envelope.traceparent:
        return envelope, None
    s = tracer.start_span(
        f"{topic} publish", context=_parent(envelope.traceparent), kind=SpanKind.PRODUCER,
        attributes={**broker_attributes(topic, bootstrap),
                    "messaging.message.id": envelope.id, "gongzhi.tier": envelope.tier or ""},
    )
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=trace.set_span_in_context(s))
    return replace(envelope, traceparent=carrier.get("traceparent")), s


def start_processing(consumer: str, events: Sequence[Envelope],
                     topics: Mapping[str, str] | None = None) -> list[Span]:
    """One consumer span per traced event, ended by the caller after its effect commits.
    `topics` maps the id of each event that came over Kafka to its topic: those spans name
    the broker; an event read straight from a log (the embedded transport) names none."""
    if not _enabled:
        return []
    topics = topics or {}
    return [
        tracer.start_span(
            f"{consumer} process", context=_parent(e.traceparent), kind=SpanKind.CONSUMER,
            attributes={"messaging.message.id": e.id, "messaging.operation.type": "process",
                        "gongzhi.event.type": e.type,
                        **(broker_attributes(topics[e.id]) if e.id in topics else {})},
        )
        for e in events if e.traceparent
    ]


def end(spans: Sequence[Span | None]) -> None:
    for s in spans:
        if s is not None:
            s.end()
