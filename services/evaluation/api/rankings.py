"""/v1/rankings and /v1/accountability: streets within a district, communities within a
street, departments city-wide, by composite score with month-over-month movement; and those
below a threshold for N consecutive months (督办建议). Same `month`, `as_of` and `format` as
the reports (see dashboards.py)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from services.evaluation.api.dashboards import (
    DEPARTMENT_TABLE,
    NODE_TABLE,
    REPORTS,
    FormatQuery,
    When,
    judged_departments,
    require_may_judge_departments,
)
from services.evaluation.api.deps import Pool, require_staff_over
from services.evaluation.api.exports import EXPORT_RESPONSES, export
from services.evaluation.kpi.definitions import RANKING_COLUMNS, Column
from services.evaluation.projections import TIER_TREE
from shared.errors import Forbidden, NotFound
from shared.http import CurrentPrincipal
from shared.projections.tier_tree import find_node
from shared.tiers import LEVELS, PATH_PATTERN

router = APIRouter(tags=["kpis"])
Level = Literal[LEVELS]  # type: ignore[valid-type]
Parent = Annotated[str, Query(pattern=PATH_PATTERN, description="rank this node's children")]
LevelQuery = Annotated[Level | None, Query(description="only children of this level")]
FLAG_COLUMNS = (Column("month", "月份"), Column("breached", "未达标项"))


def _ranked(table: tuple[Column, ...]) -> tuple[Column, ...]:
    """Rank first, then who, then the figures (the score moves up beside the rank)."""
    who, figures = table[:2], [c for c in table[2:] if c.key != "score"]
    return (RANKING_COLUMNS[0], *who, *RANKING_COLUMNS[1:], *figures)


def _flag_rows(flagged: list[dict[str, Any]], id_key: str) -> list[dict[str, Any]]:
    """One row per flagged node or department and month: the figures behind the flag."""
    return [{id_key: f[id_key], "name": f["name"], **m, "breached": f["breached"]}
            for f in flagged for m in f["months"]]


async def _parent(pool: Pool, who: Any, parent: str, doing: str) -> dict[str, Any]:
    require_staff_over(who, parent, doing)
    node = await find_node(pool, TIER_TREE.schema, parent)
    if node is None:
        raise NotFound(f"unknown tier node '{parent}'")
    return node


@router.get("/v1/rankings", name="node_ranking",
            responses=EXPORT_RESPONSES)
async def node_ranking(parent: Parent, who: CurrentPrincipal, pool: Pool, when: When,
                       level: LevelQuery = None, fmt: FormatQuery = "json") -> Any:
    """The children of `parent` ranked by composite score, best first, with last month's
    rank and score (as of the same instant) and the change."""
    node = await _parent(pool, who, parent, "see the ranking")
    rows = await REPORTS.node_ranking(pool, parent, level, when.month, when.as_of, when.rules)
    if fmt != "json":
        return export(fmt, f"ranking-{parent}-{when.month}", f"{node['name']}{when.month}排名",
                      _ranked(NODE_TABLE), rows)
    return when.header() | {"parent": parent, "level": level, "rows": rows}


@router.get("/v1/rankings/departments", name="department_ranking",
            responses=EXPORT_RESPONSES)
async def department_ranking(who: CurrentPrincipal, pool: Pool, when: When,
                             fmt: FormatQuery = "json") -> Any:
    """Every department ranked city-wide. A department's own staff see their own row."""
    require_may_judge_departments(who)
    rows = await REPORTS.department_ranking(pool, when.month, when.as_of, when.rules)
    mine = await judged_departments(pool, who)
    rows = [r for r in rows if r["department"] in mine]
    if fmt != "json":
        return export(fmt, f"ranking-departments-{when.month}", f"部门{when.month}排名",
                      _ranked(DEPARTMENT_TABLE), rows)
    return when.header() | {"rows": rows}


@router.get("/v1/accountability", name="node_accountability",
            responses=EXPORT_RESPONSES)
async def node_accountability(parent: Parent, who: CurrentPrincipal, pool: Pool, when: When,
                              level: LevelQuery = None, fmt: FormatQuery = "json") -> Any:
    """督办建议: the children of `parent` below a node threshold in each of the last
    `consecutive_months` months up to `month`, with each month's figures."""
    node = await _parent(pool, who, parent, "see supervision proposals")
    flagged = await REPORTS.accountability(pool, when.month, when.as_of, when.rules,
                                           parent=parent, level=level)
    if fmt != "json":
        return export(fmt, f"accountability-{parent}-{when.month}",
                      f"{node['name']}督办建议", (*NODE_TABLE[:2], *FLAG_COLUMNS,
                                                 *NODE_TABLE[2:]), _flag_rows(flagged, "node"))
    return when.header() | {"parent": parent, "level": level, "flagged": flagged}


@router.get("/v1/accountability/departments", name="department_accountability",
            responses=EXPORT_RESPONSES)
async def department_accountability(who: CurrentPrincipal, pool: Pool, when: When,
                                    fmt: FormatQuery = "json") -> Any:
    """督办建议 for departments below a department threshold month after month."""
    if who.role == "department_staff":
        raise Forbidden("supervision proposals for departments are for district and city "
                        "leaders")
    require_may_judge_departments(who)
    flagged = await REPORTS.accountability(pool, when.month, when.as_of, when.rules,
                                           parent=None, level=None)
    mine = await judged_departments(pool, who)
    flagged = [f for f in flagged if f["department"] in mine]
    if fmt != "json":
        return export(fmt, f"accountability-departments-{when.month}", "部门督办建议",
                      (*DEPARTMENT_TABLE[:2], *FLAG_COLUMNS, *DEPARTMENT_TABLE[2:]),
                      _flag_rows(flagged, "department"))
    return when.header() | {"flagged": flagged}
