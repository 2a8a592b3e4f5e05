"""The grid Application: the tier tree, departments, operating modes and whistles.

Each method loads, asks an aggregate, saves. Business time comes from the injected clock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.grid.application_households import HouseholdCommands
from services.grid.application_party import PartyCommands
from services.grid.application_people import PeopleCommands
from services.grid.domain.department import Department
from services.grid.domain.node import Node, check_placement
from services.grid.domain.patrol import Patrol
from services.grid.domain.whistle import Whistle, deadlines
from shared.clock import Clock, SystemClock
from shared.domain import Meta
from shared.errors import Conflict, Invalid, NotFound
from shared.eventstore import ServiceApplication, history
from shared.sealing import Sealer
from shared.tiers import ancestors_and_self, parent_of

T = TypeVar("T")


@dataclass(frozen=True)
class NodeSpec:
    path: str
    level: str
    name: str


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str
    kind: str
    categories: list[str]
    jurisdiction: list[str]


@dataclass(frozen=True)
class BlowWhistle:
    node: str
    situation: str
    title: str
    departments: list[str]
    issue_id: str | None = None
    report_within: timedelta | None = None


@dataclass(frozen=True)
class ImportReport:
    registered: int
    renamed: int
    unchanged: int


class GridApplication(PartyCommands, HouseholdCommands, PeopleCommands, ServiceApplication):
    name = "grid"

    def __init__(self, *, sealer: Sealer, clock: Clock | None = None,
                 emergency_factor: float = 0.5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sealer = sealer
        self.clock = clock or SystemClock()
        self.emergency_factor = emergency_factor

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
        return self._on_node(path, lambda n: n.rename(name, meta))

    def retire(self, path: str, reason: str, meta: Meta) -> Node:
        return self._on_node(path, lambda n: n.retire(reason, meta))

    def _on_node(self, path: str, change: Callable[[Node], object]) -> Node:
        """A concurrent change to the node is reloaded and judged again; 409 if it persists."""
        node, _ = self.change_and_save(lambda: self.get_node(path), change, f"node '{path}'")
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

    # -- operating mode -------------------------------------------------------------------

    def switch_mode(self, path: str, mode: str, reason: str, meta: Meta) -> Node:
        return self._on_node(path, lambda n: n.switch_mode(mode, reason, meta))

    def effective_mode(self, path: str) -> tuple[str, str | None]:
        """The mode at a node: set there or at its nearest ancestor that switched; daily
        by default. Returns the mode and the node that set it."""
        for ancestor in reversed(ancestors_and_self(path)):
            node = self._find(ancestor)
            if node is not None and node.mode is not None:
                return node.mode, ancestor
        return "daily", None

    # -- departments ----------------------------------------------------------------------

    def register_departments(self, specs: Sequence[DepartmentSpec], meta: Meta) -> int:
        """Idempotent: departments already registered are left as they are."""
        new = []
        for spec in specs:
            if self._find_department(spec.code) is not None:
                continue
            for area in spec.jurisdiction:
                self.get_node(area)
            new.append(Department(
                id=Department.id_for(spec.code), code=spec.code, name=spec.name,
                kind=spec.kind, categories=spec.categories, jurisdiction=spec.jurisdiction,
                tier=spec.jurisdiction[0], meta=meta,
            ))
        if new:
            self.save(*new)
        return len(new)

    def get_department(self, code: str) -> Department:
        department = self._find_department(code)
        if department is None:
            raise NotFound(f"unknown department '{code}'")
        return department

    def register_webhook(self, code: str, url: str, secret_sealed: str, meta: Meta,
                         hook_id: str | None = None) -> str:
        """`hook_id` comes from the request's Idempotency-Key when it has one, so a retry
        that finds the hook registered answers with the same hook."""
        hook_id = hook_id or uuid4().hex[:12]
        self._on_department(code, lambda d: d.register_webhook(hook_id, url, secret_sealed,
                                                                 meta))
        return hook_id

    def webhook_secret(self, code: str, hook_id: str) -> str:
        hook = self.get_department(code).webhooks.get(hook_id)
        if hook is None:
            raise NotFound(f"no webhook {hook_id} for {code}")
        return self.sealer.open(hook["secret_sealed"])["secret"]

    def remove_webhook(self, code: str, hook_id: str, meta: Meta) -> None:
        self._on_department(code, lambda d: d.remove_webhook(hook_id, meta))

    def _on_department(self, code: str, change: Callable[[Department], object]) -> None:
        self.change_and_save(lambda: self.get_department(code), change, f"department {code}")

    # -- whistles -------------------------------------------------------------------------

    def blow_whistle(self, cmd: BlowWhistle, meta: Meta,
                     whistle_id: UUID | None = None) -> tuple[Whistle, bool]:
        """Returns the whistle and whether this call blew it (False for a retry with the
        same `whistle_id`, from an Idempotency-Key, asking for the same whistle)."""
        if whistle_id is not None and (earlier := self._find_whistle(whistle_id)):
            return self._same_whistle(earlier, cmd), False
        node = self.get_node(cmd.node)
        if node.retired:
            raise Invalid(f"tier node '{cmd.node}' is retired", field="node")
        for code in cmd.departments:
            self.get_department(code).require_jurisdiction(cmd.node)
        mode, _ = self.effective_mode(cmd.node)
        factor = self.emergency_factor if mode == "emergency" else 1.0
        now = self.clock.now()
        summons = deadlines(cmd.situation, cmd.departments, now, factor, cmd.report_within)
        whistle = Whistle(
            id=whistle_id or uuid4(), node=cmd.node, situation=cmd.situation, title=cmd.title,
            issue_id=cmd.issue_id, departments=cmd.departments, summons=summons, mode=mode,
            at=now.isoformat(), tier=cmd.node, meta=meta,
        )
        try:
            self.save(whistle)
        except IntegrityError:
            if whistle_id is None:
                raise
            # The same key raced us from another request: theirs won, ours is the retry.
            return self._same_whistle(self.get_whistle(whistle_id), cmd), False
        return whistle, True

    @staticmethod
    def _same_whistle(earlier: Whistle, cmd: BlowWhistle) -> Whistle:
        if (earlier.node, earlier.situation, earlier.title, list(earlier.summons),
                earlier.issue_id) != (cmd.node, cmd.situation, cmd.title, cmd.departments,
                                      cmd.issue_id):
            raise Conflict("this Idempotency-Key was already used for another whistle",
                           field="Idempotency-Key")
        return earlier

    def report_in(self, whistle_id: UUID, department: str, note: str, meta: Meta) -> Whistle:
        whistle, _ = self._on_whistle(
            whistle_id, lambda w: w.report_in(department, self.clock.now(), note, meta))
        return whistle

    def complete(self, whistle_id: UUID, department: str, outcome: str, meta: Meta) -> Whistle:
        whistle, _ = self._on_whistle(
            whistle_id, lambda w: w.complete(department, self.clock.now(), outcome, meta))
        return whistle

    def mark_overdue(self, whistle_id: UUID, meta: Meta) -> list[str]:
        """Mark every department past its deadline; safe to call from several watchers:
        a watcher that loses the race reloads and finds nothing left to mark."""
        _, marked = self._on_whistle(whistle_id,
                                     lambda w: w.mark_overdue(self.clock.now(), meta))
        return marked

    def get_whistle(self, whistle_id: UUID) -> Whistle:
        whistle = self._find_whistle(whistle_id)
        if whistle is None:
            raise NotFound(f"no whistle {whistle_id}")
        return whistle

    def _find_whistle(self, whistle_id: UUID) -> Whistle | None:
        try:
            found = self.repository.get(whistle_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Whistle) else None

    def whistle_history(self, whistle_id: UUID) -> list[dict[str, Any]]:
        return history(self, whistle_id)

    def _on_whistle(self, whistle_id: UUID, change: Callable[[Whistle], T]) -> tuple[Whistle, T]:
        return self.change_and_save(lambda: self.get_whistle(whistle_id), change, "the whistle")

    def _find_department(self, code: str) -> Department | None:
        try:
            return self.repository.get(Department.id_for(code))
        except AggregateNotFoundError:
            return None

    # -- patrols --------------------------------------------------------------------------

    def log_patrol(self, node_path: str, worker: str, households_visited: int,
                   problems: list[dict[str, Any]], note: str, meta: Meta,
                   patrol_id: UUID | None = None) -> Patrol:
        """`patrol_id` comes from the request's Idempotency-Key when it has one: a retry
        answers with the patrol the first call logged (and raises no issue twice)."""
        if (earlier := self.created_before(patrol_id)) is not None:
            return earlier
        node = self.get_node(node_path)
        if node.retired:
            raise Invalid(f"tier node '{node_path}' is retired", field="node")
        patrol = Patrol(id=patrol_id or uuid4(), node=node_path, worker=worker,
                        households_visited=households_visited, problems=problems, note=note,
                        at=self.clock.now().isoformat(), tier=node_path, meta=meta)
        try:
            self.save(patrol)
        except IntegrityError:  # the same key raced us: theirs won, ours is the retry
            if (earlier := self.created_before(patrol_id)) is None:
                raise
            return earlier
        return patrol
