"""Wishes and activities as a community sees them: lists, the overdue watcher's query, and
the figures of the wish flow (posted, claimed, fulfilled, time to claim) per node and team."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from contracts import read
from contracts.volunteers import (
    ActivityAttended,
    ActivityPublished,
    ActivitySignedUp,
    ActivitySignUpCancelled,
    WishClaimed,
    WishConfirmed,
    WishDispatched,
    WishDisputed,
    WishFlaggedOverdue,
    WishFulfilled,
    WishPosted,
    WishReopened,
    WishWithdrawn,
)
from shared.bus.envelope import Envelope, business_time
from shared.projections.projection import Projection

# The status each wish event leaves a wish in (dispatched depends on whether a team is named).
_STATUS = {
    WishClaimed.TYPE: "claimed",
    WishFulfilled.TYPE: "fulfilled",
    WishConfirmed.TYPE: "confirmed",
    WishDisputed.TYPE: "disputed",
    WishWithdrawn.TYPE: "withdrawn",
}
# The column each event stamps with its business time.
_STAMP = {
    WishClaimed.TYPE: "claimed_at",
    WishFulfilled.TYPE: "fulfilled_at",
    WishConfirmed.TYPE: "confirmed_at",
    WishDisputed.TYPE: "confirmed_at",
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
            match p := read(e, *_READS):
                case WishPosted():
                    await conn.execute(
                        f"INSERT INTO {schema}.wishes (id, node, community, poster, kind, text,"
                        f" status, posted_at, wanted_by) VALUES ($1, $2, $3, $4, $5, $6, "
                        f"'posted', $7, $8) ON CONFLICT DO NOTHING",
                        e.subject, p.node, p.community, p.poster, p.kind, p.text,
                        business_time(e), _time(p.wanted_by))
                case WishDispatched(team=team):
                    await conn.execute(
                        f"UPDATE {schema}.wishes SET status = $2, team_id = $3, team_name = $4"
                        f" WHERE id = $1", e.subject, "dispatched" if team else "open",
                        team["id"] if team else None, team["name"] if team else None)
                case WishClaimed() | WishFulfilled() | WishConfirmed() | WishDisputed() | \
                        WishWithdrawn():
                    stamp = _STAMP.get(e.type)
                    sets = ["status = $2", "claimer = COALESCE($3, claimer)",
                            "hours = COALESCE($4, hours)"]
                    if stamp:
                        sets.append(f"{stamp} = $5")
                    await conn.execute(
                        f"UPDATE {schema}.wishes SET {', '.join(sets)} WHERE id = $1",
                        e.subject, _STATUS[e.type], getattr(p, "volunteer", None),
                        getattr(p, "hours", None), *([business_time(e)] if stamp else []))
                case WishReopened():
                    await conn.execute(
                        f"UPDATE {schema}.wishes SET status = $2, claimer = NULL, "
                        f"claimed_at = NULL, fulfilled_at = NULL, confirmed_at = NULL, "
                        f"hours = NULL WHERE id = $1",
                        e.subject, "dispatched" if p.team else "open")
                case ActivitySignUpCancelled():
                    await conn.execute(f"UPDATE {schema}.activities SET signed_up = "
                                       f"signed_up - 1 WHERE id = $1", e.subject)
                case WishFlaggedOverdue():
                    await conn.execute(f"UPDATE {schema}.wishes SET flagged_at = $2 "
                                       f"WHERE id = $1", e.subject, business_time(e))
                case ActivityPublished():
                    await conn.execute(
                        f"INSERT INTO {schema}.activities (id, node, title, starts_at, hours,"
                        f" slots) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                        e.subject, p.node, p.title, _time(p.starts_at), p.hours, p.slots)
                case ActivitySignedUp():
                    await conn.execute(f"UPDATE {schema}.activities SET signed_up = "
                                       f"signed_up + 1 WHERE id = $1", e.subject)
                case ActivityAttended():
                    await conn.execute(f"UPDATE {schema}.activities SET attended = "
                                       f"attended + 1 WHERE id = $1", e.subject)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


_READS = (WishPosted, WishDispatched, WishClaimed, WishFulfilled, WishConfirmed, WishDisputed,
          WishWithdrawn, WishReopened, WishFlaggedOverdue, ActivityPublished, ActivitySignedUp,
          ActivitySignUpCancelled, ActivityAttended)
