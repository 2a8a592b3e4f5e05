"""/v1/kpi-rules: the weights, thresholds and months behind KPI scores and flags; history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from services.evaluation.api.deps import Evaluation
from services.evaluation.kpi import months
from shared.errors import Forbidden
from shared.eventstore import meta
from shared.http import CurrentPrincipal
from shared.inputs import Instant

router = APIRouter(prefix="/v1/kpi-rules", tags=["kpis"])


class RulesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: dict[str, Any] = Field(description="the whole rule set, as GET returns it")
    reason: str = Field(min_length=1, max_length=200)


@router.get("", name="kpi_rules")
async def current_rules(who: CurrentPrincipal, evaluation: Evaluation,
                        as_of: Annotated[Instant | None, Query()] = None) -> dict[str, Any]:
    """The rules in force now, or at `as_of`."""
    if not who.is_staff and who.role != "department_staff":
        raise Forbidden(f"a {who.role} may not read the KPI rules")
    at = months.require_aware(as_of) if as_of else None
    rules = await run_in_threadpool(evaluation.rules_in_force, at)
    return {"as_of": (at or evaluation.clock.now()).isoformat(), "rules": rules}


@router.put("", name="change_kpi_rules")
async def change_rules(body: RulesIn, who: CurrentPrincipal,
                       evaluation: Evaluation) -> dict[str, Any]:
    """Replace the rule set (administrators only). Past months are re-judged by it when
    asked for now; asked as of an earlier instant, they keep the rules of that instant."""
    if who.role != "admin":
        raise Forbidden("only an administrator changes the KPI rules")
    changed = await run_in_threadpool(evaluation.change_kpi_rules, body.rules, body.reason,
                                      who.scope, meta(who))
    return {"rules": changed.current, "history": changed.history}


@router.get("/history", name="kpi_rules_history")
async def rules_history(who: CurrentPrincipal, evaluation: Evaluation) -> list[dict[str, Any]]:
    """Every change: when, by whom, why, and the whole rule set it put in force."""
    if not who.is_staff:
        raise Forbidden(f"a {who.role} may not read the KPI rules' history")
    return await run_in_threadpool(evaluation.kpi_rules_history)
