"""The grid Application: register, rename and retire tier nodes, one by one or in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eventsourcing.application import AggregateNotFoundError

from services.grid.domain.node import Meta, Node, check_placement
from shared.errors import Invalid, NotFound
from shared.eventstore import ServiceApplication
from shared.tiers import parent_of


@dataclass(frozen=True)
class NodeSpec:
    path: str
    level: str
    name: str


@dataclass(frozen=True)
class ImportReport:
    registered: int
    renamed: int
    unchanged: int


class GridApplication(ServiceApplication):
    name = "grid"

    def register_nodes(self, specs: Sequence[NodeSpec], meta: Meta) -> ImportReport:
        """All or nothing: every node is checked before any is saved, in one transaction.
        Re-importing the same file changes nothing; a changed name is a rename."""
        seen: dict[str, Node] = {}
        changed: list[Node] = []
        registered = renamed = 0
        for spec in specs:
            if spec.path in seen:
                raise Invalid(f"'{spec.path}' appears twice in this import")
            existing = self._find(spec.path)
            if existing is not None:
                if existing.level != spec.level:
                    raise Invalid(
                        f"'{spec.path}' is already a {existing.level}, not a {spec.level}"
                    )
                before = existing.version
                existing.rename(spec.name, meta)
                if existing.version != before:
                    changed.append(existing)
                    renamed += 1
                seen[spec.path] = existing
                continue
            parent_path = parent_of(spec.path)
            parent = None
            if parent_path is not None:
                parent = seen.get(parent_path) or self._find(parent_path)
            check_placement(spec.path, spec.level, parent.level if parent else None)
            node = Node(id=Node.id_for(spec.path), path=spec.path, level=spec.level,
                        name=spec.name, parent=parent_path, tier=spec.path, meta=meta)
            seen[spec.path] = node
            changed.append(node)
            registered += 1
        if changed:
            self.save(*changed)
        return ImportReport(registered, renamed, len(specs) - registered - renamed)

    def rename(self, path: str, name: str, meta: Meta) -> Node:
        node = self.get_node(path)
        node.rename(name, meta)
        self.save(node)
        return node

    def retire(self, path: str, reason: str, meta: Meta) -> Node:
        node = self.get_node(path)
        node.retire(reason, meta)
        self.save(node)
        return node

    def get_node(self, path: str) -> Node:
        node = self._find(path)
        if node is None:
            raise NotFound(f"unknown tier node '{path}'")
        return node

    def _find(self, path: str) -> Node | None:
        try:
            return self.repository.get(Node.id_for(path))
        except AggregateNotFoundError:
            return None
