"""The one scope rule: may this caller reach what a request names (a node, a department, a
person)? Every route that reads or writes scoped data asks `reaches` (through
`Principal.covers`/`require_scope` or `require_reach`), so there is exactly one place where
"inside my scope" is decided, always on dot boundaries (docs/access.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from shared.errors import Forbidden
from shared.tiers import is_valid_path, is_within

if TYPE_CHECKING:
    from shared.auth import Principal


def reaches(who: Principal, places: Iterable[str] = (), *, department: str | None = None,
            person: str | None = None) -> bool:
    """True when `who` may reach a thing lying at `places` (a node: itself; a department:
    its jurisdiction; a person: their home and the nodes they serve).

    - an admin reaches everything;
    - a person reaches themself (`person` is their `sub`);
    - department staff reach their own department, and no other department;
    - otherwise one of `places` must be the caller's scope or lie beneath it.
    """
    if who.role == "admin":
        return True
    if person is not None and person == who.sub:
        return True
    if department is not None and who.role == "department_staff":
        return department == who.department
    if not isinstance(who.scope, str) or not is_valid_path(who.scope):
        return False  # tokens are vouched for, but a bad scope must never widen anything
    return any(isinstance(p, str) and is_within(p, who.scope) for p in places)


def require_reach(who: Principal, doing: str, places: Iterable[str] = (), *,
                  department: str | None = None, person: str | None = None) -> None:
    """`reaches`, or 403 saying what lay outside the caller's scope."""
    places = list(places)
    if reaches(who, places, department=department, person=person):
        return
    named = (f"department {department}" if department else
             f"{person}" if person else f"'{places[0]}'" if len(places) == 1 else
             ", ".join(f"'{p}'" for p in places) or "nothing in particular")
    if department and who.role == "department_staff":
        raise Forbidden(f"department staff of {who.department} may not {doing} of {named}",
                        department=who.department)
    raise Forbidden(f"{who.role} scoped to '{who.scope}' may not {doing} at {named}: "
                    "it lies outside that scope", scope=who.scope)
