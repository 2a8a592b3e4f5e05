"""KPI months, rates, composite scores, rankings and accountability flags, pure."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.evaluation.domain.kpi_rules import DEFAULT_RULES
from services.evaluation.kpi import months
from services.evaluation.kpi.definitions import composite, department_rates, node_rates, rate
from services.evaluation.kpi.ranking import breaches, flags, rank, with_movement
from services.evaluation.projections.kpi_queries import DEPARTMENT_ZERO, NODE_ZERO
from shared.errors import Invalid


def test_a_month_is_a_calendar_month_in_beijing() -> None:
    start, end = months.bounds("2026-11")
    assert start == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    # 23:30 UTC on 30 November is already 1 December in Beijing.
    assert months.month_of(datetime(2026, 11, 30, 15, 59, tzinfo=UTC)) == "2026-11"
    assert months.month_of(datetime(2026, 11, 30, 16, 0, tzinfo=UTC)) == "2026-12"
    assert months.bounds("2026-12")[1] == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)


def test_months_step_back_across_years() -> None:
    assert months.previous("2026-01") == "2025-12"
    assert months.ending_with("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]
    assert months.ending_with("2026-02", 1) == ["2026-02"]


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "26-11", "2026/11", ""])
def test_a_malformed_month_is_refused(bad: str) -> None:
    with pytest.raises(Invalid, match="YYYY-MM"):
        months.bounds(bad)


def test_as_of_needs_a_time_zone() -> None:
    with pytest.raises(Invalid, match="time zone"):
        months.require_aware(datetime(2026, 11, 15, 12, 0))


def test_rates_are_none_when_nothing_was_due() -> None:
    assert rate(0, 0) is None
    assert rate(3, 4) == 0.75
    f = node_rates(NODE_ZERO)
    assert all(f[k] is None for k in ("response_rate", "resolution_rate", "satisfaction_rate",
                                      "rating_coverage", "report_in_rate"))
    f = node_rates(NODE_ZERO | {"issues": 10, "resolved": 7, "ack_due": 8, "ack_on_time": 6,
                                "rated": 5, "satisfied": 4, "rated_rounds": 5,
                                "resolutions": 8})
    assert (f["resolution_rate"], f["response_rate"], f["satisfaction_rate"],
            f["rating_coverage"]) == (0.7, 0.75, 0.8, 0.625)


def test_the_evaluation_index_maps_one_to_five_onto_zero_to_one() -> None:
    assert department_rates(DEPARTMENT_ZERO | {"evaluation_mean": 5.0})["evaluation_index"] == 1
    assert department_rates(DEPARTMENT_ZERO | {"evaluation_mean": 2.0})["evaluation_index"] == 0.25
    assert department_rates(DEPARTMENT_ZERO)["evaluation_index"] is None


def test_a_composite_leaves_out_figures_with_nothing_behind_them() -> None:
    weights = {"response_rate": 1, "resolution_rate": 1, "report_in_rate": 2}
    assert composite({"response_rate": 1.0, "resolution_rate": 0.5, "report_in_rate": 0.25},
                     weights) == 50.0
    # No whistles: judged on the issues alone, the weights renormalised.
    assert composite({"response_rate": 1.0, "resolution_rate": 0.5, "report_in_rate": None},
                     weights) == 75.0
    assert composite({"response_rate": None}, weights) is None
    assert composite({"response_rate": 0.9, "resolution_rate": 0.1}, {"response_rate": 1,
                                                                      "resolution_rate": 0}) == 90


def test_ranks_share_ties_and_unscored_rows_come_last() -> None:
    rows = [{"id": "a", "score": 70}, {"id": "b", "score": None}, {"id": "c", "score": 90},
            {"id": "d", "score": 70}, {"id": "e", "score": 60}]
    assert [(r["id"], r["rank"]) for r in rank(rows)] == [
        ("c", 1), ("a", 2), ("d", 2), ("e", 4), ("b", None)]


def test_movement_compares_with_last_month() -> None:
    now = rank([{"id": "a", "score": 90}, {"id": "b", "score": 80}, {"id": "n", "score": 70}])
    before = rank([{"id": "a", "score": 60}, {"id": "b", "score": 85}])
    moved = {r["id"]: r for r in with_movement(now, before, "id")}
    assert (moved["a"]["rank_change"], moved["a"]["score_change"]) == (1, 30)
    assert (moved["b"]["rank_change"], moved["b"]["previous_score"]) == (-1, 85)
    assert moved["n"]["previous_rank"] is None and moved["n"]["rank_change"] is None


def test_flags_need_the_same_breach_every_month() -> None:
    thresholds = {"score": 80, "satisfaction_rate": 0.9}
    assert breaches({"score": 70, "satisfaction_rate": None}, thresholds) == ["score"]
    months_ = [{"score": 70, "satisfaction_rate": 0.95}, {"score": 75, "satisfaction_rate": 0.8}]
    assert flags(months_, thresholds) == ["score"]
    # A month with nothing to judge breaks the run: no evidence is not bad evidence.
    assert flags([{"score": 70}, {"score": None}], thresholds) == []
    assert flags([], thresholds) == []


def test_a_survey_weighed_zero_keeps_the_score_and_weighed_it_counts() -> None:
    raw = {"ack_on_time": 8, "ack_due": 10, "resolved": 6, "issues": 10, "satisfied": 3,
           "rated": 4, "rated_rounds": 4, "resolutions": 6, "reported_on_time": 0,
           "summons_due": 0}
    without = node_rates(raw)
    surveyed = node_rates(raw | {"survey_mean": 2.0})  # 1–5 onto 0–1: 0.25
    assert without["survey_index"] is None and surveyed["survey_index"] == 0.25
    weights = DEFAULT_RULES["node_weights"]
    assert weights["survey_index"] == 0
    assert composite(surveyed, weights) == composite(without, weights) == 71.67
    weighed = weights | {"survey_index": 0.3}
    assert composite(surveyed, weighed) == round(100 * (0.3 * 0.8 + 0.3 * 0.6 + 0.3 * 0.75
                                                        + 0.3 * 0.25) / 1.2, 2)
