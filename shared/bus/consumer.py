"""The consumer interface every transport implements.

A consumer yields batches of deliveries for its streams, starting after the given positions
(a stream is a service's log, or a Kafka topic-partition; an offset is a notification id, or
a Kafka offset). It never commits anything itself: the projection runner stores positions in
the same transaction as its effect, and hands them back on restart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Protocol

from shared.bus.envelope import Delivery


class Consumer(Protocol):
    def batches(
        self, after: Mapping[str, int], *, follow: bool = True
    ) -> AsyncIterator[list[Delivery]]:
        """Batches of deliveries past `after`; with follow=False, stop once caught up."""
        ...


ConsumerFactory = Callable[[tuple[str, ...]], Consumer]
