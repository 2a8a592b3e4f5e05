"""One row per issue, for filtered, paginated lists by subtree, status and category."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from contracts import payload, read
from contracts.issues import (
    IssueAssigned,
    IssueClassified,
    IssueCosigned,
    IssueEscalated,
    IssueRaised,
    IssueReopened,
    IssueSupervised,
    IssueTriaged,
)
from services.issues.domain.issue import STATUS_AFTER
from shared.bus.envelope import Envelope, business_time
from shared.projections.projection import Projection


class IssueList(Projection):
    schema = "issues_issue_list"
    streams = ("issues",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.issues (
        id uuid PRIMARY KEY,
        node text NOT NULL,
        status text NOT NULL,
        category text NOT NULL,
        channel text NOT NULL,
        title text NOT NULL,
        reporter text NOT NULL,
        assignee jsonb,
        raised_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        -- Deadlines, for the supervision watcher (督办): what is past due and not yet
        -- supervised.
        handling_node text,
        ack_by timestamptz,
        resolve_by timestamptz,
        round int NOT NULL DEFAULT 1,
        ack_supervised boolean NOT NULL DEFAULT false,
        resolve_supervised_round int,
        -- Residents who said "me too" (附议): inboxes sort by it.
        cosigners int NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS issues_node ON {schema}.issues (node text_pattern_ops);
    CREATE INDEX IF NOT EXISTS issues_raised ON {schema}.issues (raised_at DESC, id DESC);
    CREATE INDEX IF NOT EXISTS issues_reporter ON {schema}.issues (reporter);
    CREATE INDEX IF NOT EXISTS issues_due ON {schema}.issues (resolve_by)
        WHERE status IN ('raised', 'acknowledged', 'assigned', 'reopened');
    """
    version = 2  # 2: the deadline and co-signature columns in the CREATE, not added by ALTER

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        raised = [(e, p) for e in events if (p := read(e, IssueRaised))]
        if raised:
            await conn.executemany(
                f"INSERT INTO {schema}.issues (id, node, status, category, channel, title,"
                f" reporter, raised_at, updated_at) VALUES ($1, $2, 'raised', $3, $4, $5, $6,"
                f" $7::timestamptz, $7::timestamptz) ON CONFLICT (id) DO NOTHING",
                [(e.subject, p.node, p.category, p.channel, p.title, p.reporter,
                  business_time(e)) for e, p in raised],
            )
        # Every later change of the batch in one statement, applied in event order (a
        # NULL column is left as it was).
        changes = [_change(e) for e in events
                   if e.type == IssueClassified.TYPE
                   or (e.type in STATUS_AFTER and e.type != IssueRaised.TYPE)]
        if changes:
            await conn.executemany(
                f"UPDATE {schema}.issues SET status = COALESCE($2, status),"
                f" category = COALESCE($3, category), assignee = COALESCE($4::jsonb, assignee),"
                f" updated_at = $5::timestamptz WHERE id = $1",
                changes,
            )
        cosigned = [(e.subject, p.cosigners) for e in events if (p := read(e, IssueCosigned))]
        if cosigned:
            await conn.executemany(
                f"UPDATE {schema}.issues SET cosigners = GREATEST(cosigners, $2) WHERE id = $1",
                cosigned)
        deadlines = [_deadline_change(e) for e in events if e.type in _DEADLINE_EVENTS]
        if deadlines:
            await conn.executemany(
                f"UPDATE {schema}.issues SET handling_node = COALESCE($2, handling_node),"
                f" ack_by = COALESCE($3::timestamptz, ack_by),"
                f" resolve_by = COALESCE($4::timestamptz, resolve_by),"
                f" round = COALESCE($5, round),"
                f" ack_supervised = ack_supervised OR $6,"
                f" resolve_supervised_round = COALESCE($7, resolve_supervised_round)"
                f" WHERE id = $1",
                deadlines,
            )


_DEADLINE_EVENTS = (IssueTriaged.TYPE, IssueEscalated.TYPE, IssueReopened.TYPE,
                    IssueSupervised.TYPE)


def _change(e: Envelope) -> tuple:
    """(id, status, category, assignee, updated_at); None leaves a column as it was."""
    p = payload(e)
    return (e.subject, STATUS_AFTER.get(e.type),
            p.category if isinstance(p, IssueClassified) else None,
            json.dumps(p.assignee, ensure_ascii=False) if isinstance(p, IssueAssigned)
            else None, business_time(e))


def _deadline_change(e: Envelope) -> tuple:
    """(id, handling_node, ack_by, resolve_by, round, ack_supervised,
    resolve_supervised_round); None leaves a column as it was."""
    match payload(e):
        case IssueTriaged() as p:
            return (e.subject, p.handling_node, _ts(p.ack_by), _ts(p.resolve_by), None, False,
                    None)
        case IssueEscalated() as p:
            return e.subject, p.to_node, None, None, None, False, None
        case IssueReopened() as p:
            return e.subject, None, None, _ts(p.resolve_by), p.round, False, None
        case IssueSupervised() as p:
            return (e.subject, None, None, None, None, p.kind == "acknowledge",
                    p.round if p.kind == "resolve" else None)
    raise ValueError(f"{e.type} changes no deadline")


def _ts(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None
