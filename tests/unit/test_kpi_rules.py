"""The KPI rule set's rules, pure: what a change may hold, and which rules were in force."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from services.evaluation.domain.kpi_rules import DEFAULT_RULES, KpiRules, validated
from shared.errors import IllegalTransition, Invalid

T0 = datetime(2026, 11, 1, tzinfo=UTC)
ADMIN = {"actor": {"sub": "admin", "role": "admin", "name": "管理员"}}


def rules(**change: object) -> dict:
    return copy.deepcopy(DEFAULT_RULES) | change


def test_the_defaults_are_valid() -> None:
    assert validated(copy.deepcopy(DEFAULT_RULES)) == DEFAULT_RULES


@pytest.mark.parametrize(("change", "words"), [
    ({"node_weights": {"speed": 1}}, "may weigh only"),
    ({"node_weights": {"response_rate": -1}}, "at least 0"),
    ({"node_weights": {"response_rate": 0}}, "above 0"),
    ({"node_weights": {}}, "maps figures"),
    ({"department_weights": {"response_rate": 1}}, "may weigh only"),
    ({"node_thresholds": {"score": 120}}, "between 0 and 100"),
    ({"node_thresholds": {"response_rate": 80}}, "between 0 and 1"),
    ({"department_thresholds": {"resolution_rate": 0.5}}, "may name score"),
    ({"consecutive_months": 0}, "1 to 12"),
    ({"consecutive_months": True}, "1 to 12"),
    ({"bonus": 1}, "unknown rule bonus"),
])
def test_bad_rules_are_refused_with_the_reason(change: dict, words: str) -> None:
    with pytest.raises(Invalid, match=words):
        validated(rules(**change))


def test_a_missing_rule_is_refused() -> None:
    incomplete = rules()
    del incomplete["consecutive_months"]
    with pytest.raises(Invalid, match="missing rule consecutive_months"):
        validated(incomplete)


def test_the_rules_in_force_at_an_instant_are_the_last_change_before_it() -> None:
    r = KpiRules.adopt(rules(consecutive_months=3), "首次", T0, "km", ADMIN)
    r.change(rules(consecutive_months=4), "从严", T0 + timedelta(days=10), "km", ADMIN)
    assert r.in_force_at(T0 - timedelta(seconds=1)) == DEFAULT_RULES
    assert r.in_force_at(T0)["consecutive_months"] == 3
    assert r.in_force_at(T0 + timedelta(days=9))["consecutive_months"] == 3
    assert r.in_force_at(T0 + timedelta(days=10))["consecutive_months"] == 4
    assert [(h["reason"], h["by"]["sub"]) for h in r.history] == [("首次", "admin"),
                                                                  ("从严", "admin")]


def test_an_unchanged_or_backdated_change_is_refused() -> None:
    r = KpiRules.adopt(rules(), "首次", T0, "km", ADMIN)
    with pytest.raises(IllegalTransition, match="already the rules in force"):
        r.change(rules(), "again", T0 + timedelta(days=1), "km", ADMIN)
    with pytest.raises(IllegalTransition, match="predate"):
        r.change(rules(consecutive_months=5), "back", T0 - timedelta(days=1), "km", ADMIN)
    assert len(r.history) == 1


def test_rule_events_are_versioned_public_types() -> None:
    from tests.unit.test_event_contracts import TYPE, event_classes

    topics = [c.TOPIC for c in event_classes(KpiRules)]
    assert sorted(topics) == ["gongzhi.kpi_rules.adopted.v1", "gongzhi.kpi_rules.changed.v1"]
    assert all(TYPE.match(t) for t in topics)
