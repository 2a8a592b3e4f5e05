"""Dependencies the routes share: the application, the read pool, the access rules."""

from __future__ import annotations

from typing import Annotated

import asyncpg

from services.issues.application import IssuesApplication
from services.issues.domain.issue import Issue
from services.issues.photos import store as photo_store
from services.issues.projections import TIER_TREE
from services.issues.projections.team_members import teams_of
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


async def require_uploaded(pool: asyncpg.Pool, urls: list[str], field: str) -> None:
    """Every uploaded-photo URL among `urls` names a photo this service keeps."""
    gone = await photo_store.missing(pool, urls)
    if gone:
        raise Invalid(f"{field}: no photo was uploaded at '{gone[0]}'", field=field)


def require_may_raise(who: Principal, node: str) -> None:
    if who.role == "department_staff":
        raise Forbidden("department staff receive issues through whistles; they do not raise them")
    if who.role != "resident":
        who.require_scope(node, "raise an issue")


# What an assignee below the handling tier, or a department, may do with what it was given.
ASSIGNEE_ACTS = ("progress", "resolve")
# Assignee kinds that name one person by their token's `sub`.
PERSON_KINDS = ("grid_worker", "building_head", "compound_head", "community_staff")


async def teams_for(pool: asyncpg.Pool, who: Principal, issue: Issue) -> frozenset[str]:
    """The volunteer teams `who` belongs to, looked up only when the issue is assigned to a
    team (from the volunteers service's events: projections/team_members.py)."""
    if (issue.assignee or {}).get("kind") != "volunteer_team":
        return frozenset()
    return await teams_of(pool, who.sub)


def is_assignee(who: Principal, issue: Issue, teams: frozenset[str] = frozenset()) -> bool:
    """The issue is assigned to `who`: their department, their team, or them by name."""
    assignee = issue.assignee or {}
    kind, ident = assignee.get("kind"), assignee.get("id")
    if kind == "department":
        return who.role == "department_staff" and ident == who.department
    if kind == "volunteer_team":
        return bool(ident) and ident in teams
    return kind in PERSON_KINDS and who.is_staff and ident == who.sub


def require_may_handle(who: Principal, issue: Issue, doing: str, act: str = "handle",
                       teams: frozenset[str] = frozenset()) -> None:
    """The handling tier and the tiers above it act (`act`: "handle", "progress", "resolve");
    a tier below acts only when the issue is assigned to it, and then only to add progress
    or resolve; tiers that escalated it may still add progress, not resolve. A department
    adds progress and resolves what is assigned to it (docs/access.md)."""
    assigned = act in ASSIGNEE_ACTS and is_assignee(who, issue, teams)
    if who.role == "department_staff":
        if assigned:
            return
        raise Forbidden(f"a department_staff may not {doing} here: they add progress to and "
                        "resolve only issues assigned to their department",
                        department=who.department)
    if assigned:  # a team's member, or a worker named by the assignment
        return
    if not who.is_staff:
        raise Forbidden(f"a {who.role} may not {doing}; community and grid staff handle issues"
                        ", and a volunteer team's members work on what is assigned to it")
    if who.covers(issue.handling_node):
        return
    if act == "progress" and any(who.covers(n) for n in issue.escalated_from):
        return
    if who.covers(issue.node):  # inside the scope, but below the tier handling it
        escalated = any(who.covers(n) for n in issue.escalated_from)
        raise Forbidden(
            f"{who.role} scoped to '{who.scope}' may not {doing}: the issue is handled at "
            f"'{issue.handling_node}'" + ("; after escalating it this tier may only add "
                                          "progress" if escalated else
                                          ", and a tier below acts only on what is assigned "
                                          "to it"),
            handling_node=issue.handling_node, scope=who.scope)
    who.require_scope(issue.node, doing)


def may_see(who: Principal, issue: Issue, teams: frozenset[str] = frozenset()) -> bool:
    if is_assignee(who, issue, teams):
        return True
    if who.role == "resident":
        return who.sub in issue.reporters  # the reporter, and those of merged duplicates
    if who.role == "department_staff":
        assignee = issue.assignee or {}
        return assignee.get("kind") == "department" and assignee.get("id") == who.department
    return who.covers(issue.node)


def require_may_see(who: Principal, issue: Issue, teams: frozenset[str] = frozenset()) -> None:
    if may_see(who, issue, teams):
        return
    if who.role == "resident":
        raise Forbidden("residents see only the issues they raised or follow")
    if who.role == "department_staff":
        raise Forbidden("department staff see only issues assigned to their department")
    who.require_scope(issue.node, "see this issue")


def may_see_contact(who: Principal, issue: Issue) -> bool:
    """The reporter, and staff whose scope covers the issue: the handling chain."""
    return issue.reporter == who.sub or (who.is_staff and who.covers(issue.node))
