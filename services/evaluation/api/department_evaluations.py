"""Department evaluations: the street or community that blew a whistle rates each department
it summoned, once the whistle has closed (社区评部门)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from services.evaluation.api.deps import (
    Evaluation,
    Pool,
    iso,
    require_may_evaluate,
    require_may_see_evaluations,
)
from services.evaluation.domain.department_evaluation import ASPECTS, DepartmentEvaluation
from services.evaluation.projections.whistles_done import evaluations_of, whistle_facts
from shared import telemetry
from shared.errors import NotFound
from shared.eventstore import meta
from shared.http import CurrentPrincipal

router = APIRouter(tags=["department evaluations"])
Score = Annotated[int, Field(ge=1, le=5, strict=True)]
DepartmentCode = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class EvaluateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    whistle_id: UUID
    department: Annotated[str, Field(min_length=1, max_length=64)]
    timeliness: Score
    effectiveness: Score
    attitude: Score
    comment: Annotated[str, Field(max_length=500)] = ""


class EvaluationOut(BaseModel):
    id: str
    whistle_id: str
    department: str
    node: str
    timeliness: int
    effectiveness: int
    attitude: int
    comment: str
    at: str


class DepartmentEvaluations(BaseModel):
    department: str
    count: int
    means: dict[str, float | None]  # per aspect, over the evaluations listed
    evaluations: list[EvaluationOut]


@router.post("/v1/department-evaluations", status_code=201, response_model=EvaluationOut,
             name="evaluate_department")
async def evaluate(body: EvaluateBody, who: CurrentPrincipal, app: Evaluation,
                   pool: Pool) -> EvaluationOut:
    require_may_evaluate(who, None)
    whistle = await whistle_facts(pool, body.whistle_id)
    if whistle is None:
        raise NotFound(f"no whistle {body.whistle_id} (or the evaluation service has not "
                       "heard of it yet)")
    require_may_evaluate(who, whistle.node)
    scores = {aspect: getattr(body, aspect) for aspect in ASPECTS}
    with telemetry.span("evaluation evaluate_department", node=whistle.node):
        e: DepartmentEvaluation = await run_in_threadpool(
            app.evaluate_department, whistle, body.department, scores, body.comment, meta(who))
    return EvaluationOut(id=str(e.id), whistle_id=e.whistle_id, department=e.department,
                         node=e.node, timeliness=e.timeliness, effectiveness=e.effectiveness,
                         attitude=e.attitude, comment=e.comment, at=e.at)


@router.get("/v1/departments/{code}/evaluations", response_model=DepartmentEvaluations,
            name="department_evaluations")
async def department_evaluations(code: DepartmentCode, who: CurrentPrincipal,
                                 pool: Pool) -> DepartmentEvaluations:
    """A department's evaluations, newest first: all of them for its own staff, those made
    within their scope for the tiers' staff."""
    within = require_may_see_evaluations(who, code)
    rows = [EvaluationOut(**iso(r)) for r in await evaluations_of(pool, code, within)]
    means = {a: round(sum(getattr(r, a) for r in rows) / len(rows), 4) if rows else None
             for a in ASPECTS}
    return DepartmentEvaluations(department=code, count=len(rows), means=means,
                                 evaluations=rows)
