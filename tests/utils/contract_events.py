"""Envelopes made from contract payloads, as the bus delivers them: a test's event then has
every field its contract requires, and a changed contract changes the test with it."""

from __future__ import annotations

from uuid import uuid4

from contracts import Payload
from shared.bus.envelope import Envelope

TIME = "2026-11-23T09:00:00+00:00"


def envelope_of(p: Payload, *, subject: str | None = None, seq: int = 1,
                tier: str | None = None, time: str = TIME) -> Envelope:
    subject = subject or str(uuid4())
    return Envelope(id=f"{subject}/{seq}", source=f"/gongzhi/{p.CONTRACT.service}",
                    type=p.TYPE, subject=subject, time=time, seq=seq, tier=tier,
                    data=p.to_data())
