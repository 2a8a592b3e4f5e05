"""The evaluation Application: load an aggregate, ask it to act, save."""

from __future__ import annotations

from typing import Any

from shared.clock import Clock, SystemClock
from shared.eventstore import ServiceApplication


class EvaluationApplication(ServiceApplication):
    name = "evaluation"

    def __init__(self, *, clock: Clock | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clock = clock or SystemClock()
