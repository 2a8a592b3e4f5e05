"""The figures a node's or a department's month report holds, with their Chinese headers,
and the rates and indices derived from the raw counts. docs/evaluation.md ("KPIs") defines
each one precisely; the SQL in projections/kpi_queries.py counts the raw figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Figures = dict[str, Any]


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # what a Chinese leader reads in a table or a spreadsheet


NODE_COLUMNS = (
    Column("issues", "诉求数"),
    Column("people_affected", "涉及人数"),
    Column("ack_due", "应响应数"),
    Column("ack_on_time", "按时响应数"),
    Column("response_rate", "响应率"),
    Column("resolved", "已解决数"),
    Column("resolution_rate", "解决率"),
    Column("resolutions", "办结次数"),
    Column("rated_rounds", "已评价办结次数"),
    Column("rated", "评价数"),
    Column("satisfied", "满意数"),
    Column("satisfaction_rate", "满意率"),
    Column("rating_coverage", "评价覆盖率"),
    Column("ack_hours_mean", "平均响应时长(小时)"),
    Column("ack_hours_p90", "响应时长P90(小时)"),
    Column("resolve_hours_mean", "平均解决时长(小时)"),
    Column("resolve_hours_p90", "解决时长P90(小时)"),
    Column("summons_due", "应报到数"),
    Column("reported_on_time", "按时报到数"),
    Column("report_in_rate", "报到及时率"),
    Column("evaluations", "部门评价数"),
    Column("timeliness_mean", "时效评分"),
    Column("effectiveness_mean", "成效评分"),
    Column("attitude_mean", "态度评分"),
    Column("volunteer_hours", "志愿服务时长(小时)"),
    Column("volunteer_points", "时间银行积分"),
    Column("wishes_posted", "心愿数"),
    Column("wishes_confirmed", "心愿完成数"),
    Column("wish_rate", "心愿完成率"),
    Column("survey_responses", "测评样本数"),
    Column("survey_mean", "测评均分"),
    Column("survey_index", "测评指数"),
)
DEPARTMENT_COLUMNS = (
    Column("summons_due", "应报到数"),
    Column("reported_on_time", "按时报到数"),
    Column("report_in_rate", "报到及时率"),
    Column("report_minutes_mean", "平均报到时长(分钟)"),
    Column("report_minutes_p90", "报到时长P90(分钟)"),
    Column("evaluations", "部门评价数"),
    Column("timeliness_mean", "时效评分"),
    Column("effectiveness_mean", "成效评分"),
    Column("attitude_mean", "态度评分"),
    Column("evaluation_mean", "评价均分"),
    Column("evaluation_index", "评价指数"),
)
SCORE = Column("score", "综合得分")
RANKING_COLUMNS = (
    Column("rank", "排名"), Column("previous_rank", "上月排名"), Column("rank_change", "名次变化"),
    SCORE, Column("previous_score", "上月得分"), Column("score_change", "得分变化"),
)

# The figures a composite score may weigh: each a share in [0, 1], higher is better.
# wish_rate (wishes confirmed / posted) weighs volunteer service in; its weight is 0 unless
# the rules say otherwise; survey_index (third-party surveys) likewise.
NODE_SCORED = ("response_rate", "resolution_rate", "satisfaction_rate", "report_in_rate",
               "wish_rate", "survey_index")
DEPARTMENT_SCORED = ("report_in_rate", "evaluation_index")
EVALUATION_SCALE = (1, 5)


def rate(numerator: int, denominator: int) -> float | None:
    """None, not 0, when nothing was due: a node with no issues has no rate to be judged on."""
    return numerator / denominator if denominator else None


def node_rates(f: Figures) -> Figures:
    """Add the rates a node's raw counts imply; the third-party survey's mean (1–5) maps
    onto 0–1 like a department's evaluation index."""
    low, high = EVALUATION_SCALE
    mean = f.get("survey_mean")
    return f | {
        "survey_index": None if mean is None else (mean - low) / (high - low),
        "response_rate": rate(f["ack_on_time"], f["ack_due"]),
        "resolution_rate": rate(f["resolved"], f["issues"]),
        "satisfaction_rate": rate(f["satisfied"], f["rated"]),
        "rating_coverage": rate(f["rated_rounds"], f["resolutions"]),
        "report_in_rate": rate(f["reported_on_time"], f["summons_due"]),
        "wish_rate": rate(f.get("wishes_confirmed", 0), f.get("wishes_posted", 0)),
    }


def department_rates(f: Figures) -> Figures:
    low, high = EVALUATION_SCALE
    mean = f.get("evaluation_mean")
    return f | {
        "report_in_rate": rate(f["reported_on_time"], f["summons_due"]),
        "evaluation_index": None if mean is None else (mean - low) / (high - low),
    }


def composite(figures: Figures, weights: dict[str, float]) -> float | None:
    """A 0–100 score: the weighted mean of the scored figures a node has. A figure with
    nothing behind it (None) is left out and the others' weights renormalised, so a street
    without whistles is judged on its issues alone; with no figure at all, no score."""
    present = {k: w for k, w in weights.items() if w > 0 and figures.get(k) is not None}
    total = sum(present.values())
    if not total:
        return None
    return round(100 * sum(figures[k] * w for k, w in present.items()) / total, 2)
