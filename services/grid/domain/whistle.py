"""A whistle (吹哨): a street or community summons departments to a place; each must report
in (报到) before its deadline and later complete with an outcome. A department that misses
its deadline is overdue, exactly once, and the tier above supervises (督办). The whistle
closes when every summoned department has completed.

Business time (`at`, deadlines) comes from the caller's clock, so deadlines are testable
without waiting; eventsourcing's own timestamp records when the event was stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain import Meta, TieredAggregate
from shared.errors import IllegalTransition, Invalid
from shared.tiers import parent_of

SITUATIONS = ("law_enforcement", "key_task", "emergency")
# How long a summoned department has to report in, in daily mode (emergency mode shortens it).
REPORT_IN = {
    "emergency": timedelta(minutes=30),
    "law_enforcement": timedelta(hours=2),
    "key_task": timedelta(hours=24),
}
_IDEMPOTENCY_NS = uuid5(NAMESPACE_URL, "https://gongzhi.dev/grid/whistles/idempotency")


def deadlines(situation: str, departments: list[str], now: datetime, factor: float,
              within: timedelta | None = None) -> dict[str, str]:
    """Each department's report-in deadline: the situation's allowance (or the blower's own),
    times the operating mode's factor (1 in daily mode)."""
    if situation not in SITUATIONS:
        raise Invalid(f"'{situation}' is not a whistle situation; one of {', '.join(SITUATIONS)}",
                      field="situation")
    if not departments:
        raise Invalid("summon at least one department", field="departments")
    if len(set(departments)) != len(departments):
        raise Invalid("a department is summoned twice", field="departments")
    allowance = (within or REPORT_IN[situation]) * factor
    return {code: (now + allowance).isoformat() for code in departments}


def _late_minutes(deadline: str, at: str) -> int:
    """Whole minutes past the deadline, rounded up (a second late is a minute late); 0 on time."""
    late = datetime.fromisoformat(at) - datetime.fromisoformat(deadline)
    return max(0, -(-int(late.total_seconds()) // 60))


class Whistle(TieredAggregate):
    TOPIC = "gongzhi.whistle"

    @staticmethod
    def id_for(blower: str, idempotency_key: str) -> UUID:
        """A retried blow with the same key finds the whistle it already made."""
        return uuid5(_IDEMPOTENCY_NS, f"{blower}\x1f{idempotency_key}")

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.whistle.created.v1"  # required by eventsourcing; never emitted

    @event("Blown", topic="gongzhi.whistle.blown.v1")
    def __init__(
        self, *, id: UUID, node: str, situation: str, title: str,
        issue_id: str | None, departments: list[str], summons: dict[str, str], mode: str,
        at: str, tier: str, meta: Meta,
    ) -> None:
        self.node = node
        self.situation = situation
        self.title = title
        self.issue_id = issue_id
        self.mode = mode
        self.blown_at = at
        self.status = "open"
        self.summons: dict[str, dict[str, Any]] = {
            code: {"deadline": deadline, "reported_at": None, "late": None,
                   "late_minutes": None, "completed_at": None, "overdue": False,
                   "outcome": None}
            for code, deadline in summons.items()
        }

    @property
    def supervisor(self) -> str:
        """The tier above the blower's node, which supervises an overdue department."""
        return parent_of(self.node) or self.node

    # -- commands -------------------------------------------------------------------------

    def report_in(self, department: str, at: datetime, note: str, meta: Meta) -> None:
        s = self._summons(department, "report in")
        if s["reported_at"]:
            raise IllegalTransition(f"{department} already reported in at {s['reported_at']}")
        late = at > datetime.fromisoformat(s["deadline"])
        self._reported(department=department, at=at.isoformat(), late=late, note=note,
                       tier=self.node, meta=meta,
                       late_minutes=_late_minutes(s["deadline"], at.isoformat()))

    def complete(self, department: str, at: datetime, outcome: str, meta: Meta) -> None:
        s = self._summons(department, "complete")
        if not s["reported_at"]:
            raise IllegalTransition(f"{department} must report in before completing")
        if s["completed_at"]:
            raise IllegalTransition(f"{department} already completed at {s['completed_at']}")
        self._completed(department=department, at=at.isoformat(), outcome=outcome,
                        tier=self.node, meta=meta)
        if all(x["completed_at"] for x in self.summons.values()):
            self._closed(at=at.isoformat(), departments=list(self.summons), tier=self.node,
                         meta=meta)

    def overdue_now(self, now: datetime) -> list[str]:
        """Departments past their deadline that have neither reported in nor been marked."""
        return [code for code, s in self.summons.items()
                if not s["reported_at"] and not s["overdue"]
                and now > datetime.fromisoformat(s["deadline"])]

    def mark_overdue(self, now: datetime, meta: Meta) -> list[str]:
        """One WhistleOverdue per department that missed its deadline; marking again is a
        no-op, so two watchers racing produce each overdue once (the loser's save conflicts,
        it reloads, and finds nothing left to mark)."""
        late = self.overdue_now(now) if self.status == "open" else []
        for code in late:
            self._overdue(department=code, deadline=self.summons[code]["deadline"],
                          supervisor=self.supervisor, at=now.isoformat(), tier=self.node,
                          meta=meta)
        return late

    def _summons(self, department: str, doing: str) -> dict[str, Any]:
        if self.status != "open":
            raise IllegalTransition(f"the whistle is {self.status}; nobody can {doing} now")
        if department not in self.summons:
            raise IllegalTransition(f"{department} was not summoned by this whistle")
        return self.summons[department]

    # -- events ---------------------------------------------------------------------------

    @event("DepartmentReported", topic="gongzhi.whistle.department_reported.v1")
    def _reported(self, department: str, at: str, late: bool, note: str, tier: str,
                  meta: Meta, late_minutes: int | None = None) -> None:
        # The whistle itself says who reported in late, and by how long, not only a read
        # model (issue 11). Events stored before `late_minutes` existed get it computed.
        summons = self.summons[department]
        summons["reported_at"] = at
        summons["late"] = late
        summons["late_minutes"] = (late_minutes if late_minutes is not None
                                   else _late_minutes(summons["deadline"], at))

    @event("DepartmentCompleted", topic="gongzhi.whistle.department_completed.v1")
    def _completed(self, department: str, at: str, outcome: str, tier: str, meta: Meta) -> None:
        self.summons[department]["completed_at"] = at
        self.summons[department]["outcome"] = outcome

    @event("Overdue", topic="gongzhi.whistle.overdue.v1")
    def _overdue(self, department: str, deadline: str, supervisor: str, at: str, tier: str,
                 meta: Meta) -> None:
        self.summons[department]["overdue"] = True

    @event("Closed", topic="gongzhi.whistle.closed.v1")
    def _closed(self, at: str, departments: list[str], tier: str, meta: Meta) -> None:
        self.status = "closed"
