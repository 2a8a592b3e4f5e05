"""The evaluation Application's KPI-rule commands, mixed into EvaluationApplication."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.evaluation.domain.kpi_rules import DEFAULT_RULES, KpiRules, Rules
from shared.domain import Meta
from shared.errors import NotFound


class KpiRuleCommands:
    """Needs the host Application's repository, clock, save and change_and_save."""

    repository: Any
    clock: Any
    save: Any
    change_and_save: Any

    def kpi_rules(self) -> KpiRules | None:
        try:
            return self.repository.get(KpiRules.ID)
        except AggregateNotFoundError:
            return None

    def rules_in_force(self, instant: datetime | None = None) -> Rules:
        """The rules at `instant`, or today's when None (which re-judges past months)."""
        rules = self.kpi_rules()
        if rules is None:
            return DEFAULT_RULES
        return rules.in_force_at(instant) if instant is not None else rules.current

    def change_kpi_rules(self, new: Rules, reason: str, tier: str, meta: Meta) -> KpiRules:
        """The first change adopts a rule set (the defaults held until then); later ones
        change it. Two administrators racing: the loser's save conflicts and its change is
        judged again against the winner's rules."""
        if self.kpi_rules() is None:
            adopted = KpiRules.adopt(new, reason, self.clock.now(), tier, meta)
            try:
                self.save(adopted)
                return adopted
            except IntegrityError:
                pass
        rules, _ = self.change_and_save(
            self._existing_rules,
            lambda r: r.change(new, reason, self.clock.now(), tier, meta), "the KPI rules")
        return rules

    def kpi_rules_history(self) -> list[dict[str, Any]]:
        rules = self.kpi_rules()
        return list(rules.history) if rules else []

    def _existing_rules(self) -> KpiRules:
        rules = self.kpi_rules()
        if rules is None:
            raise NotFound("no KPI rules adopted yet")
        return rules
