"""The KPI rule set (考核规则): the weights of each composite score, the thresholds below
which a node or department is flagged for supervision, and for how many consecutive months.

One aggregate for the platform, changed by an administrator; every change is an event with
its business time, so the rules in force at any past instant are known and a report "as of"
that instant is judged by the rules of that instant. A report asked for now judges every
month, past ones included, by today's rules: changing a weight recomputes history from the
same facts without touching a single event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.evaluation.kpi.definitions import DEPARTMENT_SCORED, NODE_SCORED
from shared.domain import Meta, TieredAggregate
from shared.errors import IllegalTransition, Invalid

Rules = dict[str, Any]

DEFAULT_RULES: Rules = {
    # Third-party surveys (survey_index) weigh nothing until an administrator says so: a
    # zero weight keeps every score as it was.
    "node_weights": {"response_rate": 0.3, "resolution_rate": 0.3, "satisfaction_rate": 0.3,
                     "report_in_rate": 0.1, "wish_rate": 0.0,
                     "survey_index": 0.0},
    "department_weights": {"report_in_rate": 0.5, "evaluation_index": 0.5},
    "node_thresholds": {"score": 80.0},
    "department_thresholds": {"score": 80.0},
    "consecutive_months": 2,
}
_RULES_ID = uuid5(NAMESPACE_URL, "https://gongzhi.dev/evaluation/kpi-rules")


def _check_weights(name: str, weights: Any, allowed: tuple[str, ...]) -> dict[str, float]:
    if not isinstance(weights, dict) or not weights:
        raise Invalid(f"{name} maps figures to weights, e.g. {{\"{allowed[0]}\": 1}}", field=name)
    unknown = set(weights) - set(allowed)
    if unknown:
        raise Invalid(f"{name} may weigh only {', '.join(allowed)}; "
                      f"not {', '.join(sorted(unknown))}", field=name)
    if any(not isinstance(w, int | float) or w < 0 for w in weights.values()):
        raise Invalid(f"{name}: weights are numbers of at least 0", field=name)
    if sum(weights.values()) <= 0:
        raise Invalid(f"{name}: at least one weight must be above 0", field=name)
    return {k: float(w) for k, w in weights.items()}


def _check_thresholds(name: str, thresholds: Any, allowed: tuple[str, ...]) -> dict[str, float]:
    if not isinstance(thresholds, dict):
        raise Invalid(f"{name} maps figures to minimums, e.g. {{\"score\": 80}}", field=name)
    unknown = set(thresholds) - {"score", *allowed}
    if unknown:
        raise Invalid(f"{name} may name score, {', '.join(allowed)}; not "
                      f"{', '.join(sorted(unknown))}", field=name)
    for key, minimum in thresholds.items():
        top = 100 if key == "score" else 1
        if not isinstance(minimum, int | float) or not 0 <= minimum <= top:
            raise Invalid(f"{name}.{key} must lie between 0 and {top} "
                          f"({'a score' if top == 100 else 'a share'})", field=name)
    return {k: float(v) for k, v in thresholds.items()}


def validated(rules: Rules) -> Rules:
    """The whole rule set, checked; an unknown key is refused rather than ignored."""
    unknown = set(rules) - set(DEFAULT_RULES)
    if unknown:
        raise Invalid(f"unknown rule {', '.join(sorted(unknown))}; the rules are "
                      f"{', '.join(DEFAULT_RULES)}", field="rules")
    missing = set(DEFAULT_RULES) - set(rules)
    if missing:
        raise Invalid(f"missing rule {', '.join(sorted(missing))}", field="rules")
    months = rules["consecutive_months"]
    if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 12:
        raise Invalid("consecutive_months is a whole number from 1 to 12",
                      field="consecutive_months")
    return {
        "node_weights": _check_weights("node_weights", rules["node_weights"], NODE_SCORED),
        "department_weights": _check_weights("department_weights", rules["department_weights"],
                                             DEPARTMENT_SCORED),
        "node_thresholds": _check_thresholds("node_thresholds", rules["node_thresholds"],
                                             NODE_SCORED),
        "department_thresholds": _check_thresholds(
            "department_thresholds", rules["department_thresholds"], DEPARTMENT_SCORED),
        "consecutive_months": months,
    }


class KpiRules(TieredAggregate):
    TOPIC = "gongzhi.kpi_rules"
    ID = _RULES_ID

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.kpi_rules.created.v1"  # required by eventsourcing; never emitted

    @event("Adopted", topic="gongzhi.kpi_rules.adopted.v1")
    def __init__(self, *, id: UUID, rules: Rules, reason: str, at: str, tier: str,
                 meta: Meta) -> None:
        self.history: list[dict[str, Any]] = []
        self._record(rules, reason, at, meta)

    @classmethod
    def adopt(cls, rules: Rules, reason: str, at: datetime, tier: str, meta: Meta) -> KpiRules:
        return cls(id=cls.ID, rules=validated(rules), reason=reason, at=at.isoformat(),
                   tier=tier, meta=meta)

    @property
    def current(self) -> Rules:
        return self.history[-1]["rules"]

    def change(self, rules: Rules, reason: str, at: datetime, tier: str, meta: Meta) -> None:
        rules = validated(rules)
        if rules == self.current:
            raise IllegalTransition("these are already the rules in force; nothing to change")
        if at < datetime.fromisoformat(self.history[-1]["at"]):
            raise IllegalTransition("a rule change cannot predate the one in force")
        self._changed(rules=rules, reason=reason, at=at.isoformat(), tier=tier, meta=meta)

    def in_force_at(self, instant: datetime) -> Rules:
        """The rules a report shown at `instant` used: the last change at or before it, the
        defaults before the first."""
        found = DEFAULT_RULES
        for entry in self.history:
            if datetime.fromisoformat(entry["at"]) <= instant:
                found = entry["rules"]
        return found

    @event("Changed", topic="gongzhi.kpi_rules.changed.v1")
    def _changed(self, rules: Rules, reason: str, at: str, tier: str, meta: Meta) -> None:
        self._record(rules, reason, at, meta)

    def _record(self, rules: Rules, reason: str, at: str, meta: Meta) -> None:
        self.history.append({"at": at, "rules": rules, "reason": reason,
                             "by": (meta or {}).get("actor")})
