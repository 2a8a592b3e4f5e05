"""Where an issue sits in the tier tree, as triage needs it: the node's ancestry with levels
and the operating mode in force there, read from the issues service's own tier read model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from services.issues.projections import TIER_TREE
from shared.errors import Invalid
from shared.projections.tier_tree import effective_mode
from shared.tiers import LEVELS, ancestors_and_self

Place = Callable[[Any, str], Awaitable["Placement"]]


@dataclass(frozen=True)
class Placement:
    ancestry: list[tuple[str, str]]  # (path, level), root first, the node itself last
    mode: str  # daily or emergency

    @classmethod
    def by_depth(cls, node: str, mode: str = "daily") -> Placement:
        """For tools and tests whose nodes skip no level (city.district.street...): each
        label's level is its depth. Services read the real tree (`placement_of`)."""
        return cls(list(zip(ancestors_and_self(node), LEVELS, strict=False)), mode)


async def placement_of(db: asyncpg.Pool | asyncpg.Connection, node: str) -> Placement:
    rows = await db.fetch(
        f'SELECT path, level FROM "{TIER_TREE.schema}".nodes WHERE path = ANY($1::text[])',
        ancestors_and_self(node))
    levels = {r["path"]: r["level"] for r in rows}
    if node not in levels:
        raise Invalid(f"unknown tier node '{node}'", field="node")
    ancestry = [(p, levels[p]) for p in ancestors_and_self(node) if p in levels]
    mode, _ = await effective_mode(db, TIER_TREE.schema, node)
    return Placement(ancestry=ancestry, mode=mode)
