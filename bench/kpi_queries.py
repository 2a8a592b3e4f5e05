"""Latency of the KPI queries on a generated district month (the integration test's month:
5 streets, 15 communities, ~3,000 issues a month over October and November, whistles,
ratings and evaluations), and the roll-up choice: `node = p OR node LIKE 'p.%'` on a
text_pattern_ops index against an `ancestors text[]` column with a GIN index.

    python -m bench.kpi_queries [--issues 6000] [--runs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bench.common import database, machine, percentile
from services.evaluation.domain.kpi_rules import DEFAULT_RULES
from services.evaluation.kpi.months import bounds
from services.evaluation.projections import PROJECTIONS, TIER_TREE
from services.evaluation.projections.kpi_facts import KPI_FACTS
from services.evaluation.projections.kpi_queries import _ISSUES
from services.evaluation.projections.kpi_reports import KpiReports
from shared.bus.embedded import EmbeddedConsumer
from shared.db import create_pool
from shared.projections.runner import ProjectionRunner
from tests.utils.kpi_month import DISTRICT, SETTLED, STREETS, generate

S = f'"{KPI_FACTS.schema}"'


async def timed(runs: int, call: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    await call()  # warm the plan and the cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return percentile(times, 50), percentile(times, 95)


async def main(issues: int, runs: int) -> None:
    url = database()
    started = time.perf_counter()
    generated = generate(url, issues=issues, whistles=issues // 20)
    print(f"generated {generated.issues} issues, {generated.whistles} whistles, "
          f"{generated.ratings} ratings in {time.perf_counter() - started:.1f}s")
    pool = await create_pool(url)
    for projection in PROJECTIONS:
        if projection.schema in (KPI_FACTS.schema, TIER_TREE.schema):
            runner = ProjectionRunner(projection, pool, lambda streams: EmbeddedConsumer(
                url, streams, batch_size=1000, poll_seconds=0.1))
            started = time.perf_counter()
            applied = await runner.catch_up()
            took = time.perf_counter() - started
            print(f"{projection.schema}: {applied} events in {took:.1f}s "
                  f"({applied / took:.0f}/s)")
    reports = KpiReports(KPI_FACTS.schema, TIER_TREE.schema)
    as_of, rules = SETTLED + timedelta(days=1), DEFAULT_RULES
    district = {"path": DISTRICT, "name": "官渡区", "level": "district"}
    street = {"path": next(iter(STREETS)), "name": "第1街道", "level": "street"}
    print(f"\nmachine: {machine()}\n\n| query | p50 ms | p95 ms |\n| --- | --- | --- |")
    cases = {
        "district month report (own + 5 streets)":
            lambda: reports.node_report(pool, district, "2026-11", as_of, rules),
        "street month report (own + 3 communities)":
            lambda: reports.node_report(pool, street, "2026-11", as_of, rules),
        "district ranking of streets, with last month":
            lambda: reports.node_ranking(pool, DISTRICT, "street", "2026-11", as_of, rules),
        "department ranking, with last month":
            lambda: reports.department_ranking(pool, "2026-11", as_of, rules),
        "accountability of streets (2 months)":
            lambda: reports.accountability(pool, "2026-11", as_of, rules, parent=DISTRICT,
                                           level="street"),
    }
    for name, call in cases.items():
        p50, p95 = await timed(runs, call)
        print(f"| {name} | {p50:.1f} | {p95:.1f} |")
    await compare_rollups(pool, runs, as_of)
    await pool.close()


async def compare_rollups(pool, runs: int, as_of) -> None:
    """The issue figures of the district by street, by the two roll-up forms."""
    await pool.execute(f"ALTER TABLE {S}.issues ADD COLUMN IF NOT EXISTS ancestors text[]")
    await pool.execute(
        f"UPDATE {S}.issues SET ancestors = ARRAY(SELECT array_to_string("
        f"(string_to_array(node, '.'))[1:n], '.') FROM generate_series(1, "
        f"array_length(string_to_array(node, '.'), 1)) AS n)")
    await pool.execute(f"CREATE INDEX IF NOT EXISTS issues_ancestors ON {S}.issues "
                       f"USING gin (ancestors)")
    await pool.execute(f"ANALYZE {S}.issues")
    start, end = bounds("2026-11")
    key = "$1 || '.' || split_part(substr(i.node, length($1) + 2), '.', 1)"
    forms = {
        "LIKE on the path (kept)": "i.node LIKE $5",
        "ancestors @> ARRAY[p] (GIN)": "i.ancestors @> ARRAY[$1] AND i.node <> $1 AND $5 <> ''",
    }
    print("\n| roll-up of the district's issues by street | p50 ms | p95 ms |\n| --- | --- | --- |")
    for name, under in forms.items():
        sql = _ISSUES.format(s=S, key=key, under=under)
        p50, p95 = await timed(runs, lambda sql=sql: pool.fetch(
            sql, DISTRICT, start, end, as_of, DISTRICT.replace("_", r"\_") + ".%"))
        print(f"| {name} | {p50:.1f} | {p95:.1f} |")
    await pool.execute(f"DROP INDEX {S}.issues_ancestors")
    await pool.execute(f"ALTER TABLE {S}.issues DROP COLUMN ancestors")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=6000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.issues, args.runs))
