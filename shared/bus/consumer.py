"""The consumer interface every transport implements.

A consumer yields batches of deliveries for its streams (a stream is a service's log, or a
Kafka topic-partition; an offset is a notification id, or a Kafka offset). It never commits
anything itself: the projection runner stores positions in the same transaction as its
effect, and the consumer asks for them (`positions`) when it starts and, on Kafka, whenever
a rebalance hands it partitions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Protocol

from shared.bus.envelope import Delivery

PositionLoader = Callable[[], Awaitable[Mapping[str, int]]]


class Consumer(Protocol):
    def batches(
        self, positions: PositionLoader, *, follow: bool = True
    ) -> AsyncIterator[list[Delivery]]:
        """Batches of deliveries past the stored positions; with follow=False, stop once
        caught up with what existed when it started."""
        ...


ConsumerFactory = Callable[[tuple[str, ...]], Consumer]
