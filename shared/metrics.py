"""Metrics through OpenTelemetry, scraped by Prometheus at /metrics on every service.

Two families: every request's duration by method, route template and status (so a dashboard
shows rates, errors and latency per route without one series per issue id), and each read
model's lag behind its log, measured as the operators' page measures it (shared/ops.py) at
the moment Prometheus scrapes. /metrics holds only counts and durations, nothing about a
person, so it needs no token, like the health route.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

_configured = False
_lag: dict[tuple[str, str, str], float] = {}  # (service, read model, stream) → events behind


def configure() -> None:
    """One meter provider per process, read by the Prometheus collector (once)."""
    global _configured
    if _configured:
        return
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider

    metrics.set_meter_provider(MeterProvider(metric_readers=[PrometheusMetricReader()]))
    _configured = True
    meter = metrics.get_meter("gongzhi")
    meter.create_observable_gauge(
        "gongzhi.read_model.lag", callbacks=[_observe_lag], unit="{event}",
        description="events of the followed log not yet applied by the read model")


def _observe_lag(_: CallbackOptions) -> Iterable[Observation]:
    for (service, schema, stream), lag in _lag.items():
        yield Observation(lag, {"service": service, "read_model": schema, "stream": stream})


def _duration() -> Any:
    return metrics.get_meter("gongzhi").create_histogram(
        "http.server.request.duration", unit="s", description="duration of HTTP requests")


class RequestMetrics:
    """Record each request's duration under its route template, not its raw path."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app, self.service = app, service
        self.histogram = _duration()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/metrics":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            self.histogram.record(time.perf_counter() - started, {
                "service": self.service, "http.request.method": scope["method"],
                "http.route": getattr(route, "path", "unmatched"),
                "http.response.status_code": status})


async def scrape(request: Request) -> Response:
    from shared import ops  # ops needs the HTTP layer, which installs this module

    state = request.app.state
    runners = getattr(state, "runners", [])
    embedded = state.settings.transport != "kafka"
    service = request.app.title.removeprefix("Gongzhi ")
    now = datetime.now(UTC)
    for runner in runners:
        status = await ops.read_model_status(state.pool, runner, embedded, now)
        for s in status["streams"]:
            if s["lag_events"] is not None:
                _lag[(service, status["schema"], s["stream"])] = s["lag_events"]
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
