"""Wishes and activities as a community sees them: lists, the overdue watcher's query, and
the figures of the wish flow (posted, claimed, fulfilled, time to claim) per node and team."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from shared.bus.envelope import Envelope, business_time
from shared.projections.projection import Projection

# The status each wish event leaves a wish in (dispatched depends on whether a team is named).
_STATUS = {
    "gongzhi.wish.claimed.v1": "claimed",
    "gongzhi.wish.fulfilled.v1": "fulfilled",
    "gongzhi.wish.confirmed.v1": "confirmed",
    "gongzhi.wish.disputed.v1": "disputed",
    "gongzhi.wish.withdrawn.v1": "withdrawn",
}
# The column each event stamps with its business time.
_STAMP = {
    "gongzhi.wish.claimed.v1": "claimed_at",
    "gongzhi.wish.fulfilled.v1": "fulfilled_at",
    "gongzhi.wish.confirmed.v1": "confirmed_at",
    "gongzhi.wish.disputed.v1": "confirmed_at",
}


class Board(Projection):
    schema = "volunteers_board"
    streams = ("volunteers",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.wishes (
        id uuid PRIMARY KEY,
        node text NOT NULL,
        community text NOT NULL,
        poster text NOT NULL,
        kind text NOT NULL,
        text text NOT NULL,
        status text NOT NULL,
        team_id uuid,
        team_name text,
        claimer text,
        hours double precision,
        posted_at timestamptz NOT NULL,
        wanted_by timestamptz NOT NULL,
        claimed_at timestamptz,
        fulfilled_at timestamptz,
        confirmed_at timestamptz,
        flagged_at timestamptz
    );
    CREATE INDEX IF NOT EXISTS wishes_node ON {schema}.wishes (node text_pattern_ops);
    CREATE INDEX IF NOT EXISTS wishes_unclaimed ON {schema}.wishes (wanted_by)
        WHERE status IN ('posted', 'dispatched', 'open') AND flagged_at IS NULL;
    CREATE TABLE IF NOT EXISTS {schema}.activities (
        id uuid PRIMARY KEY,
        node text NOT NULL,
        title text NOT NULL,
        starts_at timestamptz NOT NULL,
        hours double precision NOT NULL,
        slots int NOT NULL,
        signed_up int NOT NULL DEFAULT 0,
        attended int NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS activities_node ON {schema}.activities (node text_pattern_ops);
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            d = e.data
            if e.type == "gongzhi.wish.posted.v1":
                await conn.execute(
                    f"INSERT INTO {schema}.wishes (id, node, community, poster, kind, text,"
                    f" status, posted_at, wanted_by) VALUES ($1, $2, $3, $4, $5, $6, 'posted',"
                    f" $7, $8) ON CONFLICT DO NOTHING",
                    e.subject, d["node"], d["community"], d["poster"], d["kind"], d["text"],
                    business_time(e), _time(d["wanted_by"]))
            elif e.type == "gongzhi.wish.dispatched.v1":
                team = d.get("team") or {}
                await conn.execute(
                    f"UPDATE {schema}.wishes SET status = $2, team_id = $3, team_name = $4"
                    f" WHERE id = $1", e.subject, "dispatched" if team else "open",
                    team.get("id"), team.get("name"))
            elif e.type in _STATUS:
                stamp = _STAMP.get(e.type)
                sets = ["status = $2", "claimer = COALESCE($3, claimer)",
                        "hours = COALESCE($4, hours)"]
                if stamp:
                    sets.append(f"{stamp} = $5")
                await conn.execute(
                    f"UPDATE {schema}.wishes SET {', '.join(sets)} WHERE id = $1",
                    e.subject, _STATUS[e.type], d.get("volunteer"), d.get("hours"),
                    *([business_time(e)] if stamp else []))
            elif e.type == "gongzhi.wish.reopened.v1":
                await conn.execute(
                    f"UPDATE {schema}.wishes SET status = $2, claimer = NULL, claimed_at = NULL,"
                    f" fulfilled_at = NULL, confirmed_at = NULL, hours = NULL WHERE id = $1",
                    e.subject, "dispatched" if d.get("team") else "open")
            elif e.type == "gongzhi.activity.sign_up_cancelled.v1":
                await conn.execute(f"UPDATE {schema}.activities SET signed_up = signed_up - 1"
                                   f" WHERE id = $1", e.subject)
            elif e.type == "gongzhi.wish.flagged_overdue.v1":
                await conn.execute(f"UPDATE {schema}.wishes SET flagged_at = $2 WHERE id = $1",
                                   e.subject, business_time(e))
            elif e.type == "gongzhi.activity.published.v1":
                await conn.execute(
                    f"INSERT INTO {schema}.activities (id, node, title, starts_at, hours, slots)"
                    f" VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                    e.subject, d["node"], d["title"], _time(d["starts_at"]), d["hours"],
                    d["slots"])
            elif e.type == "gongzhi.activity.signed_up.v1":
                await conn.execute(f"UPDATE {schema}.activities SET signed_up = signed_up + 1"
                                   f" WHERE id = $1", e.subject)
            elif e.type == "gongzhi.activity.attended.v1":
                await conn.execute(f"UPDATE {schema}.activities SET attended = attended + 1"
                                   f" WHERE id = $1", e.subject)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)
