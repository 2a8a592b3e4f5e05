"""Each service's write side is one eventsourcing Application in its own PostgreSQL schema.

The Application's `name` is the service name, so its log is `<service>.<service>_events`
and its NOTIFY channel `<service>_events`: the embedded transport follows exactly that.
"""

from __future__ import annotations

from typing import TypeVar

from eventsourcing.application import Application

from shared.auth import Principal
from shared.db import ensure_schema, eventsourcing_env

A = TypeVar("A", bound=Application)


def open_application(app_class: type[A], database_url: str, **kwargs: object) -> A:
    ensure_schema(database_url, app_class.name)
    return app_class(env=eventsourcing_env(database_url, schema=app_class.name), **kwargs)


def meta(principal: Principal, traceparent: str | None = None) -> dict[str, object]:
    """Who did it (and the trace it belongs to): stored with every event."""
    out: dict[str, object] = {"actor": principal.as_actor()}
    if traceparent:
        out["traceparent"] = traceparent
    return out
