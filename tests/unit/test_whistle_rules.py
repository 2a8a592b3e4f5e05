"""The whistle's rules, pure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.grid.domain.whistle import Whistle, deadlines
from shared.errors import IllegalTransition, Invalid

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def whistle(situation: str = "law_enforcement", factor: float = 1.0) -> Whistle:
    summons = deadlines(situation, ["cgj", "gaj"], T0, factor)
    return Whistle(id=uuid.uuid4(), node="km.guandu.taihe", situation=situation, title="t",
                   issue_id=None, departments=list(summons), summons=summons, mode="daily",
                   at=T0.isoformat(), tier="km.guandu.taihe", meta={})


def test_deadlines_follow_the_situation_and_the_mode() -> None:
    assert deadlines("emergency", ["a"], T0, 1.0)["a"] == (T0 + timedelta(minutes=30)).isoformat()
    assert deadlines("key_task", ["a"], T0, 0.5)["a"] == (T0 + timedelta(hours=12)).isoformat()
    assert deadlines("law_enforcement", ["a"], T0, 1.0, timedelta(minutes=10))["a"] == (
        T0 + timedelta(minutes=10)).isoformat()
    with pytest.raises(Invalid, match="not a whistle situation"):
        deadlines("routine", ["a"], T0, 1.0)
    with pytest.raises(Invalid, match="at least one"):
        deadlines("emergency", [], T0, 1.0)


def test_overdue_is_marked_once_and_only_for_those_who_did_not_report() -> None:
    w = whistle()
    w.report_in("gaj", T0 + timedelta(minutes=5), "", {})
    assert w.mark_overdue(T0 + timedelta(hours=1), {}) == []  # not late yet
    assert w.mark_overdue(T0 + timedelta(hours=3), {}) == ["cgj"]
    assert w.mark_overdue(T0 + timedelta(hours=4), {}) == []
    w.report_in("cgj", T0 + timedelta(hours=5), "", {})
    late = [e for e in w.collect_events() if type(e).__name__ == "DepartmentReported"][-1]
    assert late.late is True and late.late_minutes == 180
    # The whistle itself records who reported in late, and by how long.
    assert (w.summons["cgj"]["late"], w.summons["cgj"]["late_minutes"]) == (True, 180)
    assert (w.summons["gaj"]["late"], w.summons["gaj"]["late_minutes"]) == (False, 0)


def test_a_second_past_the_deadline_is_late_by_a_minute() -> None:
    w = whistle()
    deadline = datetime.fromisoformat(w.summons["cgj"]["deadline"])
    w.report_in("cgj", deadline, "", {})
    w.report_in("gaj", deadline + timedelta(seconds=1), "", {})
    assert [(s["late"], s["late_minutes"]) for s in w.summons.values()] == [(False, 0), (True, 1)]


def test_completing_needs_a_report_and_the_last_one_closes() -> None:
    w = whistle()
    with pytest.raises(IllegalTransition, match="report in before completing"):
        w.complete("cgj", T0, "x", {})
    with pytest.raises(IllegalTransition, match="not summoned"):
        w.report_in("xfj", T0, "", {})
    for d in ("cgj", "gaj"):
        w.report_in(d, T0, "", {})
    w.complete("cgj", T0, "done", {})
    assert w.status == "open"
    w.complete("gaj", T0, "done", {})
    assert w.status == "closed"
    with pytest.raises(IllegalTransition, match="closed"):
        w.report_in("cgj", T0, "", {})
    assert w.mark_overdue(T0 + timedelta(days=9), {}) == []
