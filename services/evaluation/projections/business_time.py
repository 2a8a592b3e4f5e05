"""When an event happened in the world, as the evaluation service's read models count it."""

from __future__ import annotations

from datetime import datetime

from shared.bus.envelope import Envelope


def business_time(e: Envelope) -> datetime:
    """The event's `at` (the emitting service's clock); events stored before `at` was added
    fall back to the envelope's time, when the event was stored."""
    return datetime.fromisoformat(e.data.get("at") or e.time)
