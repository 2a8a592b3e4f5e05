"""The evaluation Application: load an aggregate, ask it to act, save.

What a command needs to know of other services' aggregates (an issue, a whistle) the route
reads from this service's own read models and hands over as facts; business time comes from
the injected clock.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.evaluation.application_kpi import KpiRuleCommands
from services.evaluation.domain.department_evaluation import DepartmentEvaluation, WhistleFacts
from services.evaluation.domain.rating import IssueFacts, Rating
from services.evaluation.domain.survey import Question, Survey
from shared.clock import Clock, SystemClock
from shared.domain import Meta
from shared.errors import Conflict, NotFound
from shared.eventstore import ServiceApplication

A = TypeVar("A")
# A survey hears every household of its subtree; a snapshot every so many responses keeps
# loading it (to judge the next response) from replaying them all.
SURVEY_SNAPSHOT_EVERY = 200


class EvaluationApplication(KpiRuleCommands, ServiceApplication):
    name = "evaluation"
    is_snapshotting_enabled = True

    def __init__(self, *, clock: Clock | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clock = clock or SystemClock()

    # -- ratings --------------------------------------------------------------------------

    def rate_issue(self, facts: IssueFacts, rater: str, verdict: str, comment: str,
                   window: timedelta, meta: Meta) -> Rating:
        rating = Rating.rate(facts, rater, verdict, comment, self.clock.now(), window, meta)
        return self._create_once(rating, lambda r: (
            f"{rater} already rated round {r.round} of this issue ({r.verdict}, at {r.at})"))

    # -- department evaluations -----------------------------------------------------------

    def evaluate_department(self, whistle: WhistleFacts, department: str,
                            scores: dict[str, int], comment: str,
                            meta: Meta) -> DepartmentEvaluation:
        evaluation = DepartmentEvaluation.record(whistle, department, scores, comment,
                                                 self.clock.now(), meta)
        return self._create_once(evaluation, lambda e: (
            f"{department} was already evaluated for this whistle (at {e.at})"))

    # -- surveys --------------------------------------------------------------------------

    def open_survey(self, title: str, node: str, questions: list[Question], meta: Meta,
                    survey_id: UUID | None = None) -> tuple[Survey, bool]:
        """Returns the survey and whether this call opened it (False for a retry with the
        same `survey_id`, from an Idempotency-Key, asking for the same campaign)."""
        if survey_id is not None and (earlier := self._find(survey_id)) is not None:
            return self._same_campaign(earlier, title, node, questions), False
        survey = Survey.open(survey_id or uuid4(), title, node, questions, self.clock.now(),
                             meta)
        try:
            self.save(survey)
        except IntegrityError:  # the same key raced us: theirs won, ours is the retry
            return self._same_campaign(self.get_survey(survey.id), title, node, questions), False
        return survey, True

    def record_survey_response(self, survey_id: UUID, household: str, node: str,
                               answers: dict[str, Any], meta: Meta) -> Survey:
        survey, _ = self.change_and_save(
            lambda: self.get_survey(survey_id),
            lambda s: s.record_response(household, node, answers, self.clock.now(), meta),
            "the survey")
        if survey.version % SURVEY_SNAPSHOT_EVERY == 0:
            self.take_snapshot(survey.id, version=survey.version)
        return survey

    def close_survey(self, survey_id: UUID, meta: Meta) -> Survey:
        survey, _ = self.change_and_save(lambda: self.get_survey(survey_id),
                                         lambda s: s.close(self.clock.now(), meta), "the survey")
        return survey

    def get_survey(self, survey_id: UUID) -> Survey:
        survey = self._find(survey_id)
        if not isinstance(survey, Survey):
            raise NotFound(f"no survey {survey_id}")
        return survey

    # -- helpers --------------------------------------------------------------------------

    @staticmethod
    def _same_campaign(earlier: Any, title: str, node: str, questions: list[Question]) -> Survey:
        if not isinstance(earlier, Survey) or not earlier.same_campaign(title, node, questions):
            raise Conflict("this Idempotency-Key was already used for a different survey")
        return earlier

    def _create_once(self, aggregate: A, already: Any) -> A:
        """Save a new aggregate whose id says what it is about; if one with that id exists
        (a second rating of a round, a racing request), refuse with what was there."""
        if (earlier := self._find(aggregate.id)) is not None:  # type: ignore[attr-defined]
            if self.done_before(earlier):  # a retry of the request that created it
                return earlier
            raise Conflict(already(earlier))
        try:
            self.save(aggregate)
        except IntegrityError:
            earlier = self._find(aggregate.id)  # type: ignore[attr-defined]
            if self.done_before(earlier):
                return earlier
            raise Conflict(already(earlier)) from None
        return aggregate

    def _find(self, aggregate_id: UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
