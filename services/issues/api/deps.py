"""Dependencies the routes share: the application, the read pool, the access rules."""

from __future__ import annotations

from typing import Annotated

import asyncpg

from services.issues.application import IssuesApplication
from services.issues.domain.issue import Issue
from services.issues.projections import TIER_TREE
from shared.auth import Principal
from shared.errors import Forbidden, Invalid
from shared.http import ReadPool, ServiceApp
from shared.projections.tier_tree import find_node

Issues = Annotated[IssuesApplication, ServiceApp]
Pool = ReadPool


async def require_live_node(pool: asyncpg.Pool, path: str) -> dict:
    node = await find_node(pool, TIER_TREE.schema, path)
    if node is None:
        raise Invalid(f"unknown tier node '{path}'", field="node")
    if node["retired"]:
        raise Invalid(f"tier node '{path}' is retired", field="node")
    return node


def require_may_raise(who: Principal, node: str) -> None:
    if who.role == "department_staff":
        raise Forbidden("department staff receive issues through whistles; they do not raise them")
    if who.role != "resident":
        who.require_scope(node, "raise an issue")


def require_may_handle(who: Principal, issue: Issue, doing: str) -> None:
    if not who.is_staff:
        raise Forbidden(f"a {who.role} may not {doing}; community and grid staff handle issues")
    who.require_scope(issue.node, doing)


def require_may_work_on(who: Principal, issue: Issue, doing: str) -> None:
    """Progress notes and resolution: the tier staff who handle issues, and the department an
    issue is assigned to (its board lists it; 干事 is then the department's work)."""
    if who.role == "department_staff":
        assignee = issue.assignee or {}
        if assignee.get("kind") == "department" and assignee.get("id") == who.department:
            return
        raise Forbidden(f"department staff {doing} only on issues assigned to their department")
    require_may_handle(who, issue, doing)


def may_see(who: Principal, issue: Issue) -> bool:
    if who.role == "resident":
        return who.sub in issue.reporters  # the reporter, and those of merged duplicates
    if who.role == "department_staff":
        assignee = issue.assignee or {}
        return assignee.get("kind") == "department" and assignee.get("id") == who.department
    return who.covers(issue.node)


def require_may_see(who: Principal, issue: Issue) -> None:
    if may_see(who, issue):
        return
    if who.role == "resident":
        raise Forbidden("residents see only the issues they raised or follow")
    if who.role == "department_staff":
        raise Forbidden("department staff see only issues assigned to their department")
    who.require_scope(issue.node, "see this issue")


def may_see_contact(who: Principal, issue: Issue) -> bool:
    """The reporter, and staff whose scope covers the issue: the handling chain."""
    return issue.reporter == who.sub or (who.is_staff and who.covers(issue.node))
