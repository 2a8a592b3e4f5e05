"""/v1/surveys: third-party survey campaigns over a subtree (第三方测评)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from services.evaluation.api.deps import (
    Evaluation,
    Pool,
    iso,
    require_live_node,
    require_may_own_survey,
    require_may_see_survey,
    require_staff_over,
)
from services.evaluation.domain.survey import KINDS, Survey
from services.evaluation.projections.survey_results import survey_results, surveys_around
from shared import telemetry
from shared.errors import Invalid
from shared.eventstore import meta
from shared.http import CurrentPrincipal
from shared.tiers import PATH_PATTERN, is_within

router = APIRouter(prefix="/v1/surveys", tags=["surveys"])
NodePath = Annotated[str, Field(pattern=PATH_PATTERN)]


class QuestionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    text: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Literal[KINDS]  # type: ignore[valid-type]
    options: list[Annotated[str, Field(min_length=1, max_length=50)]] | None = None


class OpenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=1, max_length=100)]
    node: NodePath  # the subtree surveyed
    questions: Annotated[list[QuestionIn], Field(min_length=1, max_length=50)]


class ResponseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    household: Annotated[str, Field(min_length=1, max_length=64)]
    node: NodePath  # where the household lives
    answers: dict[str, bool | int | str]


class SurveyOut(BaseModel):
    id: str
    version: int
    title: str
    node: str
    questions: list[dict[str, Any]]
    status: str
    opened_at: str
    closed_at: str | None
    responses: int


def _out(survey: Survey) -> SurveyOut:
    return SurveyOut(id=str(survey.id), version=survey.version, title=survey.title,
                     node=survey.node, questions=survey.questions, status=survey.status,
                     opened_at=survey.opened_at, closed_at=survey.closed_at,
                     responses=len(survey.households))


@router.post("", status_code=201, response_model=SurveyOut, name="open_survey")
async def open_survey(body: OpenBody, who: CurrentPrincipal, app: Evaluation, pool: Pool,
                      response: Response,
                      idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
                      ) -> SurveyOut:
    """Open a campaign over a subtree. Retrying with the same `Idempotency-Key` returns the
    survey the first call opened (200), never a second one."""
    require_may_own_survey(who, body.node, "open a survey")
    await require_live_node(pool, body.node)
    questions = [q.model_dump(exclude_none=True) for q in body.questions]
    survey_id = Survey.id_for(who.sub, idempotency_key) if idempotency_key else None
    with telemetry.span("evaluation open_survey", node=body.node):
        survey, created = await run_in_threadpool(app.open_survey, body.title, body.node,
                                                  questions, meta(who), survey_id)
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"/v1/surveys/{survey.id}"
    return _out(survey)


@router.get("", name="list_surveys")
async def list_surveys(who: CurrentPrincipal, pool: Pool,
                       node: Annotated[str | None, Query(pattern=PATH_PATTERN)] = None,
                       ) -> list[dict[str, Any]]:
    """Surveys covering a node (opened at it or above: the ones its surveyors answer) or
    beneath it, newest first; the caller's own scope by default."""
    node = node or who.scope
    require_staff_over(who, node, "list surveys")
    return [iso(r) for r in await surveys_around(pool, node)]


@router.get("/{survey_id}", response_model=SurveyOut, name="get_survey")
async def get_survey(survey_id: UUID, who: CurrentPrincipal, app: Evaluation) -> SurveyOut:
    survey = await run_in_threadpool(app.get_survey, survey_id)
    require_may_see_survey(who, survey.node)
    return _out(survey)


@router.post("/{survey_id}/responses", status_code=201, response_model=SurveyOut,
             name="record_survey_response")
async def record_response(survey_id: UUID, body: ResponseBody, who: CurrentPrincipal,
                          app: Evaluation, pool: Pool) -> SurveyOut:
    """A surveyor records one household's answers; the household lives at `node`, inside
    the surveyed subtree."""
    require_staff_over(who, body.node, "record a survey response")
    await require_live_node(pool, body.node)
    with telemetry.span("evaluation record_survey_response", node=body.node):
        survey = await run_in_threadpool(app.record_survey_response, survey_id, body.household,
                                         body.node, body.answers, meta(who))
    return _out(survey)


@router.post("/{survey_id}/close", response_model=SurveyOut, name="close_survey")
async def close_survey(survey_id: UUID, who: CurrentPrincipal, app: Evaluation) -> SurveyOut:
    survey = await run_in_threadpool(app.get_survey, survey_id)
    require_may_own_survey(who, survey.node, "close this survey")
    survey = await run_in_threadpool(app.close_survey, survey_id, meta(who))
    return _out(survey)


@router.get("/{survey_id}/results", name="survey_results")
async def results(survey_id: UUID, who: CurrentPrincipal, app: Evaluation, pool: Pool,
                  node: Annotated[str | None, Query(pattern=PATH_PATTERN)] = None,
                  ) -> dict[str, Any]:
    """One node's results (the surveyed node by default), its whole subtree counted:
    responses, the mean of each scale question, and how many gave each answer."""
    survey = await run_in_threadpool(app.get_survey, survey_id)
    node = node or survey.node
    if not is_within(node, survey.node):
        raise Invalid(f"'{node}' lies outside the surveyed subtree '{survey.node}'",
                      field="node")
    require_staff_over(who, node, "see survey results")
    return await survey_results(pool, survey_id, node)
