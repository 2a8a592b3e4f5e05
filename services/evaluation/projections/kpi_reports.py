"""Month reports, rankings and accountability flags: the raw figures of kpi_queries, with
their rates and composite scores under a rule set, ranked and compared month on month.

Every function answers "as of" an instant; the API, the CLI (through the API) and the
exports all go through these."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from services.evaluation.kpi import months
from services.evaluation.kpi.definitions import Figures, composite, department_rates, node_rates
from services.evaluation.kpi.ranking import flags, rank, with_movement
from services.evaluation.projections.kpi_queries import (
    DEPARTMENT_ZERO,
    NODE_ZERO,
    department_figures,
    department_names,
    node_figures,
    node_figures_by_month,
)
from shared.projections.tier_tree import children_of

Rules = dict[str, Any]
Db = asyncpg.Pool | asyncpg.Connection


class KpiReports:
    """Queries over one facts schema, naming nodes from one tier-tree schema."""

    def __init__(self, facts_schema: str, tree_schema: str) -> None:
        self.facts, self.tree = facts_schema, tree_schema

    def _scored_node(self, raw: Figures, rules: Rules) -> Figures:
        figures = node_rates(raw)
        return figures | {"score": composite(figures, rules["node_weights"])}

    def _scored_department(self, raw: Figures, rules: Rules) -> Figures:
        figures = department_rates(raw)
        return figures | {"score": composite(figures, rules["department_weights"])}

    async def node_report(self, db: Db, node: dict[str, Any], month: str, as_of: datetime,
                          rules: Rules) -> dict[str, Any]:
        """A node's month: its own figures (its whole subtree) and each child's."""
        bounds = months.bounds(month)
        own = await node_figures(db, self.facts, node["path"], bounds, as_of, by_child=False)
        return {
            "node": node["path"], "name": node["name"], "level": node["level"],
            "month": month, "as_of": as_of.isoformat(),
            "figures": self._scored_node(own.get(node["path"], NODE_ZERO), rules),
            "children": await self._children(db, node["path"], None, bounds, as_of, rules),
        }

    async def node_trend(self, db: Db, node: dict[str, Any], span: list[str],
                         as_of: datetime, rules: Rules) -> dict[str, Any]:
        """A node's figures for each month of `span` (oldest first), as `node_report` gives
        them month by month, counted in one pass over the whole span."""
        start, end = months.bounds(span[0])[0], months.bounds(span[-1])[1]
        raw = await node_figures_by_month(db, self.facts, node["path"], (start, end), as_of)
        return {
            "node": node["path"], "name": node["name"], "level": node["level"],
            "as_of": as_of.isoformat(),
            "months": [{"month": m, "figures": self._scored_node(raw.get(m, NODE_ZERO), rules)}
                       for m in span],
        }

    async def _children(self, db: Db, parent: str, level: str | None,
                        bounds: tuple[datetime, datetime], as_of: datetime,
                        rules: Rules) -> list[dict[str, Any]]:
        children = [c for c in await children_of(db, self.tree, parent)
                    if level is None or c["level"] == level]
        raw = await node_figures(db, self.facts, parent, bounds, as_of, by_child=True)
        return [{"node": c["path"], "name": c["name"], "level": c["level"],
                 **self._scored_node(raw.get(c["path"], NODE_ZERO), rules)} for c in children]

    async def node_ranking(self, db: Db, parent: str, level: str | None, month: str,
                           as_of: datetime, rules: Rules) -> list[dict[str, Any]]:
        """The children of `parent` (of `level`, when given) ranked by composite score, with
        last month's rank and score under the same rules and as of the same instant."""
        now = rank(await self._children(db, parent, level, months.bounds(month), as_of, rules))
        before = rank(await self._children(db, parent, level,
                                           months.bounds(months.previous(month)), as_of, rules))
        return with_movement(now, before, "node")

    async def _departments(self, db: Db, month: str, as_of: datetime,
                           rules: Rules) -> list[dict[str, Any]]:
        raw = await department_figures(db, self.facts, months.bounds(month), as_of)
        names = await department_names(db, self.facts)
        return [{"department": code, "name": names.get(code, code),
                 **self._scored_department(raw.get(code, DEPARTMENT_ZERO), rules)}
                for code in sorted(set(names) | set(raw))]

    async def department_ranking(self, db: Db, month: str, as_of: datetime,
                                 rules: Rules) -> list[dict[str, Any]]:
        now = rank(await self._departments(db, month, as_of, rules))
        before = rank(await self._departments(db, months.previous(month), as_of, rules))
        return with_movement(now, before, "department")

    async def accountability(self, db: Db, month: str, as_of: datetime, rules: Rules, *,
                             parent: str | None, level: str | None) -> list[dict[str, Any]]:
        """督办建议: the children of `parent` (or, with no parent, the departments) that fell
        below a threshold in each of the last N months up to `month`, with those months'
        figures behind the flag."""
        span = months.ending_with(month, rules["consecutive_months"])
        if parent is None:
            thresholds, id_key = rules["department_thresholds"], "department"
            monthly = [await self._departments(db, m, as_of, rules) for m in span]
        else:
            thresholds, id_key = rules["node_thresholds"], "node"
            monthly = [await self._children(db, parent, level, months.bounds(m), as_of, rules)
                       for m in span]
        by_id: dict[str, list[Figures]] = {}
        for rows in monthly:
            for row in rows:
                by_id.setdefault(row[id_key], []).append(row)
        out = []
        for key, rows in by_id.items():
            if len(rows) == len(span) and (reasons := flags(rows, thresholds)):
                out.append({id_key: key, "name": rows[-1]["name"], "breached": reasons,
                            "thresholds": {k: thresholds[k] for k in reasons},
                            "months": [{"month": m, **r} for m, r in zip(span, rows,
                                                                       strict=True)]})
        return out
