"""A patrol (巡查): a grid worker's visit to a node, the households seen, the problems found.

Problems marked `raise_issue` become issues in one step: the issues service's policy on this
event raises each, with an idempotency key made of the patrol and the problem's place in it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from shared.domain import Meta, TieredAggregate


class Patrol(TieredAggregate):
    TOPIC = "gongzhi.patrol"

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.patrol.created.v1"  # required by eventsourcing; never emitted

    @event("Logged", topic="gongzhi.patrol.logged.v1")
    def __init__(
        self, *, id: UUID, node: str, worker: str, households_visited: int,
        problems: list[dict[str, Any]], note: str, at: str, tier: str, meta: Meta,
    ) -> None:
        self.node = node
        self.worker = worker
        self.households_visited = households_visited
        self.problems = problems
        self.note = note
        self.at = at
