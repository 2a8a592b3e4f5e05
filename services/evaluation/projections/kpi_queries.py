"""A month's raw figures, as of an instant, counted by SQL from the KPI facts.

Every query takes the month's bounds [start, end) and `as_of`, and sees only facts dated at
or before `as_of`: the answer is what the same query would have returned at that instant
(given the events had arrived by then). Figures roll up by node path: a node's figures
cover the issues and whistles at it and beneath it (`node = p OR node LIKE 'p.%'`, on a
text_pattern_ops index; docs/benchmarks.md has the measurement that chose it over an
ancestors array). Grouped by child, one query answers a whole ranking.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import asyncpg

from services.evaluation.kpi.definitions import Figures
from shared.tiers import subtree_like

# The key a row counts under: the node asked about, or the child of it the row lies under.
_SELF = "$1::text"
_CHILD = "$1 || '.' || split_part(substr({col}, length($1) + 2), '.', 1)"
_UNDER_SELF = "({col} = $1 OR {col} LIKE $5)"
_UNDER_CHILD = "{col} LIKE $5"

_ISSUES = """
SELECT {key} AS key,
  count(*) AS issues,
  (count(*) + coalesce(sum(c.cosigners), 0))::bigint AS people_affected,
  count(*) FILTER (WHERE i.ack_by IS NOT NULL
                   AND (i.ack_by <= $4 OR i.acknowledged_at <= $4)) AS ack_due,
  count(*) FILTER (WHERE i.acknowledged_at <= $4 AND i.acknowledged_at <= i.ack_by)
    AS ack_on_time,
  count(*) FILTER (WHERE r.resolutions > o.reopenings) AS resolved,
  coalesce(sum(r.resolutions), 0)::bigint AS resolutions,
  avg(h.ack) AS ack_hours_mean,
  percentile_disc(0.9) WITHIN GROUP (ORDER BY h.ack) AS ack_hours_p90,
  avg(h.res) AS resolve_hours_mean,
  percentile_disc(0.9) WITHIN GROUP (ORDER BY h.res) AS resolve_hours_p90
FROM {s}.issues i
CROSS JOIN LATERAL (SELECT count(*) AS resolutions, min(resolved_at) AS first_at
                    FROM {s}.resolutions WHERE issue_id = i.id AND resolved_at <= $4) r
CROSS JOIN LATERAL (SELECT count(*) AS reopenings
                    FROM {s}.reopenings WHERE issue_id = i.id AND reopened_at <= $4) o
CROSS JOIN LATERAL (SELECT count(*) AS cosigners
                    FROM {s}.cosignatures WHERE issue_id = i.id AND cosigned_at <= $4) c
CROSS JOIN LATERAL (
  SELECT CASE WHEN i.acknowledged_at <= $4
              THEN extract(epoch FROM i.acknowledged_at - i.raised_at)::float8 / 3600 END
           AS ack,
         extract(epoch FROM r.first_at - i.raised_at)::float8 / 3600 AS res) h
WHERE {under} AND i.raised_at >= $2 AND i.raised_at < $3 AND i.raised_at <= $4
  AND (i.merged_at IS NULL OR i.merged_at > $4)
GROUP BY 1
"""

_RATINGS = """
SELECT {key} AS key,
  count(*) AS rated,
  count(*) FILTER (WHERE g.verdict <> 'unsatisfied') AS satisfied,
  count(DISTINCT (g.issue_id, g.round)) AS rated_rounds
FROM {s}.issues i JOIN {s}.ratings g ON g.issue_id = i.id AND g.rated_at <= $4
WHERE {under} AND i.raised_at >= $2 AND i.raised_at < $3 AND i.raised_at <= $4
  AND (i.merged_at IS NULL OR i.merged_at > $4)
