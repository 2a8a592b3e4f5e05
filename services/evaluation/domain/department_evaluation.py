"""A street's or community's evaluation of a department it summoned (社区评部门).

Once a whistle has closed (every summoned department completed), the tier that blew it rates
each department once: timeliness, effectiveness and attitude, 1 to 5. What the service knows
of the whistle comes from its read model of grid's whistle events (`WhistleFacts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain import Meta, TieredAggregate
from shared.errors import IllegalTransition, Invalid

ASPECTS = ("timeliness", "effectiveness", "attitude")
SCORES = range(1, 6)
_ID_NS = uuid5(NAMESPACE_URL, "https://gongzhi.dev/evaluation/department-evaluations")

@dataclass(frozen=True)
class WhistleFacts:
    whistle_id: UUID
    node: str
    departments: tuple[str, ...]
    status: str  # open / closed


def check_may_evaluate(whistle: WhistleFacts, department: str, scores: dict[str, int]) -> None:
    if whistle.status != "closed":
        raise IllegalTransition(
            "the whistle is still open: departments are evaluated once every summoned "
            "department has completed", current_status=whistle.status)
    if department not in whistle.departments:
        raise IllegalTransition(f"{department} was not summoned by this whistle",
                                summoned=list(whistle.departments))
    for aspect in ASPECTS:
        score = scores.get(aspect)
        if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
            raise Invalid(f"{aspect} is scored with a whole number from 1 to 5, not {score!r}",
                          field=aspect)


class DepartmentEvaluation(TieredAggregate):
    TOPIC = "gongzhi.department_evaluation"

    @staticmethod
    def id_for(whistle_id: UUID, department: str) -> UUID:
        """One evaluation per (whistle, department): a second one finds the first."""
        return uuid5(_ID_NS, f"{whistle_id}\x1f{department}")

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.department_evaluation.created.v1"  # required; never emitted

    @event("Recorded", topic="gongzhi.department_evaluation.recorded.v1")
    def __init__(self, *, id: UUID, whistle_id: str, department: str, node: str,
                 timeliness: int, effectiveness: int, attitude: int, comment: str, at: str,
                 tier: str, meta: Meta) -> None:
        self.whistle_id = whistle_id
        self.department = department
        self.node = node
        self.timeliness = timeliness
        self.effectiveness = effectiveness
        self.attitude = attitude
        self.comment = comment
        self.at = at

    @classmethod
    def record(cls, whistle: WhistleFacts, department: str, scores: dict[str, int],
               comment: str, now: datetime, meta: Meta) -> DepartmentEvaluation:
        check_may_evaluate(whistle, department, scores)
        return cls(id=cls.id_for(whistle.whistle_id, department),
                   whistle_id=str(whistle.whistle_id), department=department, node=whistle.node,
                   timeliness=scores["timeliness"], effectiveness=scores["effectiveness"],
                   attitude=scores["attitude"], comment=comment, at=now.isoformat(),
                   tier=whistle.node, meta=meta)
