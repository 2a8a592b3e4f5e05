"""/v1/ratings: residents rate how their issue was resolved (居民评事)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from services.evaluation.api.deps import Evaluation, Pool, ServiceSettings, iso
from services.evaluation.domain.rating import VERDICTS, IssueFacts, Rating, rateable_until
from services.evaluation.projections.resolutions import issue_facts, ratings_of
from shared import telemetry
from shared.auth import Principal
from shared.errors import Forbidden, NotFound
from shared.eventstore import meta
from shared.http import CurrentPrincipal

router = APIRouter(tags=["ratings"])
Verdict = Literal[VERDICTS]  # type: ignore[valid-type]


class RateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issue_id: UUID
    verdict: Verdict
    comment: Annotated[str, Field(max_length=500)] = ""


class RatingOut(BaseModel):
    id: str
    issue_id: str
    round: int
    rater: str
    verdict: str
    comment: str
    node: str
    handling_node: str
    category: str
    at: str


class IssueRatings(BaseModel):
    issue_id: str
    round: int
    status: str
    rateable_until: str | None  # when the current round's rating window closes
    ratings: list[RatingOut]


async def _facts(pool: Pool, issue_id: UUID) -> IssueFacts:
    facts = await issue_facts(pool, issue_id)
    if facts is None:
        raise NotFound(f"no issue {issue_id} (or the evaluation service has not heard of it "
                       "yet)")
    return facts


@router.post("/v1/ratings", status_code=201, response_model=RatingOut, name="rate_issue")
async def rate(body: RateBody, who: CurrentPrincipal, app: Evaluation, pool: Pool,
               settings: ServiceSettings) -> RatingOut:
    """The reporter (or a follower) rates the current round's resolution, once, within the
    rating window. An `unsatisfied` verdict makes the issues service reopen the issue."""
    if who.role != "resident":
        raise Forbidden(f"a {who.role} may not rate issues; ratings are the residents' say")
    facts = await _facts(pool, body.issue_id)
    window = timedelta(days=settings.rating_window_days)
    with telemetry.span("evaluation rate_issue", node=facts.node):
        rating: Rating = await run_in_threadpool(
            app.rate_issue, facts, who.sub, body.verdict, body.comment, window, meta(who))
    return RatingOut(id=str(rating.id), issue_id=rating.issue_id, round=rating.round,
                     rater=rating.rater, verdict=rating.verdict, comment=rating.comment,
                     node=rating.node, handling_node=rating.handling_node,
                     category=rating.category, at=rating.at)


@router.get("/v1/issues/{issue_id}/ratings", response_model=IssueRatings, name="issue_ratings")
async def issue_ratings(issue_id: UUID, who: CurrentPrincipal, pool: Pool,
                        settings: ServiceSettings) -> IssueRatings:
    """An issue's ratings, every round: its reporters see their own, staff over the issue's
    node see all."""
    facts = await _facts(pool, issue_id)
    mine_only = _require_may_see(who, facts)
    rows = [r for r in await ratings_of(pool, issue_id) if not mine_only or r["rater"] == who.sub]
    until = rateable_until(facts, timedelta(days=settings.rating_window_days))
    return IssueRatings(issue_id=str(issue_id), round=facts.round, status=facts.status,
                        rateable_until=until.isoformat() if until else None,
                        ratings=[RatingOut(**iso(r)) for r in rows])


def _require_may_see(who: Principal, facts: IssueFacts) -> bool:
    """Whether `who` may see this issue's ratings, and whether only their own."""
    if who.role == "resident":
        if who.sub not in facts.reporters:
            raise Forbidden("residents see the ratings of the issues they reported")
        return True
    if not who.is_staff:
        raise Forbidden(f"a {who.role} may not read residents' ratings")
    who.require_scope(facts.node, "see this issue's ratings")
    return False