GROUP BY 1
"""

_SUMMONS = """
SELECT {key} AS key,
  count(*) FILTER (WHERE w.deadline <= $4 OR w.reported_at <= $4) AS summons_due,
  count(*) FILTER (WHERE w.reported_at <= $4 AND w.reported_at <= w.deadline)
    AS reported_on_time,
  avg(m.minutes) AS report_minutes_mean,
  percentile_disc(0.9) WITHIN GROUP (ORDER BY m.minutes) AS report_minutes_p90
FROM {s}.summons w
CROSS JOIN LATERAL (
  SELECT CASE WHEN w.reported_at <= $4
              THEN extract(epoch FROM w.reported_at - w.blown_at)::float8 / 60 END
           AS minutes) m
WHERE {under} AND w.blown_at >= $2 AND w.blown_at < $3 AND w.blown_at <= $4
GROUP BY 1
"""

_EVALUATIONS = """
SELECT {key} AS key,
  count(*) AS evaluations,
  avg(v.timeliness)::float8 AS timeliness_mean,
  avg(v.effectiveness)::float8 AS effectiveness_mean,
  avg(v.attitude)::float8 AS attitude_mean,
  avg((v.timeliness + v.effectiveness + v.attitude) / 3.0)::float8 AS evaluation_mean
FROM {s}.evaluations v
WHERE {under} AND v.evaluated_at >= $2 AND v.evaluated_at < $3 AND v.evaluated_at <= $4
GROUP BY 1
"""

_SERVICE = """
SELECT {key} AS key,
  sum(x.hours)::float8 AS volunteer_hours,
  sum(x.points)::bigint AS volunteer_points
FROM {s}.service x
WHERE {under} AND x.served_at >= $2 AND x.served_at < $3 AND x.served_at <= $4
GROUP BY 1
"""

_WISHES = """
SELECT {key} AS key,
  count(*) AS wishes_posted,
  count(*) FILTER (WHERE h.confirmed_at <= $4) AS wishes_confirmed
FROM {s}.wishes h
WHERE {under} AND h.posted_at >= $2 AND h.posted_at < $3 AND h.posted_at <= $4
GROUP BY 1
"""

# A survey's scale answers (1–5), every answer weighing one, over the month's responses
# recorded at or beneath the node; choice and yes/no questions are not on a scale.
_SURVEYS = """
SELECT {key} AS key,
  count(DISTINCT (a.survey_id, a.household)) AS survey_responses,
  avg(x.score)::float8 AS survey_mean
FROM {s}.survey_answers a JOIN {s}.surveys v ON v.id = a.survey_id
LEFT JOIN LATERAL (SELECT value::float8 AS score FROM jsonb_each_text(a.answers)
                   WHERE key = ANY(v.scale_keys)) x ON true
