"""The evaluation service's rules, pure: ratings, department evaluations, surveys."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.evaluation.domain.department_evaluation import (
    DepartmentEvaluation,
    WhistleFacts,
    check_may_evaluate,
)
from services.evaluation.domain.rating import IssueFacts, Rating, check_may_rate, rateable_until
from services.evaluation.domain.survey import Survey, check_answers, check_questions
from services.evaluation.projections.survey_results import rolled_up_to, tallies
from shared.errors import Conflict, Forbidden, IllegalTransition, Invalid
from tests.unit.test_event_contracts import TYPE, event_classes

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
ISSUE = IssueFacts(issue_id=uuid.uuid4(), node="km.guandu.taihe.heping.g03",
                   handling_node="km.guandu.taihe.heping", category="environment.garbage",
                   reporters=frozenset({"r-1", "r-follower"}), round=1, status="resolved",
                   resolved_at=T0)


def test_only_reporters_and_followers_may_rate() -> None:
    check_may_rate(ISSUE, "r-1", "satisfied", T0, WEEK)
    check_may_rate(ISSUE, "r-follower", "unsatisfied", T0, WEEK)
    with pytest.raises(Forbidden, match="only the issue's reporter"):
        check_may_rate(ISSUE, "r-stranger", "satisfied", T0, WEEK)


def test_only_a_resolved_round_within_the_window_may_be_rated() -> None:
    check_may_rate(replace(ISSUE, status="closed"), "r-1", "satisfied", T0, WEEK)
    check_may_rate(ISSUE, "r-1", "satisfied", T0 + WEEK, WEEK)  # the last instant counts
    with pytest.raises(IllegalTransition, match="only a resolved issue"):
        check_may_rate(replace(ISSUE, status="open", resolved_at=None), "r-1", "satisfied",
                       T0, WEEK)
    with pytest.raises(IllegalTransition, match="merged"):
        check_may_rate(replace(ISSUE, status="merged"), "r-1", "satisfied", T0, WEEK)
    with pytest.raises(IllegalTransition, match="window of round 1 closed"):
        check_may_rate(ISSUE, "r-1", "satisfied", T0 + WEEK + timedelta(seconds=1), WEEK)
    with pytest.raises(Invalid, match="not a verdict"):
        check_may_rate(ISSUE, "r-1", "meh", T0, WEEK)
    assert rateable_until(ISSUE, WEEK) == T0 + WEEK
    assert rateable_until(replace(ISSUE, status="open"), WEEK) is None


def test_a_rating_is_one_per_rater_per_round_and_carries_the_issue() -> None:
    rating = Rating.rate(ISSUE, "r-1", "basically_satisfied", "还行", T0, WEEK, {})
    assert rating.id == Rating.id_for(ISSUE.issue_id, 1, "r-1")
    assert rating.id != Rating.id_for(ISSUE.issue_id, 2, "r-1")  # a new round, a new rating
    assert rating.id != Rating.id_for(ISSUE.issue_id, 1, "r-follower")
    (rated,) = rating.collect_events()
    assert type(rated).TOPIC == "gongzhi.rating.issue_rated.v1"
    data = {k: v for k, v in rated.__dict__.items()
            if k not in ("originator_id", "originator_version", "originator_topic", "timestamp",
                         "tier", "meta")}
    assert data == {"issue_id": str(ISSUE.issue_id), "round": 1, "rater": "r-1",
                    "verdict": "basically_satisfied", "comment": "还行", "node": ISSUE.node,
                    "handling_node": ISSUE.handling_node, "category": ISSUE.category,
                    "at": T0.isoformat()}
    assert rated.tier == ISSUE.node


WHISTLE = WhistleFacts(whistle_id=uuid.uuid4(), node="km.guandu.taihe",
                       departments=("km-cgj", "km-gaj"), status="closed")
GOOD = {"timeliness": 5, "effectiveness": 4, "attitude": 3}


def test_departments_are_evaluated_once_the_whistle_closed_on_a_1_to_5_scale() -> None:
    check_may_evaluate(WHISTLE, "km-cgj", GOOD)
    with pytest.raises(IllegalTransition, match="still open"):
        check_may_evaluate(replace(WHISTLE, status="open"), "km-cgj", GOOD)
    with pytest.raises(IllegalTransition, match="not summoned"):
        check_may_evaluate(WHISTLE, "km-xfj", GOOD)
    for bad in (0, 6, 2.5, True, None, "5"):
        with pytest.raises(Invalid, match="attitude"):
            check_may_evaluate(WHISTLE, "km-cgj", GOOD | {"attitude": bad})
    e = DepartmentEvaluation.record(WHISTLE, "km-gaj", GOOD, "到场及时", T0, {})
    assert e.id == DepartmentEvaluation.id_for(WHISTLE.whistle_id, "km-gaj")
    assert (e.node, e.timeliness, e.at) == ("km.guandu.taihe", 5, T0.isoformat())


QUESTIONS = [
    {"key": "overall", "text": "总体满意度", "kind": "scale"},
    {"key": "safe", "text": "夜间是否安全", "kind": "yes_no"},
    {"key": "worst", "text": "最突出的问题", "kind": "choice",
     "options": ["停车", "垃圾", "噪音"]},
]
ANSWERS = {"overall": 4, "safe": True, "worst": "停车"}


@pytest.mark.parametrize(("questions", "words"), [
    ([], "at least one question"),
    ([{"key": "Overall", "kind": "scale"}], "lower-case"),
    ([{"key": "a", "kind": "scale"}, {"key": "a", "kind": "yes_no"}], "used twice"),
    ([{"key": "a", "kind": "essay"}], "kind is one of"),
    ([{"key": "a", "kind": "choice", "options": ["x"]}], "two or more distinct"),
    ([{"key": "a", "kind": "choice", "options": ["x", "x"]}], "two or more distinct"),
    ([{"key": "a", "kind": "scale", "options": ["x", "y"]}], "only a choice"),
])
def test_questions_are_checked(questions, words) -> None:
    with pytest.raises(Invalid, match=words):
        check_questions(questions)


@pytest.mark.parametrize(("answers", "words"), [
    ({"overall": 4, "safe": True}, "'worst' is not answered"),
    (ANSWERS | {"extra": 1}, "asks no question extra"),
    (ANSWERS | {"overall": 6}, "whole number from 1 to 5"),
    (ANSWERS | {"overall": True}, "whole number from 1 to 5"),
    (ANSWERS | {"safe": "yes"}, "true or false"),
    (ANSWERS | {"worst": "交通"}, "one of 停车, 垃圾, 噪音"),
])
def test_answers_must_fit_their_questions(answers, words) -> None:
    check_answers(QUESTIONS, ANSWERS)
    with pytest.raises(Invalid, match=words):
        check_answers(QUESTIONS, answers)


def survey() -> Survey:
    return Survey.open(uuid.uuid4(), "2026年度满意度测评", "km.guandu.taihe", QUESTIONS, T0, {})


def test_a_survey_hears_each_household_once_inside_its_subtree_until_it_closes() -> None:
    s = survey()
    s.record_response("h-1", "km.guandu.taihe.heping.g03", ANSWERS, T0, {})
    with pytest.raises(Conflict, match="h-1' has already answered"):
        s.record_response("h-1", "km.guandu.taihe.heping.g03", ANSWERS, T0, {})
    with pytest.raises(Invalid, match="outside the surveyed subtree"):
        s.record_response("h-2", "km.guandu.guanshang", ANSWERS, T0, {})
    with pytest.raises(Invalid, match="outside the surveyed subtree"):
        s.record_response("h-2", "km.guandu.taiheplus", ANSWERS, T0, {})
    s.close(T0, {})
    with pytest.raises(IllegalTransition, match="survey closed"):
        s.record_response("h-3", "km.guandu.taihe", ANSWERS, T0, {})
    with pytest.raises(IllegalTransition, match="survey closed"):
        s.close(T0, {})
    topics = [type(e).TOPIC for e in s.collect_events()]
    assert topics == ["gongzhi.survey.opened.v1", "gongzhi.survey.response_recorded.v1",
                      "gongzhi.survey.closed.v1"]


def test_results_roll_up_to_the_surveyed_node_not_above() -> None:
    assert rolled_up_to("km.guandu.taihe.heping.g03", "km.guandu.taihe") == [
        "km.guandu.taihe", "km.guandu.taihe.heping", "km.guandu.taihe.heping.g03"]
    assert list(tallies(QUESTIONS, ANSWERS)) == [
        ("overall", "4", 4), ("safe", "yes", None), ("worst", "停车", None)]


@pytest.mark.parametrize("aggregate", [Rating, DepartmentEvaluation, Survey])
def test_every_evaluation_event_has_a_versioned_public_type(aggregate) -> None:
    classes = event_classes(aggregate)
    assert classes
    assert all(TYPE.match(cls.TOPIC) for cls in classes), [c.TOPIC for c in classes]
