"""The events the evaluation service publishes."""

from __future__ import annotations

from typing import Any, TypedDict

from contracts import Payload, contract

# The KPI rules: node_weights, department_weights, node_thresholds, department_thresholds, ...
# (services/evaluation/domain/kpi_rules.py checks them; a new rule adds a key).
Rules = dict[str, Any]


class Question(TypedDict):
    key: str
    text: str
    kind: str  # scale / choice / yes_no
    options: list[str]


@contract("gongzhi.rating.issue_rated.v1",
          "A reporter rated the outcome of an issue's round.")
class RatingIssueRated(Payload):
    issue_id: str
    round: int
    rater: str
    verdict: str
    comment: str
    node: str
    handling_node: str
    category: str
    at: str


@contract("gongzhi.department_evaluation.recorded.v1",
          "A department's work on a whistle was evaluated.")
class DepartmentEvaluationRecorded(Payload):
    whistle_id: str
    department: str
    node: str
    timeliness: int
    effectiveness: int
    attitude: int
    comment: str
    at: str


@contract("gongzhi.survey.opened.v1",
          "A satisfaction survey was opened over a subtree.")
class SurveyOpened(Payload):
    title: str
    node: str
    questions: list[Question]
    at: str


@contract("gongzhi.survey.response_recorded.v1",
          "A household's survey response was recorded.")
class SurveyResponseRecorded(Payload):
    household: str
    node: str
    answers: dict[str, int | str | bool]  # by question key
    at: str


@contract("gongzhi.survey.closed.v1",
          "A survey was closed.")
class SurveyClosed(Payload):
    responses: int
    at: str


@contract("gongzhi.kpi_rules.adopted.v1",
          "KPI rules were adopted (the first change from the defaults).")
class KpiRulesAdopted(Payload):
    rules: Rules
    reason: str
    at: str


@contract("gongzhi.kpi_rules.changed.v1",
          "The KPI rules changed.")
class KpiRulesChanged(Payload):
    rules: Rules
    reason: str
    at: str
