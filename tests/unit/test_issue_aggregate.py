"""The Issue aggregate's rules, without any I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.issues.domain.issue import Issue
from services.issues.domain.triage import route
from shared.errors import IllegalTransition, Invalid

META = {"actor": {"sub": "w1", "role": "grid_worker", "name": "李娟"}}
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
BUILDING = "km.guandu.taihe.heping.g03.y017.b02"
ANCESTRY = [("km", "city"), ("km.guandu", "district"), ("km.guandu.taihe", "street"),
            ("km.guandu.taihe.heping", "community"), ("km.guandu.taihe.heping.g03", "grid"),
            ("km.guandu.taihe.heping.g03.y017", "compound"), (BUILDING, "building")]
RULE = {"level": "community", "departments": ["cgj"], "ack_hours": 24, "resolve_hours": 72}


def new_issue(key: str = "key-1", reporter: str = "r1", node: str = BUILDING,
              triaged: bool = True) -> Issue:
    issue = Issue(
        id=Issue.id_for(reporter, key), node=node, title="后巷垃圾", description="",
        category="environment.back_lane", channel="app", location=None, photos=[],
        contact_sealed=None, reporter=reporter, fingerprint="f", tier=node, meta=META,
        at=T0.isoformat(),
    )
    if triaged:
        issue.triage(route(RULE, ANCESTRY, "daily", 0.5, T0), issue.category, "auto", T0, META)
    return issue


def test_the_happy_path_records_one_event_per_step() -> None:
    issue = new_issue()
    issue.classify("environment", T0, META)
    issue.acknowledge("收到", T0, META)
    issue.assign({"kind": "grid_worker", "id": "w1", "name": "李娟"}, "", T0, META)
    issue.note_progress("已联系商户", ["https://img.example/1.jpg"], T0, META)
    issue.resolve("已清理", [], T0, META)
    issue.close("", T0, META)
    types = [type(e).TOPIC for e in issue.collect_events()]
    assert types == [
        "gongzhi.issue.raised.v1", "gongzhi.issue.triaged.v1", "gongzhi.issue.classified.v1",
        "gongzhi.issue.acknowledged.v1", "gongzhi.issue.assigned.v1",
        "gongzhi.issue.progress_noted.v1", "gongzhi.issue.resolved.v2",
        "gongzhi.issue.closed.v1",
    ]
    assert issue.status == "closed"


@pytest.mark.parametrize(
    ("steps", "illegal"),
    [
        ([], "resolve"),  # nobody acknowledged it yet
        ([], "close"),
        ([], "note"),
        (["acknowledge"], "acknowledge"),
        (["acknowledge", "resolve"], "assign"),
        (["acknowledge", "resolve", "close"], "resolve"),  # resolving a closed issue
        (["acknowledge", "resolve", "close"], "classify"),
    ],
)
def test_illegal_transitions_are_refused_and_record_nothing(steps: list[str], illegal: str) -> None:
    issue = new_issue()
    do = {
        "acknowledge": lambda: issue.acknowledge("", T0, META),
        "assign": lambda: issue.assign({"kind": "grid_worker", "id": "w"}, "", T0, META),
        "resolve": lambda: issue.resolve("done", [], T0, META),
        "close": lambda: issue.close("", T0, META),
        "classify": lambda: issue.classify("safety", T0, META),
        "note": lambda: issue.note_progress("x", [], T0, META),
    }
    for step in steps:
        do[step]()
    before = len(issue.collect_events())
    with pytest.raises(IllegalTransition) as refused:
        do[illegal]()
    assert issue.status in refused.value.detail
    assert len(issue.collect_events()) == 0 and before == 2 + len(steps)


def test_classifying_to_the_same_category_is_refused() -> None:
    with pytest.raises(IllegalTransition, match="already classified"):
        new_issue().classify("environment.back_lane", T0, META)


def test_idempotency_ids_are_stable_per_reporter_and_key() -> None:
    assert Issue.id_for("r1", "k") == Issue.id_for("r1", "k")
    assert Issue.id_for("r1", "k") != Issue.id_for("r2", "k")
    assert Issue.id_for("r1", "k") != Issue.id_for("r1", "k2")


def test_triage_routes_to_the_categorys_level_with_deadlines_from_raising() -> None:
    issue = new_issue()
    assert issue.handling_node == "km.guandu.taihe.heping"
    assert issue.ack_by == (T0 + timedelta(hours=24)).isoformat()
    assert issue.resolve_by == (T0 + timedelta(hours=72)).isoformat()


def test_escalation_goes_up_one_tier_with_a_reason() -> None:
    issue = new_issue()
    with pytest.raises(Invalid, match="tier by tier"):
        issue.escalate("km.guandu", "超出职权", T0, META)  # skipping the street
    with pytest.raises(Invalid, match="why"):
        issue.escalate("km.guandu.taihe", "  ", T0, META)
    issue.escalate("km.guandu.taihe", "超出社区职权", T0, META)
    assert issue.handling_node == "km.guandu.taihe"
    assert issue.supervisor == "km.guandu"


def test_a_duplicate_merges_only_at_the_same_place_and_its_reporter_follows() -> None:
    survivor, duplicate = new_issue("a", "r1"), new_issue("b", "r2")
    elsewhere = new_issue("c", "r3", node="km.guandu.taihe.heping.g03.y017")
    survivor.collect_events(), duplicate.collect_events(), elsewhere.collect_events()
    with pytest.raises(Invalid, match="same place"):
        elsewhere.merge_into(survivor, T0, META)
    with pytest.raises(Invalid, match="itself"):
        survivor.merge_into(survivor, T0, META)
    assert not elsewhere.collect_events() and not survivor.collect_events()
    duplicate.merge_into(survivor, T0, META)
    assert duplicate.status == "merged" and duplicate.merged_into == str(survivor.id)
    assert survivor.reporters == ["r1", "r2"]
    with pytest.raises(IllegalTransition):
        new_issue("d", "r4").merge_into(duplicate, T0, META)  # into a merged issue
    survivor.acknowledge("", T0, META)
    survivor.resolve("已清理", [], T0, META)
    resolved = survivor.collect_events()[-1]
    assert resolved.reporters == ["r1", "r2"] and resolved.round == 1


def test_an_unsatisfied_rating_reopens_once_then_the_tier_above_supervises() -> None:
    issue = new_issue()
    issue.acknowledge("", T0, META)
    issue.resolve("已清理", [], T0, META)
    assert issue.reopen_after_rating(1, "rating-1", "2026-11-10T00:00:00+00:00", 1, T0,
                                     META) == "reopened"
    assert (issue.status, issue.round) == ("reopened", 2)
    # The same rating again, or a rating of the old round, changes nothing.
    assert issue.reopen_after_rating(1, "rating-1", "x", 1, T0, META) is None
    issue.resolve("再次清理", [], T0, META)
    assert issue.reopen_after_rating(2, "rating-2", "x", 1, T0, META) == "supervised"
    assert issue.status == "resolved" and issue.supervised == ["unsatisfied:2"]
    assert issue.reopen_after_rating(2, "rating-3", "x", 1, T0, META) is None


def test_each_missed_deadline_is_supervised_once_by_the_tier_above() -> None:
    issue = new_issue()
    issue.collect_events()
    assert issue.supervise_overdue(T0 + timedelta(hours=23), META) == []
    assert issue.supervise_overdue(T0 + timedelta(hours=25), META) == ["acknowledge"]
    assert issue.supervise_overdue(T0 + timedelta(hours=26), META) == []
    issue.acknowledge("", T0 + timedelta(hours=26), META)
    assert issue.supervise_overdue(T0 + timedelta(hours=73), META) == ["resolve"]
    assert issue.supervise_overdue(T0 + timedelta(hours=99), META) == []
    supervised = [e for e in issue.collect_events() if type(e).__name__ == "Supervised"]
    assert [(e.kind, e.supervisor) for e in supervised] == [
        ("acknowledge", "km.guandu.taihe"), ("resolve", "km.guandu.taihe")]


def test_emergency_mode_shortens_deadlines() -> None:
    r = route(RULE, ANCESTRY, "emergency", 0.5, T0)
    assert r.ack_by == (T0 + timedelta(hours=12)).isoformat()
    assert r.resolve_by == (T0 + timedelta(hours=36)).isoformat()


def test_handling_level_skips_tiers_the_tree_does_not_have() -> None:
    no_compound = [("nj", "city"), ("nj.gulou", "district"), ("nj.gulou.x", "street"),
                   ("nj.gulou.x.c", "community"), ("nj.gulou.x.c.b1", "building")]
    compound_rule = {**RULE, "level": "compound"}
    assert route(compound_rule, no_compound, "daily", 0.5, T0).handling_node == "nj.gulou.x.c"
    street_wide = no_compound[:3]  # raised at the street itself
    assert route(compound_rule, street_wide, "daily", 0.5, T0).handling_node == "nj.gulou.x"


def test_a_resident_co_signs_an_open_issue_once_and_follows_it() -> None:
    from services.issues.domain.issue import OPEN

    issue = new_issue()
    assert issue.status in OPEN
    assert issue.cosign("r-2", datetime(2026, 11, 23, tzinfo=UTC), {}) is True
    assert issue.cosign("r-2", datetime(2026, 11, 23, tzinfo=UTC), {}) is False  # once
    assert issue.cosign(issue.reporter, datetime(2026, 11, 23, tzinfo=UTC), {}) is False
    assert issue.cosign("r-3", datetime(2026, 11, 23, tzinfo=UTC), {}) is True
    assert issue.cosigners == ["r-2", "r-3"] and issue.reporters[1:] == ["r-2", "r-3"]
    cosigned = [e for e in issue.collect_events() if type(e).__name__ == "Cosigned"]
    assert [(e.resident, e.cosigners) for e in cosigned] == [("r-2", 1), ("r-3", 2)]
    issue.acknowledge("", T0, META)
    issue.resolve("已清理", [], T0, META)
    resolved = [e for e in issue.pending_events if type(e).__name__ == "Resolved"][-1]
    assert resolved.reporters == ["r1", "r-2", "r-3"]  # co-signers may rate
    with pytest.raises(IllegalTransition, match="cannot co-sign an issue that is resolved"):
        issue.cosign("r-4", T0, META)
