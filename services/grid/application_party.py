"""Party organisations and co-governance bodies on tier nodes: the commands GridApplication
inherits. A mixin, like people and households: the node is checked against grid's own store
(existence and level) with the same consistency as the command."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.grid.domain.node import Node
from services.grid.domain.party import BODY_KINDS, CoGovernanceBody, PartyOrganisation
from shared.clock import Clock
from shared.domain import Meta
from shared.errors import Conflict, NotFound
from shared.eventstore import history


class PartyCommands:
    clock: Clock
    repository: Any
    save: Callable[..., Any]
    change_and_save: Callable[..., Any]
    _live_node: Callable[[str], Node]

    def establish_party_organisation(self, node_path: str, kind: str, name: str,
                                     secretary: dict[str, str],
                                     meta: Meta) -> PartyOrganisation:
        node = self._live_node(node_path)
        organisation = PartyOrganisation.establish(
            node=node.path, level=node.level, kind=kind, name=name, secretary=secretary,
            at=self.clock.now(), meta=meta)
        self._create_party(organisation, f"'{node_path}' already has a {kind}")
        return organisation

    def change_secretary(self, node_path: str, kind: str, secretary: dict[str, str],
                         reason: str, meta: Meta) -> PartyOrganisation:
        return self._on_party(
            lambda: self.get_party_organisation(node_path, kind),
            lambda o: o.change_secretary(secretary, reason, self.clock.now(), meta))

    def dissolve_party_organisation(self, node_path: str, kind: str, reason: str,
                                    meta: Meta) -> PartyOrganisation:
        return self._on_party(lambda: self.get_party_organisation(node_path, kind),
                              lambda o: o.dissolve(reason, self.clock.now(), meta))

    def get_party_organisation(self, node_path: str, kind: str) -> PartyOrganisation:
        return self._get_party(PartyOrganisation.id_for(node_path, kind),
                               f"'{node_path}' has no {kind}")

    def form_body(self, node_path: str, kind: str, name: str, term_from: date, term_to: date,
                  contact: str, meta: Meta) -> CoGovernanceBody:
        node = self._live_node(node_path)
        body = CoGovernanceBody.form(node=node.path, level=node.level, kind=kind, name=name,
                                     term_from=term_from, term_to=term_to, contact=contact,
                                     at=self.clock.now(), meta=meta)
        self._create_party(body, f"'{node_path}' already has its {BODY_KINDS.get(kind, kind)}"
                           "; renew it instead")
        return body

    def renew_body(self, node_path: str, kind: str, name: str, term_from: date,
                   term_to: date, contact: str, reason: str, meta: Meta) -> CoGovernanceBody:
        return self._on_party(lambda: self.get_body(node_path, kind), lambda b: b.renew(
            name, term_from, term_to, contact, reason, self.clock.now(), meta))

    def end_body(self, node_path: str, kind: str, reason: str, meta: Meta) -> CoGovernanceBody:
        return self._on_party(lambda: self.get_body(node_path, kind),
                              lambda b: b.end(reason, self.clock.now(), meta))

    def get_body(self, node_path: str, kind: str) -> CoGovernanceBody:
        return self._get_party(CoGovernanceBody.id_for(node_path, kind),
                               f"'{node_path}' has no {kind}")

    def seed_party(self, organisations: list[dict[str, Any]], bodies: list[dict[str, Any]],
                   meta: Meta) -> int:
        """The demo's organisations and bodies (party.json); what exists is left as it is.
        Returns how many were newly recorded."""
        added = 0
        for o in organisations:
            if self._find_party(PartyOrganisation.id_for(o["node"], o["kind"])) is None:
                self.establish_party_organisation(o["node"], o["kind"], o["name"],
                                                  o["secretary"], meta)
                added += 1
        for b in bodies:
            if self._find_party(CoGovernanceBody.id_for(b["node"], b["kind"])) is None:
                self.form_body(b["node"], b["kind"], b["name"],
                               date.fromisoformat(b["term_from"]),
                               date.fromisoformat(b["term_to"]), b.get("contact", ""), meta)
                added += 1
        return added

    def party_history(self, aggregate: Any) -> list[dict[str, Any]]:
        return history(self, aggregate.id)  # type: ignore[arg-type]

    # -- helpers --------------------------------------------------------------------------

    def _find_party(self, aggregate_id: Any) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _get_party(self, aggregate_id: Any, missing: str) -> Any:
        found = self._find_party(aggregate_id)
        if found is None:
            raise NotFound(missing)
        return found

    def _create_party(self, aggregate: Any, exists: str) -> None:
        if self._find_party(aggregate.id) is not None:
            raise Conflict(exists)
        try:
            self.save(aggregate)
        except IntegrityError:
            raise Conflict(exists) from None

    def _on_party(self, load: Callable[[], Any], change: Callable[[Any], object]) -> Any:
        aggregate, _ = self.change_and_save(load, change, "the organisation")
        return aggregate
