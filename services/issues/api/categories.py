"""/v1/categories: the category catalog triage routes by, and its administration.

Anyone may read it (residents choose a category when they raise an issue); city staff and
administrators change it, and every change is an event with who and why.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from services.issues.api import schemas as s
from services.issues.api.deps import Issues
from shared.auth import Principal
from shared.errors import Forbidden
from shared.eventstore import meta
from shared.http import CurrentPrincipal, HistoryEntry

router = APIRouter(prefix="/v1/categories", tags=["categories"])
EDITORS = ("admin", "city_staff")


def _require_editor(who: Principal) -> None:
    if who.role not in EDITORS:
        raise Forbidden(f"a {who.role} may not change the category catalog; city staff and "
                        "administrators do")


@router.get("", name="list_categories")
async def list_categories(issues: Issues, include_retired: bool = False) -> list[dict[str, Any]]:
    """Top categories with their sub-items: handling level, departments, hours to
    acknowledge and to resolve (halved in emergency mode)."""
    catalog = await run_in_threadpool(issues.catalog)
    return catalog.as_list(include_retired)


@router.get("/history", response_model=list[HistoryEntry], name="catalog_history")
async def catalog_history(issues: Issues, who: CurrentPrincipal) -> list[HistoryEntry]:
    """Every change to the catalog since it was seeded: who, when, what, why."""
    if not who.is_staff:
        raise Forbidden("the catalog's history is for staff")
    return [HistoryEntry(**h) for h in await run_in_threadpool(issues.catalog_history)]


@router.put("/{code}", name="set_category")
async def set_category(code: str, body: s.CategoryBody, who: CurrentPrincipal,
                       issues: Issues) -> dict[str, Any]:
    """Add a sub-item or change one. Issues already raised keep the deadlines they got."""
    _require_editor(who)
    item = {"code": code, **body.model_dump(exclude={"top_name", "reason"})}
    catalog = await run_in_threadpool(issues.set_category, item, body.top_name, body.reason,
                                      meta(who))
    return catalog.rule_for(code)


@router.post("/{code}/retire", name="retire_category")
async def retire_category(code: str, body: s.RetireBody, who: CurrentPrincipal,
                          issues: Issues) -> dict[str, str]:
    """New issues can no longer use it; issues filed under it keep it."""
    _require_editor(who)
    await run_in_threadpool(issues.retire_category, code, body.reason, meta(who))
    return {"code": code, "status": "retired"}
