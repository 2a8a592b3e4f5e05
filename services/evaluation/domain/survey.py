"""A third-party survey campaign (第三方测评) over a subtree of the tier tree.

Opened with its questions; surveyors record one response per household living inside the
subtree, each answering every question in the form the question asks; closed, after which
nothing more is recorded. The households already heard are part of the aggregate's state,
so "one per household" is judged with the rest, in one place.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain import Meta, TieredAggregate
from shared.errors import Conflict, IllegalTransition, Invalid
from shared.tiers import is_within

KINDS = ("scale", "choice", "yes_no")
SCALE = range(1, 6)
MAX_QUESTIONS = 50
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
Question = dict[str, Any]
_IDEMPOTENCY_NS = uuid5(NAMESPACE_URL, "https://gongzhi.dev/evaluation/surveys/idempotency")


def check_questions(questions: list[Question]) -> None:
    if not questions:
        raise Invalid("a survey asks at least one question", field="questions")
    if len(questions) > MAX_QUESTIONS:
        raise Invalid(f"a survey asks at most {MAX_QUESTIONS} questions", field="questions")
    keys = [q.get("key") for q in questions]
    for n, q in enumerate(questions):
        where = f"questions.{n}"
        if not isinstance(q.get("key"), str) or not _KEY.match(q["key"]):
            raise Invalid(f"{where}: a key is lower-case ASCII like 'overall'", field=where)
        if keys.count(q["key"]) > 1:
            raise Invalid(f"{where}: the key '{q['key']}' is used twice", field=where)
        if q.get("kind") not in KINDS:
            raise Invalid(f"{where}: kind is one of {', '.join(KINDS)}", field=where)
        options = q.get("options") or []
        if q["kind"] == "choice":
            if len(options) < 2 or len(set(options)) != len(options):
                raise Invalid(f"{where}: a choice offers two or more distinct options",
                              field=where)
        elif options:
            raise Invalid(f"{where}: only a choice question has options", field=where)


def check_answers(questions: list[Question], answers: dict[str, Any]) -> None:
    """Every question answered, in its own form; nothing else."""
    known = {q["key"] for q in questions}
    if extra := sorted(set(answers) - known):
        raise Invalid(f"the survey asks no question {', '.join(extra)}", field="answers")
    for q in questions:
        key = q["key"]
        if key not in answers:
            raise Invalid(f"question '{key}' is not answered", field=f"answers.{key}")
        value = answers[key]
        if not fits(q, value):
            raise Invalid(f"question '{key}' ({q['kind']}) cannot be answered {value!r}: "
                          f"{expected(q)}", field=f"answers.{key}")


def cleaned(questions: list[Question]) -> list[Question]:
    """Questions as stored: options only on a choice."""
    return [{"key": q["key"], "text": q.get("text", ""), "kind": q["kind"],
             **({"options": list(q["options"])} if q["kind"] == "choice" else {})}
            for q in questions]


def fits(question: Question, value: Any) -> bool:
    kind = question["kind"]
    if kind == "yes_no":
        return isinstance(value, bool)
    if kind == "scale":
        return isinstance(value, int) and not isinstance(value, bool) and value in SCALE
    return isinstance(value, str) and value in question["options"]


def expected(question: Question) -> str:
    if question["kind"] == "yes_no":
        return "answer true or false"
    if question["kind"] == "scale":
        return "answer a whole number from 1 to 5"
    return f"answer one of {', '.join(question['options'])}"


class Survey(TieredAggregate):
    TOPIC = "gongzhi.survey"

    @staticmethod
    def id_for(owner: str, idempotency_key: str) -> UUID:
        """A retried open with the same key finds the survey it already opened."""
        return uuid5(_IDEMPOTENCY_NS, f"{owner}\x1f{idempotency_key}")

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.survey.created.v1"  # required by eventsourcing; never emitted

    @event("Opened", topic="gongzhi.survey.opened.v1")
    def __init__(self, *, id: UUID, title: str, node: str, questions: list[Question], at: str,
                 tier: str, meta: Meta) -> None:
        self.title = title
        self.node = node
        self.questions = questions
        self.opened_at = at
        self.closed_at: str | None = None
        self.status = "open"
        self.households: dict[str, str] = {}  # household -> the node it lives at

    @classmethod
    def open(cls, id: UUID, title: str, node: str, questions: list[Question], now: datetime,
             meta: Meta) -> Survey:
        check_questions(questions)
        return cls(id=id, title=title, node=node, questions=cleaned(questions),
                   at=now.isoformat(), tier=node, meta=meta)

    def same_campaign(self, title: str, node: str, questions: list[Question]) -> bool:
        """Whether a retried open asks for this very survey. A retry is still a request: its
        questions must hold up on their own before they are compared (422, not a 500)."""
        check_questions(questions)
        return (self.title, self.node, self.questions) == (title, node, cleaned(questions))

    def record_response(self, household: str, node: str, answers: dict[str, Any],
                        now: datetime, meta: Meta) -> None:
        self._require_open("record a response")
        if not is_within(node, self.node):
            raise Invalid(f"'{node}' lies outside the surveyed subtree '{self.node}'",
                          field="node")
        if household in self.households:
            raise Conflict(f"household '{household}' has already answered this survey",
                           household=household)
        check_answers(self.questions, answers)
        self._response_recorded(household=household, node=node, answers=answers,
                                at=now.isoformat(), tier=node, meta=meta)

    def close(self, now: datetime, meta: Meta) -> None:
        self._require_open("close it")
        self._closed(responses=len(self.households), at=now.isoformat(), tier=self.node,
                     meta=meta)

    def _require_open(self, doing: str) -> None:
        if self.status != "open":
            raise IllegalTransition(f"the survey closed at {self.closed_at}; nobody can {doing}",
                                    current_status=self.status)

    @event("ResponseRecorded", topic="gongzhi.survey.response_recorded.v1")
    def _response_recorded(self, household: str, node: str, answers: dict[str, Any], at: str,
                           tier: str, meta: Meta) -> None:
        self.households[household] = node

    @event("Closed", topic="gongzhi.survey.closed.v1")
    def _closed(self, responses: int, at: str, tier: str, meta: Meta) -> None:
        self.status = "closed"
        self.closed_at = at
