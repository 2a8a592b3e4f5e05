"""Service figures: hours, points and the wish flow at a tier node (rolled up: the node and
everything beneath it) or for a team; and a node's leaderboard. Anyone signed in may read
them: a community shows its volunteers' service openly (公示)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Path, Query

from services.volunteers.api import schemas as s
from services.volunteers.api.deps import Pool
from services.volunteers.projections import BOARD, LEDGER, REGISTRY
from shared.http import CurrentPrincipal
from shared.tiers import PATH_PATTERN, subtree_like

router = APIRouter(tags=["figures"])
NodePath = Annotated[str, Path(pattern=PATH_PATTERN)]


async def _figures(pool: asyncpg.Pool, where: str, args: list[Any]) -> dict[str, Any]:
    bank = await pool.fetchrow(
        f'SELECT COALESCE(SUM(hours), 0) AS hours, COALESCE(SUM(points), 0) AS points '
        f'FROM "{LEDGER.schema}".entries WHERE kind = \'credit\' AND {where}', *args)
    wishes = await pool.fetchrow(
        f"SELECT count(*) AS posted, count(claimed_at) AS claimed, "
        f"count(fulfilled_at) AS fulfilled, "
        f"count(*) FILTER (WHERE status = 'confirmed') AS confirmed, "
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM claimed_at - "
        f"posted_at) / 60) AS median_minutes "
        f'FROM "{BOARD.schema}".wishes WHERE {where}', *args)
    return {"hours": float(bank["hours"]), "points": int(bank["points"]),
            "wishes_posted": wishes["posted"], "wishes_claimed": wishes["claimed"],
            "wishes_fulfilled": wishes["fulfilled"], "wishes_confirmed": wishes["confirmed"],
            "median_minutes_to_claim": wishes["median_minutes"]}


@router.get("/v1/tiers/{path}/service", response_model=s.ServiceFigures,
            name="service_at_node")
async def at_node(path: NodePath, who: CurrentPrincipal, pool: Pool) -> s.ServiceFigures:
    """Hours and points earned by service given at `path` or beneath it; wishes posted
    there, how many were claimed, fulfilled and confirmed, and the median time to claim."""
    figures = await _figures(pool, "(node = $1 OR node LIKE $2)", [path, subtree_like(path)])
    return s.ServiceFigures(node=path, **figures)


@router.get("/v1/teams/{team_id}/service", response_model=s.ServiceFigures,
            name="service_of_team")
async def of_team(team_id: UUID, who: CurrentPrincipal, pool: Pool) -> s.ServiceFigures:
    figures = await _figures(pool, "team_id = $1", [team_id])
    return s.ServiceFigures(team_id=str(team_id), **figures)


@router.get("/v1/tiers/{path}/leaderboard", response_model=s.Leaderboard,
            name="leaderboard")
async def leaderboard(path: NodePath, who: CurrentPrincipal, pool: Pool,
                      since: s.When | None = None,
                      limit: Annotated[int, Query(ge=1, le=100)] = 20) -> s.Leaderboard:
    """Who earned the most points by service at `path` or beneath it (since a date, if
    given): points earned, never what was spent or gifted."""
    rows = await pool.fetch(
        f"SELECT e.person, v.name, SUM(e.points) AS points, SUM(e.hours) AS hours "
        f'FROM "{LEDGER.schema}".entries e '
        f'LEFT JOIN "{REGISTRY.schema}".volunteers v USING (person) '
        f"WHERE e.kind = 'credit' AND (e.node = $1 OR e.node LIKE $2) "
        f"AND ($3::timestamptz IS NULL OR e.at >= $3) "
        f"GROUP BY e.person, v.name ORDER BY points DESC, hours DESC, e.person LIMIT $4",
        path, subtree_like(path), since, limit)
    return s.Leaderboard(node=path, since=since, items=[
        s.LeaderRow(rank=i, person=r["person"], name=r["name"], points=r["points"],
                    hours=float(r["hours"])) for i, r in enumerate(rows, start=1)])
