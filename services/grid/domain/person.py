"""A person who serves in the grid (三长两员 and staff), and the roles they hold on tier nodes.

The person's stream is the history of who held which role where, and when: an assignment
and its relief are separate events, so "who was grid worker of g03 on 1 May" is a replay.
The aggregate stays pure: the application looks up a node's level and passes it in, and
business time (`at`: since when a role is held, or until when) comes from its clock, so
tests move time by hand; eventsourcing's own timestamp records when the event was stored.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain import Meta, TieredAggregate
from shared.errors import Conflict, IllegalTransition, Invalid
from shared.roles import STAFF_ROLES

_PERSON_NS = uuid5(NAMESPACE_URL, "https://gongzhi.dev/grid/people")

ROLES = (*STAFF_ROLES, "department_staff")
# The node levels a role may sit at. Information officers (信息员) serve a community, a grid
# or a single courtyard (the demo city has one at 和平路社区's y005). None: any level.
ROLE_LEVELS: dict[str, frozenset[str] | None] = {
    "grid_worker": frozenset({"grid"}),
    "compound_head": frozenset({"compound"}),
    "building_head": frozenset({"building"}),
    "unit_head": frozenset({"unit"}),
    "info_officer": frozenset({"community", "grid", "compound"}),
    "community_staff": frozenset({"community"}),
    "street_staff": frozenset({"street"}),
    "district_staff": frozenset({"district"}),
    "city_staff": frozenset({"city"}),
    "department_staff": None,
}
assert set(ROLE_LEVELS) == set(ROLES)

# Ids come from a city's HR or 网格化 system ("u-km-heping-g03", "GZ2024001"): case matters.
STAFF_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
DEPARTMENT_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
_STAFF_ID_RE = re.compile(STAFF_ID_PATTERN)
_DEPARTMENT_RE = re.compile(DEPARTMENT_PATTERN)


def check_role(role: str, node: str, level: str, department: str | None) -> None:
    """Does `role` fit a node of `level`? Department staff (and only they) name a department."""
    if role not in ROLE_LEVELS:
        raise Invalid(f"unknown role '{role}'; one of {', '.join(ROLES)}", field="role")
    levels = ROLE_LEVELS[role]
    if levels is not None and level not in levels:
        raise Invalid(
            f"a {role} serves at a {' or '.join(sorted(levels))}, "
            f"but '{node}' is a {level}",
            field="node",
        )
    if role == "department_staff":
        if not department or not _DEPARTMENT_RE.match(department):
            raise Invalid("department staff need a department code like 'km-cgj'",
                          field="department")
    elif department is not None:
        raise Invalid(f"only department staff name a department, not a {role}",
                      field="department")


class Person(TieredAggregate):
    TOPIC = "gongzhi.person"

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.person.created.v1"  # required by eventsourcing; never emitted

    @staticmethod
    def id_for(staff_id: str) -> UUID:
        return uuid5(_PERSON_NS, staff_id)

    @classmethod
    def register(
        cls, *, staff_id: str, name: str, home: str, contact_sealed: str | None, meta: Meta
    ) -> Person:
        """A person belongs to a home node (the organisation that keeps their file), so
        their events carry a tier before any role is assigned, and scope rules apply."""
        if not _STAFF_ID_RE.match(staff_id):
            raise Invalid(f"'{staff_id}' is not a staff id (letters, digits, '.', '_', '-')",
                          field="staff_id")
        if not name.strip():
            raise Invalid("a person needs a name", field="name")
        return cls(id=cls.id_for(staff_id), staff_id=staff_id, name=name.strip(), home=home,
                   contact_sealed=contact_sealed, tier=home, meta=meta)

    @event("Registered", topic="gongzhi.person.registered.v1")
    def __init__(
        self, *, id: UUID, staff_id: str, name: str, home: str, contact_sealed: str | None,
        tier: str, meta: Meta,
    ) -> None:
        self.staff_id = staff_id
        self.name = name
        self.home = home
        self.contact_sealed = contact_sealed
        # Current roles, oldest first: {"role", "node", "department", "since" (ISO time)}. A
        # list, not a dict keyed by (role, node), so the state stays plain JSON.
        self.roles: list[dict[str, Any]] = []

    # -- commands -------------------------------------------------------------------------

    def update(self, meta: Meta, *, name: str | None = None,
               contact_sealed: str | None = None, contact_changed: bool = False) -> None:
        """Rename and/or replace the (already sealed) contact. Nothing changed, no event:
        re-seeding the same file stays a no-op."""
        changed = []
        if name is not None:
            if not name.strip():
                raise Invalid("a person needs a name", field="name")
            if name.strip() != self.name:
                changed.append("name")
        if contact_changed and (contact_sealed or self.contact_sealed):  # erasing nothing: no-op
            changed.append("contact")
        if changed:
            self._updated(
                staff_id=self.staff_id,
                name=name.strip() if name is not None else self.name,
                contact_sealed=contact_sealed if contact_changed else self.contact_sealed,
                changed=changed, tier=self.home, meta=meta,
            )

    def holds(self, role: str, node: str) -> bool:
        return self._held(role, node) is not None

    def assign(self, role: str, node: str, level: str, department: str | None,
               at: datetime, meta: Meta) -> None:
        check_role(role, node, level, department)
        if self.holds(role, node):
            raise Conflict(f"{self.staff_id} is already {role} at '{node}'",
                           staff_id=self.staff_id, role=role, node=node)
        self._role_assigned(staff_id=self.staff_id, role=role, node=node,
                            department=department, at=at.isoformat(), tier=node, meta=meta)

    def relieve(self, role: str, node: str, reason: str, at: datetime, meta: Meta) -> None:
        held = self._held(role, node)
        if held is None:
            raise IllegalTransition(f"{self.staff_id} is not {role} at '{node}'",
                                    staff_id=self.staff_id, role=role, node=node)
        if not reason.strip():
            raise Invalid("say why the role is relieved", field="reason")
        if at < datetime.fromisoformat(held["since"]):
            raise Invalid(f"a role cannot end ({at.isoformat()}) before it began "
                          f"({held['since']})", field="at")
        self._role_relieved(staff_id=self.staff_id, role=role, node=node,
                            department=held["department"], reason=reason.strip(),
                            at=at.isoformat(), tier=node, meta=meta)

    def _held(self, role: str, node: str) -> dict[str, Any] | None:
        return next((r for r in self.roles if r["role"] == role and r["node"] == node), None)

    # -- events ---------------------------------------------------------------------------

    @event("Updated", topic="gongzhi.person.updated.v1")
    def _updated(self, staff_id: str, name: str, contact_sealed: str | None,
                 changed: list[str], tier: str, meta: Meta) -> None:
        self.name = name
        self.contact_sealed = contact_sealed

    @event("RoleAssigned", topic="gongzhi.person.role_assigned.v1")
    def _role_assigned(self, staff_id: str, role: str, node: str, department: str | None,
                       at: str, tier: str, meta: Meta) -> None:
        self.roles.append({"role": role, "node": node, "department": department, "since": at})

    @event("RoleRelieved", topic="gongzhi.person.role_relieved.v1")
    def _role_relieved(self, staff_id: str, role: str, node: str, department: str | None,
                       reason: str, at: str, tier: str, meta: Meta) -> None:
        self.roles = [r for r in self.roles if not (r["role"] == role and r["node"] == node)]
