"""Who has reported to which community (双报到), from which organisation, and the teams."""

from __future__ import annotations

import json
from collections.abc import Sequence

import asyncpg

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
            d = e.data
            if e.type == "gongzhi.volunteer.registered.v1":
                await conn.execute(
                    f"INSERT INTO {schema}.volunteers (person, name, kind, home, community,"
                    f" organisation, skills, availability, registered_at)"
                    f" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
                    d["person"], d["name"], d["kind"], d["home"], d["community"],
                    d.get("organisation"), json.dumps(d["skills"], ensure_ascii=False),
                    json.dumps(d["availability"]), business_time(e))
            elif e.type == "gongzhi.volunteer.profile_updated.v1":
                await conn.execute(
                    f"UPDATE {schema}.volunteers SET skills = $2, availability = $3"
                    f" WHERE person = $1", d["person"], json.dumps(d["skills"], ensure_ascii=False),
                    json.dumps(d["availability"]))
            elif e.type == "gongzhi.volunteer.moved.v1":
                await conn.execute(
                    f"UPDATE {schema}.volunteers SET home = $2, community = $3 WHERE person = $1",
                    d["person"], d["home"], d["community"])
            elif e.type == "gongzhi.volunteer.deregistered.v1":
                await conn.execute(
                    f"UPDATE {schema}.volunteers SET active = false, left_at = $2"
                    f" WHERE person = $1", d["person"], business_time(e))
            elif e.type == "gongzhi.organisation.registered.v1":
                await conn.execute(
                    f"INSERT INTO {schema}.organisations (code, name, node, commitments)"
                    f" VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    d["code"], d["name"], d["node"],
                    json.dumps(d["commitments"], ensure_ascii=False))
            elif e.type == "gongzhi.organisation.commitments_set.v1":
                await conn.execute(
                    f"UPDATE {schema}.organisations SET commitments = $2 WHERE code = $1",
                    d["code"], json.dumps(d["commitments"], ensure_ascii=False))
            elif e.type == "gongzhi.team.formed.v1":
                await conn.execute(
                    f"INSERT INTO {schema}.teams (id, node, code, name, kind, leader)"
                    f" VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                    e.subject, d["node"], d["code"], d["name"], d["kind"], d["leader"])
                await _join(conn, schema, e.subject, d["leader"])
            elif e.type == "gongzhi.team.member_joined.v1":
                await _join(conn, schema, e.subject, d["person"])
            elif e.type == "gongzhi.team.member_left.v1":
                await conn.execute(
                    f"DELETE FROM {schema}.team_members WHERE team_id = $1 AND person = $2",
                    e.subject, d["person"])
            elif e.type == "gongzhi.team.leader_changed.v1":
                await conn.execute(f"UPDATE {schema}.teams SET leader = $2 WHERE id = $1",
                                   e.subject, d["person"])


async def _join(conn: asyncpg.Connection, schema: str, team_id: str, person: str) -> None:
    await conn.execute(f"INSERT INTO {schema}.team_members (team_id, person) VALUES ($1, $2)"
                       f" ON CONFLICT DO NOTHING", team_id, person)
