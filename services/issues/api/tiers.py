"""/v1/tiers/{path}/summary and /v1/categories: read models for dashboards and forms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from services.issues.api import schemas as s
from services.issues.api.deps import Pool
from services.issues.projections import TIER_TREE
from services.issues.projections.tier_summary import summary_counts
from shared.errors import NotFound
from shared.http import CurrentPrincipal
from shared.projections.tier_tree import (
    child_modes,
    children_of,
    effective_mode,
    find_node,
    modes_beneath,
)
from shared.tiers import PATH_PATTERN

router = APIRouter(tags=["tiers"])


def _counts(by_status: dict[str, int]) -> s.Counts:
    return s.Counts(**by_status, total=sum(by_status.values()))


@router.get("/v1/tiers/{path}/summary", response_model=s.TierSummaryOut, name="tier_summary")
async def tier_summary(
    path: Annotated[str, Path(pattern=PATH_PATTERN)], who: CurrentPrincipal, pool: Pool
) -> s.TierSummaryOut:
    """Issue counts by status for the node's whole subtree, and for each child's; the
    operating mode of the node and of each child, with the nodes in emergency beneath it."""
    who.require_scope(path, "see the summary")
    node = await find_node(pool, TIER_TREE.schema, path)
    if node is None:
        raise NotFound(f"unknown tier node '{path}'")
    children = await children_of(pool, TIER_TREE.schema, path)
    counts = await summary_counts(pool, [path, *(c["path"] for c in children)])
    mode, set_at = await effective_mode(pool, TIER_TREE.schema, path)
    modes = child_modes((mode, set_at), [c["path"] for c in children],
                        await modes_beneath(pool, TIER_TREE.schema, path))
    return s.TierSummaryOut(
        node=s.TierNodeSummary(path=path, name=node["name"], level=node["level"],
                               counts=_counts(counts[path]), mode=mode, mode_set_at=set_at),
        children=[s.ChildSummary(**c, counts=_counts(counts[c["path"]]), **modes[c["path"]])
                  for c in children],
    )
