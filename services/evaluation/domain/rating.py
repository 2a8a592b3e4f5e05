"""A resident's rating of how an issue was resolved (居民评事).

One rating per rater per resolution round: the issues service numbers rounds (1, then +1
after each reopening), so a reopened and re-resolved issue can be rated again. What the
evaluation service knows of the issue comes from its own read model of the issues stream
(`IssueFacts`); the rules below judge those facts and the clock, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain import Meta, TieredAggregate
from shared.errors import Forbidden, IllegalTransition, Invalid

VERDICTS = ("satisfied", "basically_satisfied", "unsatisfied")
# Statuses in which the current round's resolution may be rated: closing a resolved issue
# does not take the residents' say away.
RATEABLE = ("resolved", "closed")
_ID_NS = uuid5(NAMESPACE_URL, "https://gongzhi.dev/evaluation/ratings")

@dataclass(frozen=True)
class IssueFacts:
    """An issue as the evaluation service's read model knows it."""

    issue_id: UUID
    node: str
    handling_node: str
    category: str
    reporters: frozenset[str]  # the reporter and every follower (merged issues' reporters)
    round: int
    status: str
    resolved_at: datetime | None


def rateable_until(facts: IssueFacts, window: timedelta) -> datetime | None:
    """When the current round's rating window closes, or None if there is nothing to rate."""
    if facts.status not in RATEABLE or facts.resolved_at is None:
        return None
    return facts.resolved_at + window


def check_may_rate(facts: IssueFacts, rater: str, verdict: str, now: datetime,
                   window: timedelta) -> None:
    if rater not in facts.reporters:
        raise Forbidden("only the issue's reporter, or a reporter of an issue merged into it, "
                        "may rate it")
    if verdict not in VERDICTS:
        raise Invalid(f"'{verdict}' is not a verdict; one of {', '.join(VERDICTS)}",
                      field="verdict")
    until = rateable_until(facts, window)
    if until is None:
        raise IllegalTransition(
            f"the issue is {facts.status}: only a resolved issue can be rated",
            current_status=facts.status)
    if now > until:
        raise IllegalTransition(
            f"the rating window of round {facts.round} closed at {until.isoformat()} "
            f"({window.days} days after the resolution)", closed_at=until.isoformat())


class Rating(TieredAggregate):
    TOPIC = "gongzhi.rating"

    @staticmethod
    def id_for(issue_id: UUID, round: int, rater: str) -> UUID:
        """The same rater rating the same round twice finds the first rating."""
        return uuid5(_ID_NS, f"{issue_id}\x1f{round}\x1f{rater}")

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.rating.created.v1"  # required by eventsourcing; never emitted

    @event("IssueRated", topic="gongzhi.rating.issue_rated.v1")
    def __init__(self, *, id: UUID, issue_id: str, round: int, rater: str, verdict: str,
                 comment: str, node: str, handling_node: str, category: str, at: str,
                 tier: str, meta: Meta) -> None:
        self.issue_id = issue_id
        self.round = round
        self.rater = rater
        self.verdict = verdict
        self.comment = comment
        self.node = node
        self.handling_node = handling_node
        self.category = category
        self.at = at

    @classmethod
    def rate(cls, facts: IssueFacts, rater: str, verdict: str, comment: str, now: datetime,
             window: timedelta, meta: Meta) -> Rating:
        check_may_rate(facts, rater, verdict, now, window)
        return cls(id=cls.id_for(facts.issue_id, facts.round, rater),
                   issue_id=str(facts.issue_id), round=facts.round, rater=rater,
                   verdict=verdict, comment=comment, node=facts.node,
                   handling_node=facts.handling_node, category=facts.category,
                   at=now.isoformat(), tier=facts.node, meta=meta)
