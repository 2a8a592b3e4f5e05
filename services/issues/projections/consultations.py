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

from contracts import read
from contracts.issues import (
    ConsultationConcluded,
    ConsultationOpened,
    ConsultationProposalAdded,
    ConsultationVoteCast,
    ConsultationVotingClosed,
)
from shared.bus.envelope import Envelope
from shared.projections.projection import Projection


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _time(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


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
            match read(e, ConsultationOpened, ConsultationProposalAdded, ConsultationVoteCast,
                       ConsultationVotingClosed, ConsultationConcluded):
                case ConsultationOpened() as p:
                    await conn.execute(
                        f"INSERT INTO {table} (id, node, issue_id, topic, form, convenor, "
                        f"parties, rule, quorum, status, proposals, eligible, opened_at) VALUES"
                        f" ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, 'open', "
                        f"$10::jsonb, $11, $12) ON CONFLICT (id) DO NOTHING",
                        e.subject, p.node, p.issue_id, p.topic, p.form, _json(p.convenor),
                        _json(p.parties), p.rule, p.quorum, _json(p.proposals),
                        len(p.eligible), _time(p.at))
                case ConsultationProposalAdded() as p:
                    await conn.execute(
                        f"UPDATE {table} SET proposals = proposals || $2::jsonb WHERE id = $1",
                        e.subject, _json([p.proposal]))
                case ConsultationVoteCast(replaces=None):  # a changed vote is not a new one
                    await conn.execute(
                        f"UPDATE {table} SET ballots = ballots + 1 WHERE id = $1", e.subject)
                case ConsultationVotingClosed() as p:
                    await conn.execute(
                        f"UPDATE {table} SET status = 'voting_closed', tally = $2::jsonb,"
                        f" closed_at = $3 WHERE id = $1", e.subject, _json(p.tally),
                        _time(p.at))
                case ConsultationConcluded() as p:
                    await conn.execute(
                        f"UPDATE {table} SET status = 'concluded', conclusion = $2,"
                        f" adopted = $3::jsonb, assignments = $4::jsonb, published_at = $5"
                        f" WHERE id = $1", e.subject, p.conclusion, _json(p.adopted),
                        _json(p.assignments), _time(p.published_at))
