"""Who has reported to which community (双报到), from which organisation, and the teams."""

from __future__ import annotations

import json
from collections.abc import Sequence

import asyncpg

from contracts import read
from contracts.volunteers import (
    OrganisationCommitmentsSet,
    OrganisationRegistered,
    TeamFormed,
    TeamLeaderChanged,
    TeamMemberJoined,
    TeamMemberLeft,
    VolunteerDeregistered,
    VolunteerMoved,
    VolunteerProfileUpdated,
    VolunteerRegistered,
)
from shared.bus.envelope import Envelope, business_time
from shared.projections.projection import Projection


class Registry(Projection):
    schema = "volunteers_registry"
    streams = ("volunteers",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.volunteers (
        person text PRIMARY KEY,
        name text NOT NULL,
        kind text NOT NULL,
        home text NOT NULL,
        community text NOT NULL,
        organisation text,
        skills jsonb NOT NULL,
        availability jsonb NOT NULL,
        active boolean NOT NULL DEFAULT true,
        registered_at timestamptz NOT NULL,
        left_at timestamptz
    );
    CREATE INDEX IF NOT EXISTS volunteers_community ON {schema}.volunteers (community);
    CREATE INDEX IF NOT EXISTS volunteers_organisation ON {schema}.volunteers (organisation);
    CREATE TABLE IF NOT EXISTS {schema}.organisations (
        code text PRIMARY KEY,
        name text NOT NULL,
        node text NOT NULL,
        commitments jsonb NOT NULL
    );
    CREATE TABLE IF NOT EXISTS {schema}.teams (
        id uuid PRIMARY KEY,
        node text NOT NULL,
        code text NOT NULL,
        name text NOT NULL,
        kind text NOT NULL,
        leader text NOT NULL
    );
    CREATE INDEX IF NOT EXISTS teams_node ON {schema}.teams (node text_pattern_ops);
    CREATE TABLE IF NOT EXISTS {schema}.team_members (
        team_id uuid NOT NULL,
        person text NOT NULL,
        PRIMARY KEY (team_id, person)
    );
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            match read(e, *_READS):
                case VolunteerRegistered() as p:
                    await conn.execute(
                        f"INSERT INTO {schema}.volunteers (person, name, kind, home, community,"
                        f" organisation, skills, availability, registered_at)"
                        f" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
                        p.person, p.name, p.kind, p.home, p.community,
                        p.organisation, json.dumps(p.skills, ensure_ascii=False),
                        json.dumps(p.availability), business_time(e))
                case VolunteerProfileUpdated() as p:
                    await conn.execute(
                        f"UPDATE {schema}.volunteers SET skills = $2, availability = $3"
                        f" WHERE person = $1", p.person, json.dumps(p.skills, ensure_ascii=False),
                        json.dumps(p.availability))
                case VolunteerMoved() as p:
                    await conn.execute(
                        f"UPDATE {schema}.volunteers SET home = $2, community = $3 "
                        f"WHERE person = $1",
                        p.person, p.home, p.community)
                case VolunteerDeregistered() as p:
                    await conn.execute(
                        f"UPDATE {schema}.volunteers SET active = false, left_at = $2"
                        f" WHERE person = $1", p.person, business_time(e))
                case OrganisationRegistered() as p:
                    await conn.execute(
                        f"INSERT INTO {schema}.organisations (code, name, node, commitments)"
                        f" VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                        p.code, p.name, p.node,
                        json.dumps(p.commitments, ensure_ascii=False))
                case OrganisationCommitmentsSet() as p:
                    await conn.execute(
                        f"UPDATE {schema}.organisations SET commitments = $2 WHERE code = $1",
                        p.code, json.dumps(p.commitments, ensure_ascii=False))
                case TeamFormed() as p:
                    await conn.execute(
                        f"INSERT INTO {schema}.teams (id, node, code, name, kind, leader)"
                        f" VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                        e.subject, p.node, p.code, p.name, p.kind, p.leader)
                    await _join(conn, schema, e.subject, p.leader)
                case TeamMemberJoined() as p:
                    await _join(conn, schema, e.subject, p.person)
                case TeamMemberLeft() as p:
                    await conn.execute(
                        f"DELETE FROM {schema}.team_members WHERE team_id = $1 AND person = $2",
                        e.subject, p.person)
                case TeamLeaderChanged() as p:
                    await conn.execute(f"UPDATE {schema}.teams SET leader = $2 WHERE id = $1",
                                       e.subject, p.person)


async def _join(conn: asyncpg.Connection, schema: str, team_id: str, person: str) -> None:
    await conn.execute(f"INSERT INTO {schema}.team_members (team_id, person) VALUES ($1, $2)"
                       f" ON CONFLICT DO NOTHING", team_id, person)


_READS = (OrganisationCommitmentsSet, OrganisationRegistered, TeamFormed, TeamLeaderChanged,
          TeamMemberJoined, TeamMemberLeft, VolunteerDeregistered, VolunteerMoved,
          VolunteerProfileUpdated, VolunteerRegistered)