WHERE {under} AND a.recorded_at >= $2 AND a.recorded_at < $3 AND a.recorded_at <= $4
GROUP BY 1
"""

NODE_ZERO: Figures = {
    "issues": 0, "people_affected": 0, "ack_due": 0, "ack_on_time": 0, "resolved": 0,
    "resolutions": 0,
    "ack_hours_mean": None, "ack_hours_p90": None, "resolve_hours_mean": None,
    "resolve_hours_p90": None, "rated": 0, "satisfied": 0, "rated_rounds": 0,
    "summons_due": 0, "reported_on_time": 0, "evaluations": 0, "timeliness_mean": None,
    "effectiveness_mean": None, "attitude_mean": None,
    "volunteer_hours": 0.0, "volunteer_points": 0, "wishes_posted": 0, "wishes_confirmed": 0,
    "survey_responses": 0, "survey_mean": None,
}
DEPARTMENT_ZERO: Figures = {
    "summons_due": 0, "reported_on_time": 0, "report_minutes_mean": None,
    "report_minutes_p90": None, "evaluations": 0, "timeliness_mean": None,
    "effectiveness_mean": None, "attitude_mean": None, "evaluation_mean": None,
}
# Each part: the alias of its facts, the instant that dates a fact into a month (a rating
# counts in the month its issue was raised), and the query.
_NODE_PARTS = (("i", "raised_at", _ISSUES), ("i", "raised_at", _RATINGS),
               ("w", "blown_at", _SUMMONS), ("v", "evaluated_at", _EVALUATIONS),
               ("x", "served_at", _SERVICE), ("h", "posted_at", _WISHES),
               ("a", "recorded_at", _SURVEYS))
# The key of a trend: the Beijing calendar month of that instant (months.py; an interval
# offset, not a zone name, so the sign means what it says and matches months.CHINA).
_MONTH = "to_char({col} AT TIME ZONE INTERVAL '+08:00', 'YYYY-MM')"
# What a node's figures keep of each part (a department's keep their own).
_NODE_DROPS = {"report_minutes_mean", "report_minutes_p90", "evaluation_mean"}


def _plain(row: asyncpg.Record) -> dict[str, Any]:
    return {k: (float(v) if isinstance(v, float) else v) for k, v in row.items() if k != "key"}


async def node_figures(db: asyncpg.Pool | asyncpg.Connection, schema: str, under: str,
                       month: tuple[datetime, datetime], as_of: datetime, *,
                       by_child: bool) -> dict[str, Figures]:
    """Raw figures of `under`'s subtree (one entry, keyed `under`), or of each child of it
    that has any fact (keyed by the child's path)."""
    return await _node_parts(db, schema, under, month, as_of,
                             key=lambda alias, _: (_CHILD if by_child else _SELF).format(
                                 col=f"{alias}.node"),
                             under_sql=_UNDER_CHILD if by_child else _UNDER_SELF)


async def node_figures_by_month(db: asyncpg.Pool | asyncpg.Connection, schema: str,
                                under: str, span: tuple[datetime, datetime],
                                as_of: datetime) -> dict[str, Figures]:
    """Raw figures of `under`'s subtree for each month of `span` that has any fact, keyed
    "YYYY-MM": the same numbers `node_figures` gives month by month, in one pass per part
    (a dashboard's trend)."""
    return await _node_parts(db, schema, under, span, as_of,
                             key=lambda alias, dated: _MONTH.format(col=f"{alias}.{dated}"),
                             under_sql=_UNDER_SELF)


async def _node_parts(db: asyncpg.Pool | asyncpg.Connection, schema: str, under: str,
                      span: tuple[datetime, datetime], as_of: datetime, *,
                      key: Callable[[str, str], str], under_sql: str) -> dict[str, Figures]:
    start, end = span
    args = (under, start, end, as_of, subtree_like(under))
    out: dict[str, Figures] = {}
    for alias, dated, sql in _NODE_PARTS:
        query = sql.format(s=f'"{schema}"', key=key(alias, dated),
                           under=under_sql.format(col=f"{alias}.node"))
        for row in await db.fetch(query, *args):
            figures = out.setdefault(row["key"], dict(NODE_ZERO))
            figures.update({k: v for k, v in _plain(row).items() if k not in _NODE_DROPS})
    return out


async def department_figures(db: asyncpg.Pool | asyncpg.Connection, schema: str,
                             month: tuple[datetime, datetime],
                             as_of: datetime) -> dict[str, Figures]:
    """Raw figures of every department summoned or evaluated in the month, by code."""
    start, end = month
    out: dict[str, Figures] = {}
    for sql in (_SUMMONS, _EVALUATIONS):
        # $1 and $5 stand for a node in the node queries; here they match everything.
        query = sql.format(s=f'"{schema}"', key="department",
                           under="($1::text IS NULL AND $5::text IS NULL)")
        for row in await db.fetch(query, None, start, end, as_of, None):
            out.setdefault(row["key"], dict(DEPARTMENT_ZERO)).update(_plain(row))
    return out


async def department_names(db: asyncpg.Pool | asyncpg.Connection,
                           schema: str) -> dict[str, str]:
    rows = await db.fetch(f'SELECT code, name FROM "{schema}".departments')
    return {r["code"]: r["name"] for r in rows}
