"""Triage (理事): where an issue is handled and by when, from its category's rule.

小事支部办、大事社区结、逐级上报: a small matter is handled at the compound or building it
happened in, a bigger one at the community, and what lies beyond a tier's powers goes up
tier by tier. The category's level says which; the node the issue was raised at says where.
Pure functions: the caller brings the node's ancestry (from its tier read model) and the mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.tiers import LEVEL_RANK


@dataclass(frozen=True)
class Route:
    level: str
    handling_node: str
    departments: list[str]
    ack_by: str
    resolve_by: str
    mode: str


def handling_node(ancestry: list[tuple[str, str]], level: str) -> str:
    """The deepest node of `ancestry` (root first, (path, level) pairs, ending with the issue's
    own node) whose level is `level` or above it. Levels may be skipped in the tree: a
    compound-level matter in a community that holds buildings directly goes to the community.
    An issue raised above its level (a street-wide matter of a compound kind) stays where it
    was raised."""
    target = LEVEL_RANK[level]
    chosen = ancestry[0][0]
    for path, node_level in ancestry:
        if LEVEL_RANK[node_level] <= target:
            chosen = path
    return chosen


def route(rule: dict[str, Any], ancestry: list[tuple[str, str]], mode: str, factor: float,
          since: datetime) -> Route:
    """Deadlines run from `since` (when the issue was raised), shortened by `factor` in
    emergency mode, so re-triage never restarts the clock."""
    scale = factor if mode == "emergency" else 1.0
    return Route(
        level=rule["level"],
        handling_node=handling_node(ancestry, rule["level"]),
        departments=list(rule.get("departments", [])),
        ack_by=(since + timedelta(hours=rule["ack_hours"] * scale)).isoformat(),
        resolve_by=(since + timedelta(hours=rule["resolve_hours"] * scale)).isoformat(),
        mode=mode,
    )


def resolve_again_by(rule: dict[str, Any], mode: str, factor: float, now: datetime) -> str:
    """A reopened issue gets the category's whole resolve allowance again, from now."""
    scale = factor if mode == "emergency" else 1.0
    return (now + timedelta(hours=rule["resolve_hours"] * scale)).isoformat()
