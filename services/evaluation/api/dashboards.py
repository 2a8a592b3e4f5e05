"""/v1/tiers/{path}/report and /v1/departments/{code}/report: a month's KPIs, as of any
instant, as JSON, CSV or Excel.

Every KPI route takes `month` (YYYY-MM, Beijing calendar; default: the month of `as_of`) and
`as_of` (an instant with its zone; default: now by the service's clock). With `as_of` the
answer is what the route would have shown then, judged by the rules in force then; without
it, by today's rules, so a changed weight re-judges every past month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool

from services.evaluation.api.deps import Evaluation, Pool, require_staff_over
from services.evaluation.api.exports import EXPORT_RESPONSES, Format, export
from services.evaluation.kpi import months
from services.evaluation.kpi.definitions import DEPARTMENT_COLUMNS, NODE_COLUMNS, SCORE, Column
from services.evaluation.projections import DEPARTMENTS, TIER_TREE
from services.evaluation.projections.kpi_facts import KPI_FACTS
from services.evaluation.projections.kpi_reports import KpiReports
from shared.auth import Principal
from shared.errors import Forbidden, NotFound
from shared.http import CurrentPrincipal
from shared.inputs import Instant
from shared.projections.departments import find_department, jurisdictions
from shared.projections.tier_tree import find_node
from shared.scope import reaches, require_reach
from shared.tiers import PATH_PATTERN

router = APIRouter(tags=["kpis"])
REPORTS = KpiReports(KPI_FACTS.schema, TIER_TREE.schema)
NODE_TABLE = (Column("node", "节点"), Column("name", "名称"), *NODE_COLUMNS, SCORE)
DEPARTMENT_TABLE = (Column("department", "部门代码"), Column("name", "部门"),
                    *DEPARTMENT_COLUMNS, SCORE)
# Leaders above the streets judge departments city-wide.
DEPARTMENT_JUDGES = ("district_staff", "city_staff", "admin")


@dataclass(frozen=True)
class Period:
    month: str
    as_of: datetime
    rules: dict[str, Any]

    def header(self) -> dict[str, Any]:
        return {"month": self.month, "as_of": self.as_of.isoformat(), "rules": self.rules}


async def period(
    evaluation: Evaluation,
    month: Annotated[str | None, Query(pattern=months.MONTH_PATTERN,
                                       description="YYYY-MM; default: the month of as_of")] = None,
    as_of: Annotated[Instant | None, Query(description="an instant with its zone; "
                                                        "default: now")] = None,
) -> Period:
    if month:
        months.require_in_range(month)
    if as_of is None:
        now = evaluation.clock.now()
        rules = await run_in_threadpool(evaluation.rules_in_force, None)
    else:
        now = months.require_aware(as_of)
        rules = await run_in_threadpool(evaluation.rules_in_force, now)
    return Period(month or months.month_of(now), now, rules)


When = Annotated[Period, Depends(period)]
FormatQuery = Annotated[Format, Query(alias="format", description="json, csv or xlsx")]


def require_may_judge_departments(who: Principal, code: str | None = None) -> None:
    """The role may read departments' KPIs at all (which ones: `judged_departments`)."""
    if who.role in DEPARTMENT_JUDGES:
        return
    if who.role == "department_staff" and (code is None or who.department == code):
        return
    raise Forbidden(f"a {who.role} may not see departments' KPIs; a department's own staff "
                    "and district or city leaders do")


async def judged_departments(pool: Pool, who: Principal) -> set[str]:
    """The departments whose KPIs `who` reads: their own, or those with jurisdiction in the
    leader's scope (Nanjing's leaders do not read Kunming's departments)."""
    return {code for code, areas in (await jurisdictions(pool, DEPARTMENTS.schema)).items()
            if reaches(who, areas, department=code)}


async def require_may_judge_department(pool: Pool, who: Principal, code: str) -> None:
    require_may_judge_departments(who, code)
    department = await find_department(pool, DEPARTMENTS.schema, code)
    if department is None:
        raise NotFound(f"unknown department '{code}'")
    require_reach(who, "see the KPIs", department["jurisdiction"], department=code)


async def department_row(pool: Pool, code: str, when: Period) -> dict[str, Any]:
    rows = await REPORTS.department_ranking(pool, when.month, when.as_of, when.rules)
    found = next((r for r in rows if r["department"] == code), None)
    if found is None:
        raise NotFound(f"department '{code}' has no KPI facts (never registered or summoned)")
    return found


@router.get("/v1/tiers/{path}/report", name="tier_report",
            responses=EXPORT_RESPONSES)
async def tier_report(path: Annotated[str, Path(pattern=PATH_PATTERN)], who: CurrentPrincipal,
                      pool: Pool, when: When, fmt: FormatQuery = "json") -> Any:
    """A node's month: its KPIs over its whole subtree, its composite score, and each
    child's."""
    require_staff_over(who, path, "see the KPI report")
    node = await find_node(pool, TIER_TREE.schema, path)
    if node is None:
        raise NotFound(f"unknown tier node '{path}'")
    report = await REPORTS.node_report(pool, node, when.month, when.as_of, when.rules)
    if fmt != "json":
        rows = [{"node": path, "name": node["name"], **report["figures"]}, *report["children"]]
        return export(fmt, f"report-{path}-{when.month}", f"{node['name']}{when.month}考核",
                      NODE_TABLE, rows)
    return report | {"rules": when.rules}


@router.get("/v1/tiers/{path}/trend", name="tier_trend")
async def tier_trend(path: Annotated[str, Path(pattern=PATH_PATTERN)], who: CurrentPrincipal,
                     pool: Pool, when: When,
                     count: Annotated[int, Query(alias="months", ge=1, le=24,
                                                 description="how many months, ending with "
                                                 "`month`")] = 6) -> dict[str, Any]:
    """A node's KPIs over its whole subtree for the `months` months up to `month`, oldest
    first: each month's figures and score are those of its `/report`, in one request (the
    dashboard's trend)."""
    require_staff_over(who, path, "see the KPI trend")
    node = await find_node(pool, TIER_TREE.schema, path)
    if node is None:
        raise NotFound(f"unknown tier node '{path}'")
    span = months.ending_with(when.month, count)
    months.require_in_range(span[0])
    trend = await REPORTS.node_trend(pool, node, span, when.as_of, when.rules)
    return trend | {"month": when.month, "rules": when.rules}


@router.get("/v1/departments/{code}/report", name="department_report",
            responses=EXPORT_RESPONSES)
async def department_report(code: str, who: CurrentPrincipal, pool: Pool, when: When,
                            fmt: FormatQuery = "json") -> Any:
    """A department's month: report-in timeliness, the evaluations of the tiers that
    summoned it, its composite score and its rank among all departments."""
    await require_may_judge_department(pool, who, code)
    row = await department_row(pool, code, when)
    if fmt != "json":
        return export(fmt, f"report-{code}-{when.month}", f"{row['name']}{when.month}考核",
                      DEPARTMENT_TABLE, [row])
    return when.header() | {"department": row}
