"""A household (户): one dwelling under a building unit, its floor area, and who lives there.

The register answers two questions a consultation needs: which households exist under a node,
with what floor area (民法典 第278条 counts owners by area and by number), and which resident
accounts speak for a household online. A resident links themself (or staff link them); the
link counts only once the compound head or community staff verified it. A move is the
resident leaving one household and joining another, so the stream of each household keeps
who lived there when.

Floor area is square metres with at most two decimals, kept as a decimal string so sums and
the art. 278 thresholds stay exact.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain import Meta, TieredAggregate
from shared.errors import Conflict, IllegalTransition, Invalid

_HOUSEHOLD_NS = uuid5(NAMESPACE_URL, "https://gongzhi.dev/grid/households")

# The same ids consultations name as eligible households ("jjy102-b1-301").
HOUSEHOLD_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
# A resident account's subject, as tokens carry it ("r-001", "138xxxx", "wx:o6_bm…").
RESIDENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@:+-]{0,127}$"
RELATIONS = ("owner", "tenant", "family")
# A dwelling sits in a unit; a building without units holds its dwellings itself.
LEVELS = ("unit", "building")
MAX_AREA = Decimal("100000")
_HOUSEHOLD_RE = re.compile(HOUSEHOLD_PATTERN)


def parse_area(value: object) -> Decimal:
    """Square metres, more than 0, at most two decimals: '89.5' -> Decimal('89.50')."""
    try:
        area = Decimal(str(value).strip())
    except InvalidOperation:
        raise Invalid(f"floor area '{value}' is not a number of square metres",
                      field="area") from None
    if not area.is_finite() or not 0 < area <= MAX_AREA:
        raise Invalid(f"floor area {value} must be more than 0 and at most {MAX_AREA} m²",
                      field="area")
    if area != area.quantize(Decimal("0.01")):
        raise Invalid(f"floor area {value} has more than two decimals", field="area")
    return area.quantize(Decimal("0.01"))


class Household(TieredAggregate):
    TOPIC = "gongzhi.household"

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.household.created.v1"  # required by eventsourcing; never emitted

    @staticmethod
    def id_for(code: str) -> UUID:
        return uuid5(_HOUSEHOLD_NS, code)

    @classmethod
    def register(cls, *, code: str, node: str, level: str, area: object, at: datetime,
                 meta: Meta) -> Household:
        if not _HOUSEHOLD_RE.match(code):
            raise Invalid(f"'{code}' is not a household id (lowercase letters, digits, '-')",
                          field="code")
        if level not in LEVELS:
            raise Invalid(f"a household sits in a building unit (or a building without "
                          f"units), but '{node}' is a {level}", field="node")
        return cls(id=cls.id_for(code), code=code, node=node, area=str(parse_area(area)),
                   at=at.isoformat(), tier=node, meta=meta)

    @event("Registered", topic="gongzhi.household.registered.v1")
    def __init__(self, *, id: UUID, code: str, node: str, area: str, at: str, tier: str,
                 meta: Meta) -> None:
        self.code = code
        self.node = node
        self.area = area
        self.registered_at = at
        # resident -> {"relation", "verified" (bool), "since", "verified_at", "verified_by"}
        self.members: dict[str, dict[str, Any]] = {}

    # -- commands -------------------------------------------------------------------------

    def change_area(self, area: object, reason: str, at: datetime, meta: Meta) -> bool:
        """A corrected floor area (a survey, a property certificate). The same area is a
        no-op. Consultations already open keep the areas they opened with."""
        new = str(parse_area(area))
        if new == self.area:
            return False
        if not reason.strip():
            raise Invalid("say why the floor area changes", field="reason")
        self._area_changed(household=self.code, area=new, previous=self.area, reason=reason.strip(),
                           at=at.isoformat(), tier=self.node, meta=meta)
        return True

    def link(self, resident: str, relation: str, at: datetime, meta: Meta) -> None:
        """A resident says they live here (or staff enrol them): pending until verified."""
        if relation not in RELATIONS:
            raise Invalid(f"'{relation}' is not a relation; one of {', '.join(RELATIONS)}",
                          field="relation")
        if resident in self.members:
            raise Conflict(f"resident {resident} is already linked to household {self.code}",
                           resident=resident, household=self.code)
        self._resident_linked(household=self.code, resident=resident, relation=relation,
                              moved_from=None, at=at.isoformat(), tier=self.node, meta=meta)

    def verify(self, resident: str, at: datetime, meta: Meta) -> None:
        member = self._member(resident, "verify")
        if member["verified"]:
            raise Conflict(f"resident {resident} is already verified for household "
                           f"{self.code}", resident=resident, household=self.code)
        self._resident_verified(household=self.code, resident=resident,
                                relation=member["relation"], at=at.isoformat(),
                                tier=self.node, meta=meta)

    def unlink(self, resident: str, reason: str, at: datetime, meta: Meta,
               moved_to: str | None = None) -> None:
        """The resident leaves (moved out, sold, a link refused): kept in the history."""
        member = self._member(resident, "unlink")
        if not reason.strip():
            raise Invalid("say why the resident leaves the household", field="reason")
        self._resident_left(household=self.code, resident=resident,
                            relation=member["relation"], was_verified=member["verified"],
                            reason=reason.strip(), moved_to=moved_to, at=at.isoformat(),
                            tier=self.node, meta=meta)

    def move_in(self, resident: str, relation: str, moved_from: str, at: datetime,
                meta: Meta) -> None:
        """Joining after a move that staff recorded: linked and verified at once."""
        if relation not in RELATIONS:
            raise Invalid(f"'{relation}' is not a relation; one of {', '.join(RELATIONS)}",
                          field="relation")
        if resident in self.members:
            raise Conflict(f"resident {resident} is already linked to household {self.code}",
                           resident=resident, household=self.code)
        self._resident_linked(household=self.code, resident=resident, relation=relation,
                              moved_from=moved_from, at=at.isoformat(), tier=self.node,
                              meta=meta)
        self._resident_verified(household=self.code, resident=resident, relation=relation,
                                at=at.isoformat(), tier=self.node, meta=meta)

    def verified_members(self) -> list[str]:
        return [r for r, m in self.members.items() if m["verified"]]

    def _member(self, resident: str, doing: str) -> dict[str, Any]:
        member = self.members.get(resident)
        if member is None:
            raise IllegalTransition(f"cannot {doing} resident {resident}: not linked to "
                                    f"household {self.code}", resident=resident,
                                    household=self.code)
        return member

    # -- events ---------------------------------------------------------------------------

    @event("AreaChanged", topic="gongzhi.household.area_changed.v1")
    def _area_changed(self, household: str, area: str, previous: str, reason: str, at: str,
                      tier: str, meta: Meta) -> None:
        self.area = area

    @event("ResidentLinked", topic="gongzhi.household.resident_linked.v1")
    def _resident_linked(self, household: str, resident: str, relation: str,
                         moved_from: str | None, at: str, tier: str, meta: Meta) -> None:
        self.members[resident] = {"relation": relation, "verified": False, "since": at,
                                  "verified_at": None, "verified_by": None}

    @event("ResidentVerified", topic="gongzhi.household.resident_verified.v1")
    def _resident_verified(self, household: str, resident: str, relation: str, at: str,
                           tier: str, meta: Meta) -> None:
        self.members[resident] |= {"verified": True, "verified_at": at,
                                   "verified_by": (meta.get("actor") or {}).get("sub")}

    @event("ResidentLeft", topic="gongzhi.household.resident_left.v1")
    def _resident_left(self, household: str, resident: str, relation: str,
                       was_verified: bool, reason: str, moved_to: str | None, at: str,
                       tier: str, meta: Meta) -> None:
        self.members.pop(resident, None)
