"""Dependencies the evaluation routes share: the application, settings, the read pool, and
who may do what. Every refusal says why."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request

from services.evaluation.application import EvaluationApplication
from services.evaluation.projections import TIER_TREE
from shared.auth import Principal
from shared.errors import Forbidden, Invalid
from shared.http import ReadPool, ServiceApp
from shared.projections.tier_tree import find_node
from shared.settings import Settings
from shared.tiers import is_within

Evaluation = Annotated[EvaluationApplication, ServiceApp]
Pool = ReadPool


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


ServiceSettings = Annotated[Settings, Depends(_settings)]

# The tier that blew a whistle evaluates the departments it summoned (see docs/evaluation.md).
EVALUATORS = ("street_staff", "community_staff", "admin")
# Third-party surveys are commissioned from above the street (第三方测评).
SURVEY_OWNERS = ("district_staff", "city_staff", "admin")


async def require_live_node(pool: asyncpg.Pool, path: str, field: str = "node") -> dict:
    node = await find_node(pool, TIER_TREE.schema, path)
    if node is None:
        raise Invalid(f"unknown tier node '{path}'", field=field)
    if node["retired"]:
        raise Invalid(f"tier node '{path}' is retired", field=field)
    return node


def require_staff_over(who: Principal, node: str, doing: str) -> None:
    if not who.is_staff:
        raise Forbidden(f"a {who.role} may not {doing}")
    who.require_scope(node, doing)


def require_may_evaluate(who: Principal, node: str | None) -> None:
    """The role alone when the whistle's node is not known yet; then the scope too."""
    if who.role not in EVALUATORS:
        raise Forbidden(f"a {who.role} may not evaluate departments; the street or community "
                        "that blew the whistle does")
    if node is not None:
        who.require_scope(node, "evaluate the departments of this whistle")


def require_may_see_evaluations(who: Principal, department: str) -> str | None:
    """The subtree whose evaluations `who` may read (None: all of them)."""
    if who.role == "admin" or (who.role == "department_staff" and who.department == department):
        return None
    if who.role == "department_staff":
        raise Forbidden(f"department {department}'s evaluations are for its own staff and the "
                        "tiers that summoned it")
    if not who.is_staff:
        raise Forbidden(f"a {who.role} may not read department evaluations")
    return who.scope


def require_may_own_survey(who: Principal, node: str, doing: str) -> None:
    if who.role not in SURVEY_OWNERS:
        raise Forbidden(f"a {who.role} may not {doing}; district or city staff commission "
                        "surveys")
    who.require_scope(node, doing)


def require_may_see_survey(who: Principal, node: str) -> None:
    """Staff over the surveyed subtree, and staff working inside it (the surveyors)."""
    if who.is_staff and (who.covers(node) or is_within(who.scope, node)):
        return
    raise Forbidden(f"a {who.role} scoped to '{who.scope}' may not see the survey of '{node}'")


def iso(row: dict[str, Any]) -> dict[str, Any]:
    """A read-model row as JSON: times as ISO 8601, ids as strings."""
    return {k: v.isoformat() if hasattr(v, "isoformat") else
            str(v) if k == "id" or k.endswith("_id") else v for k, v in row.items()}
