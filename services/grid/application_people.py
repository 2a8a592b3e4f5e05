"""People and their roles on tier nodes: the commands GridApplication inherits.

A mixin rather than a second Application, because roles must be checked against the nodes
grid owns (existence and level), read straight from grid's own store with the same
consistency as the command. The inheriting Application provides `repository` and `save`, and
sets `sealer` (contact details are sealed before they enter an event) and `clock` (business
time: since when a role is held).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.grid.domain.node import Node
from services.grid.domain.person import Person
from shared.clock import Clock
from shared.domain import Meta
from shared.errors import Conflict, NotFound
from shared.eventstore import history
from shared.sealing import Sealer


@dataclass(frozen=True)
class PeopleSeedReport:
    registered: int
    renamed: int
    assigned: int
    unchanged: int


class PeopleCommands:
    # Provided by the Application this is mixed into (names kept distinct from
    # GridApplication's own helpers, which come later in the MRO).
    sealer: Sealer
    clock: Clock
    repository: Any
    save: Callable[..., Any]
    change_and_save: Callable[..., Any]
    done_before: Callable[[Any], bool]

    def register_person(self, staff_id: str, name: str, contact: dict[str, str] | None,
                        meta: Meta, *, home: str) -> Person:
        self._live_node(home)
        if (earlier := self._find_person(staff_id)) is not None:
            if self.done_before(earlier):  # a retry of this very registration
                return earlier
            raise Conflict(f"{staff_id} is already registered", staff_id=staff_id)
        person = Person.register(staff_id=staff_id, name=name, home=home,
                                 contact_sealed=self._seal(contact), meta=meta)
        try:
            self.save(person)
        except IntegrityError:  # the same id raced us from another request
            if self.done_before(earlier := self._find_person(staff_id)):
                return earlier
            raise Conflict(f"{staff_id} is already registered", staff_id=staff_id) from None
        return person

    def update_person(self, staff_id: str, meta: Meta, *, name: str | None = None,
                      contact: dict[str, str] | None = None,
                      contact_changed: bool = False) -> Person:
        """`contact_changed` with `contact=None` erases the contact details."""
        sealed = self._seal(contact) if contact_changed else None
        return self._on_person(staff_id, lambda p: p.update(
            meta, name=name, contact_sealed=sealed, contact_changed=contact_changed))

    def assign_role(self, staff_id: str, role: str, node_path: str, department: str | None,
                    meta: Meta) -> Person:
        node = self._live_node(node_path)
        return self._on_person(staff_id, lambda p: p.assign(
            role, node.path, node.level, department, self.clock.now(), meta))

    def relieve_role(self, staff_id: str, role: str, node_path: str, reason: str,
                     meta: Meta) -> Person:
        # No node lookup: relieving someone at a node retired since is exactly what to do.
        return self._on_person(
            staff_id, lambda p: p.relieve(role, node_path, reason, self.clock.now(), meta))

    def get_person(self, staff_id: str) -> Person:
        person = self._find_person(staff_id)
        if person is None:
            raise NotFound(f"no person with staff id '{staff_id}'")
        return person

    def person_contact(self, person: Person) -> dict[str, str] | None:
        return self.sealer.open(person.contact_sealed) if person.contact_sealed else None

    def person_history(self, staff_id: str) -> list[dict[str, Any]]:
        """Who did what, when: every stored event of the person, oldest first."""
        return history(self, self.get_person(staff_id).id)  # type: ignore[arg-type]

    def seed_people(self, staff: Iterable[dict[str, Any]], meta: Meta) -> PeopleSeedReport:
        """Register and assign a staff list (city.json's `staff`: id, name, role, node,
        optional department). All or nothing, in one transaction; seeding the same list
        again changes nothing. A person's home is the node of their first entry."""
        people: dict[str, Person] = {}
        nodes: dict[str, Node] = {}
        registered = renamed = assigned = unchanged = 0
        now = self.clock.now()
        for entry in staff:
            staff_id, path, role = entry["id"], entry["node"], entry["role"]
            if path not in nodes:
                nodes[path] = self._live_node(path)
            node = nodes[path]
            person = people.get(staff_id) or self._find_person(staff_id)
            before = person.version if person is not None else 0
            if person is None:
                person = Person.register(staff_id=staff_id, name=entry["name"], home=path,
                                         contact_sealed=None, meta=meta)
                registered += 1
            else:
                person.update(meta, name=entry["name"])
                renamed += int(person.version != before)
            if not person.holds(role, path):
                person.assign(role, path, node.level, entry.get("department"), now, meta)
                assigned += 1
            elif person.version == before:
                unchanged += 1
            people[staff_id] = person
        changed = [p for p in people.values() if p.pending_events]
        if changed:
            self.save(*changed)
        return PeopleSeedReport(registered, renamed, assigned, unchanged)

    # -- helpers --------------------------------------------------------------------------

    def _seal(self, contact: dict[str, str] | None) -> str | None:
        return self.sealer.seal(contact) if contact else None

    def _live_node(self, path: str) -> Node:
        try:
            node: Node = self.repository.get(Node.id_for(path))
        except AggregateNotFoundError:
            raise NotFound(f"unknown tier node '{path}'", node=path) from None
        if node.retired:
            raise NotFound(f"tier node '{path}' is retired", node=path)
        return node

    def _find_person(self, staff_id: str) -> Person | None:
        try:
            return self.repository.get(Person.id_for(staff_id))
        except AggregateNotFoundError:
            return None

    def _on_person(self, staff_id: str, change: Callable[[Person], object]) -> Person:
        person, _ = self.change_and_save(lambda: self.get_person(staff_id), change,
                                         f"person {staff_id}")
        return person
