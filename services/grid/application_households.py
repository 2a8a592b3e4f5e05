"""The household register (户): the commands GridApplication inherits.

A mixin, like people: a household is placed on a node grid owns (a building unit), checked
against grid's own store. A move changes two households in one transaction, so nobody is
ever counted in both or in neither.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.grid.domain.household import Household
from services.grid.domain.node import Node
from shared.clock import Clock
from shared.domain import Meta
from shared.errors import Conflict, Invalid, NotFound
from shared.eventstore import history


class HouseholdCommands:
    clock: Clock
    repository: Any
    save: Callable[..., Any]
    change_and_save: Callable[..., Any]
    _live_node: Callable[[str], Node]

    def register_household(self, code: str, node_path: str, area: object,
                           meta: Meta) -> Household:
        node = self._live_node(node_path)
        if self._find_household(code) is not None:
            raise Conflict(f"household {code} is already registered", household=code)
        household = Household.register(code=code, node=node.path, level=node.level, area=area,
                                       at=self.clock.now(), meta=meta)
        try:
            self.save(household)
        except IntegrityError:  # the same code raced us
            raise Conflict(f"household {code} is already registered", household=code) from None
        return household

    def get_household(self, code: str) -> Household:
        household = self._find_household(code)
        if household is None:
            raise NotFound(f"no household '{code}' in the register", household=code)
        return household

    def change_household_area(self, code: str, area: object, reason: str,
                              meta: Meta) -> Household:
        return self._on_household(
            code, lambda h: h.change_area(area, reason, self.clock.now(), meta))

    def link_resident(self, code: str, resident: str, relation: str, meta: Meta, *,
                      verify: bool = False) -> Household:
        """`verify`: staff who may verify enrol the resident verified at once."""
        def link(h: Household) -> None:
            now = self.clock.now()
            h.link(resident, relation, now, meta)
            if verify:
                h.verify(resident, now, meta)
        return self._on_household(code, link)

    def verify_resident(self, code: str, resident: str, meta: Meta) -> Household:
        return self._on_household(code, lambda h: h.verify(resident, self.clock.now(), meta))

    def unlink_resident(self, code: str, resident: str, reason: str, meta: Meta) -> Household:
        return self._on_household(
            code, lambda h: h.unlink(resident, reason, self.clock.now(), meta))

    def move_resident(self, code: str, resident: str, to: str, reason: str,
                      meta: Meta) -> tuple[Household, Household]:
        """Leave `code`, join `to` (verified, with the same relation), in one transaction."""
        if to == code:
            raise Invalid(f"resident {resident} already lives in household {code}", field="to")

        def move(pair: tuple[Household, Household]) -> None:
            old, new = pair
            relation = old.members.get(resident, {}).get("relation", "")
            now = self.clock.now()
            old.unlink(resident, reason, now, meta, moved_to=new.code)
            new.move_in(resident, relation, old.code, now, meta)

        pair, _ = self.change_and_save(
            lambda: (self.get_household(code), self.get_household(to)), move,
            "the households")
        return pair

    def household_history(self, code: str) -> list[dict[str, Any]]:
        return history(self, self.get_household(code).id)  # type: ignore[arg-type]

    # -- helpers --------------------------------------------------------------------------

    def _find_household(self, code: str) -> Household | None:
        try:
            found = self.repository.get(Household.id_for(code))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Household) else None

    def _on_household(self, code: str, change: Callable[[Household], object]) -> Household:
        household, _ = self.change_and_save(lambda: self.get_household(code), change,
                                            f"household {code}")
        return household

    def seed_households(self, entries: list[dict[str, Any]], meta: Meta) -> int:
        """Register households and their verified residents (the demo's households.json:
        code, node, area, residents). All or nothing, in one transaction; seeding the same
        list again changes nothing. Returns how many households were new."""
        changed: list[Household] = []
        new = 0
        now = self.clock.now()
        for entry in entries:
            household = self._find_household(entry["code"])
            if household is None:
                node = self._live_node(entry["node"])
                household = Household.register(code=entry["code"], node=node.path,
                                               level=node.level, area=entry["area"], at=now,
                                               meta=meta)
                new += 1
            for resident in entry.get("residents", []):
                if resident not in household.members:
                    household.link(resident, "owner", now, meta)
                if not household.members[resident]["verified"]:
                    household.verify(resident, now, meta)
            if household.pending_events:
                changed.append(household)
        if changed:
            self.save(*changed)
        return new
