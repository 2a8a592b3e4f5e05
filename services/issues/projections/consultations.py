"""One row per consultation (议事), for the list per node subtree and the notice board of
published conclusions (公示): what was deliberated, the tally, what was adopted, who does what.

Consultations are few and their events arrive one meeting at a time, so each event is one
statement, in order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from shared.bus.envelope import Envelope
from shared.projections.projection import Projection

OPENED = "gongzhi.consultation.opened.v1"
PROPOSAL_ADDED = "gongzhi.consultation.proposal_added.v1"
VOTE_CAST = "gongzhi.consultation.vote_cast.v1"
VOTING_CLOSED = "gongzhi.consultation.voting_closed.v1"
CONCLUDED = "gongzhi.consultation.concluded.v1"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _at(e: Envelope, field: str = "at") -> datetime:
    return datetime.fromisoformat(e.data.get(field) or e.time)


class Consultations(Projection):
    schema = "issues_consultations"
    streams = ("issues",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.consultations (
        id uuid PRIMARY KEY,
        node text NOT NULL,
        issue_id text,
        topic text NOT NULL,
        form text NOT NULL,
        convenor jsonb NOT NULL,
        parties jsonb NOT NULL,
        rule text NOT NULL,
        quorum text,
        status text NOT NULL,
        proposals jsonb NOT NULL,
        eligible integer NOT NULL,
        ballots integer NOT NULL DEFAULT 0,
        opened_at timestamptz NOT NULL,
        closed_at timestamptz,
        tally jsonb,
        conclusion text,
        adopted jsonb,
        assignments jsonb,
        published_at timestamptz
    );
    CREATE INDEX IF NOT EXISTS consultations_node
        ON {schema}.consultations (node text_pattern_ops);
    CREATE INDEX IF NOT EXISTS consultations_published
        ON {schema}.consultations (published_at DESC) WHERE status = 'concluded';
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        table = f"{schema}.consultations"
        for e in events:
            d = e.data
            if e.type == OPENED:
                await conn.execute(
                    f"INSERT INTO {table} (id, node, issue_id, topic, form, convenor, parties,"
                    f" rule, quorum, status, proposals, eligible, opened_at) VALUES ($1, $2, $3,"
                    f" $4, $5, $6::jsonb, $7::jsonb, $8, $9, 'open', $10::jsonb, $11, $12)"
                    f" ON CONFLICT (id) DO NOTHING",
                    e.subject, d["node"], d["issue_id"], d["topic"], d["form"],
                    _json(d["convenor"]), _json(d["parties"]), d["rule"], d["quorum"],
                    _json(d["proposals"]), len(d["eligible"]), _at(e))
            elif e.type == PROPOSAL_ADDED:
                await conn.execute(
                    f"UPDATE {table} SET proposals = proposals || $2::jsonb WHERE id = $1",
                    e.subject, _json([d["proposal"]]))
            elif e.type == VOTE_CAST and d["replaces"] is None:
                await conn.execute(f"UPDATE {table} SET ballots = ballots + 1 WHERE id = $1",
                                   e.subject)
            elif e.type == VOTING_CLOSED:
                await conn.execute(
                    f"UPDATE {table} SET status = 'voting_closed', tally = $2::jsonb,"
                    f" closed_at = $3 WHERE id = $1", e.subject, _json(d["tally"]), _at(e))
            elif e.type == CONCLUDED:
                await conn.execute(
                    f"UPDATE {table} SET status = 'concluded', conclusion = $2,"
                    f" adopted = $3::jsonb, assignments = $4::jsonb, published_at = $5"
                    f" WHERE id = $1", e.subject, d["conclusion"], _json(d["adopted"]),
                    _json(d["assignments"]), _at(e, "published_at"))
