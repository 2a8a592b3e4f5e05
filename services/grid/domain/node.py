"""A tier node: one place in the city's tree, from the city down to a building unit."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain import Meta, TieredAggregate
from shared.errors import IllegalTransition, Invalid
from shared.tiers import LEVEL_RANK, LEVELS, is_valid_path, parent_of

_NODE_NS = uuid5(NAMESPACE_URL, "https://gongzhi.dev/grid/nodes")
MODES = ("daily", "emergency")
# Levels may be skipped, but not everywhere: a grid divides a community; a building stands
# in a compound, a grid or straight in a community; a unit only in a building.
_ALLOWED_PARENTS = {
    "grid": {"community"},
    "building": {"compound", "grid", "community"},
    "unit": {"building"},
}


def check_placement(path: str, level: str, parent_level: str | None) -> None:
    if not is_valid_path(path):
        raise Invalid(f"'{path}' is not a tier path (lowercase ASCII labels joined by dots)")
    if level not in LEVEL_RANK:
        raise Invalid(f"unknown level '{level}'; one of {', '.join(LEVELS)}")
    if parent_of(path) is None:
        if level != "city":
            raise Invalid(f"'{path}' has no parent, so it must be a city, not a {level}")
        return
    if parent_level is None:
        raise Invalid(f"the parent '{parent_of(path)}' of '{path}' does not exist")
    if LEVEL_RANK[parent_level] >= LEVEL_RANK[level]:
        raise Invalid(f"a {level} cannot sit under a {parent_level} ('{path}')")
    allowed = _ALLOWED_PARENTS.get(level)
    if allowed and parent_level not in allowed:
        raise Invalid(
            f"a {level} must sit under a {' or '.join(sorted(allowed))}, not a {parent_level}"
        )


class Node(TieredAggregate):
    TOPIC = "gongzhi.node"

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.node.created.v1"  # required by eventsourcing; never emitted

    @staticmethod
    def id_for(path: str) -> UUID:
        return uuid5(_NODE_NS, path)

    @event("Registered", topic="gongzhi.node.registered.v1")
    def __init__(
        self, *, id: UUID, path: str, level: str, name: str, parent: str | None,
        tier: str, meta: Meta,
    ) -> None:
        self.path = path
        self.level = level
        self.name = name
        self.parent = parent
        self.retired = False
        self.mode: str | None = None  # None: as the nearest ancestor that switched

    def rename(self, name: str, meta: Meta) -> None:
        if self.retired:
            raise IllegalTransition(f"'{self.path}' is retired")
        if name != self.name:
            self._renamed(name=name, previous=self.name, tier=self.path, meta=meta)

    def switch_mode(self, mode: str, reason: str, meta: Meta) -> None:
        """Daily or emergency mode for this node's whole subtree (a nearer switch wins)."""
        if mode not in MODES:
            raise Invalid(f"unknown mode '{mode}'; one of {', '.join(MODES)}", field="mode")
        if self.retired:
            raise IllegalTransition(f"'{self.path}' is retired")
        if mode == self.mode:
            raise IllegalTransition(f"'{self.path}' is already in {mode} mode")
        self._mode_switched(mode=mode, reason=reason, tier=self.path, meta=meta)

    def retire(self, reason: str, meta: Meta) -> None:
        if self.retired:
            raise IllegalTransition(f"'{self.path}' is already retired")
        self._retired(reason=reason, tier=self.path, meta=meta)

    @event("Renamed", topic="gongzhi.node.renamed.v1")
    def _renamed(self, name: str, previous: str, tier: str, meta: Meta) -> None:
        self.name = name

    @event("ModeSwitched", topic="gongzhi.node.mode_switched.v1")
    def _mode_switched(self, mode: str, reason: str, tier: str, meta: Meta) -> None:
        self.mode = mode

    @event("Retired", topic="gongzhi.node.retired.v1")
    def _retired(self, reason: str, tier: str, meta: Meta) -> None:
        self.retired = True
