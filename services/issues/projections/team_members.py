"""Who belongs to which volunteer team, from the volunteers service's team events: an issue
assigned to a team (kind `volunteer_team`, id the team's id) is worked on by its members
(issue 12). The issues service never reads the volunteers' tables."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from contracts import read
from contracts.volunteers import TeamFormed, TeamMemberJoined, TeamMemberLeft
from shared.bus.envelope import Envelope
from shared.projections.projection import Projection


class TeamMembers(Projection):
    schema = "issues_team_members"
    streams = ("volunteers",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.members (
        team_id text NOT NULL,
        person text NOT NULL,
        PRIMARY KEY (team_id, person)
    );
    CREATE INDEX IF NOT EXISTS members_person ON {schema}.members (person);
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            match read(e, TeamFormed, TeamMemberJoined, TeamMemberLeft):
                case TeamFormed(leader=person) | TeamMemberJoined(person=person):
                    await conn.execute(f"INSERT INTO {schema}.members VALUES ($1, $2) "
                                       f"ON CONFLICT DO NOTHING", e.subject, person)
                case TeamMemberLeft(person=person):
                    await conn.execute(f"DELETE FROM {schema}.members WHERE team_id = $1 "
                                       f"AND person = $2", e.subject, person)


async def teams_of(pool: asyncpg.Pool, person: str) -> frozenset[str]:
    rows = await pool.fetch(
        f'SELECT team_id FROM "{TeamMembers.schema}".members WHERE person = $1', person)
    return frozenset(r["team_id"] for r in rows)
