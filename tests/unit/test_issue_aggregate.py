"""The Issue aggregate's rules, without any I/O."""

from __future__ import annotations

import pytest

from services.issues.domain.issue import Issue
from shared.errors import IllegalTransition

META = {"actor": {"sub": "w1", "role": "grid_worker", "name": "李娟"}}


def new_issue(**overrides: object) -> Issue:
    fields = dict(
        id=Issue.id_for("r1", "key-1"), node="km.guandu", title="路灯不亮", description="",
        category="public_affairs", channel="app", location=None, photos=[], contact_sealed=None,
        reporter="r1", fingerprint="f", tier="km.guandu", meta=META,
    )
    fields.update(overrides)
    return Issue(**fields)


def test_the_happy_path_records_one_event_per_step() -> None:
    issue = new_issue()
    issue.classify("environment", META)
    issue.acknowledge("收到", META)
    issue.assign({"kind": "grid_worker", "id": "w1", "name": "李娟"}, "", META)
    issue.resolve("已修复", [], META)
    issue.close("", META)
    types = [type(e).TOPIC for e in issue.collect_events()]
    assert types == [
        "gongzhi.issue.raised.v1", "gongzhi.issue.classified.v1",
        "gongzhi.issue.acknowledged.v1", "gongzhi.issue.assigned.v1",
        "gongzhi.issue.resolved.v1", "gongzhi.issue.closed.v1",
    ]
    assert issue.status == "closed"


@pytest.mark.parametrize(
    ("steps", "illegal"),
    [
        ([], "resolve"),  # nobody acknowledged it yet
        ([], "close"),
        (["acknowledge"], "acknowledge"),
        (["acknowledge", "resolve"], "assign"),
        (["acknowledge", "resolve", "close"], "resolve"),  # resolving a closed issue
        (["acknowledge", "resolve", "close"], "classify"),
    ],
)
def test_illegal_transitions_are_refused_and_record_nothing(steps: list[str], illegal: str) -> None:
    issue = new_issue()
    do = {
        "acknowledge": lambda: issue.acknowledge("", META),
        "assign": lambda: issue.assign({"kind": "grid_worker", "id": "w"}, "", META),
        "resolve": lambda: issue.resolve("done", [], META),
        "close": lambda: issue.close("", META),
        "classify": lambda: issue.classify("safety", META),
    }
    for step in steps:
        do[step]()
    before = len(issue.collect_events())
    with pytest.raises(IllegalTransition) as refused:
        do[illegal]()
    assert issue.status in refused.value.detail
    assert len(issue.collect_events()) == 0 and before == 1 + len(steps)


def test_classifying_to_the_same_category_is_refused() -> None:
    with pytest.raises(IllegalTransition, match="already classified"):
        new_issue().classify("public_affairs", META)


def test_idempotency_ids_are_stable_per_reporter_and_key() -> None:
    assert Issue.id_for("r1", "k") == Issue.id_for("r1", "k")
    assert Issue.id_for("r1", "k") != Issue.id_for("r2", "k")
    assert Issue.id_for("r1", "k") != Issue.id_for("r1", "k2")
