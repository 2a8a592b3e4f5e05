"""Order by composite score, with movement against the previous month, and accountability
flags (督办建议) for those below a threshold month after month."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Row = dict[str, Any]


def rank(rows: Sequence[Row], key: str = "score") -> list[Row]:
    """Best first, with competition ranks (1, 2, 2, 4): equal scores share a rank. Rows
    without a score come last, unranked, in the order given."""
    scored = sorted((r for r in rows if r[key] is not None), key=lambda r: -r[key])
    out: list[Row] = []
    for i, row in enumerate(scored):
        tied = out and out[-1][key] == row[key]
        out.append(row | {"rank": out[-1]["rank"] if tied else i + 1})
    return out + [r | {"rank": None} for r in rows if r[key] is None]


def with_movement(current: Sequence[Row], previous: Sequence[Row], id_key: str) -> list[Row]:
    """Each row with last month's rank and score, and the change: a positive rank change is
    a move up the table."""
    before = {r[id_key]: r for r in previous}
    out = []
    for row in current:
        p = before.get(row[id_key], {})
        prank, pscore = p.get("rank"), p.get("score")
        out.append(row | {
            "previous_rank": prank,
            "rank_change": prank - row["rank"] if prank and row["rank"] else None,
            "previous_score": pscore,
            "score_change": (round(row["score"] - pscore, 2)
                             if row["score"] is not None and pscore is not None else None),
        })
    return out


def breaches(figures: Row, thresholds: dict[str, float]) -> list[str]:
    """The thresholds a month's figures fall below. A figure with nothing behind it breaches
    nothing: no evidence is not bad evidence."""
    return [k for k, minimum in thresholds.items()
            if figures.get(k) is not None and figures[k] < minimum]


def flags(monthly: Sequence[Row], thresholds: dict[str, float]) -> list[str]:
    """The thresholds breached in every one of the months given (the last N): each is a
    reason to supervise."""
    if not monthly:
        return []
    common = set(breaches(monthly[0], thresholds))
    for month in monthly[1:]:
        common &= set(breaches(month, thresholds))
    return [k for k in thresholds if k in common]
