"""The time bank as books: one row per movement (the statement), one per account (balance,
points earned, hours served), and the rewards catalogue with its stock.

Hours and points earned carry the node where the service was given and the team it was given
with, so tier roll-ups (a node and everything beneath it) and team figures are sums here.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from contracts import read
from contracts.volunteers import (
    AccountCredited,
    AccountGiftReceived,
    AccountGiftSent,
    AccountOpened,
    AccountRedeemed,
    RewardHandedOut,
    RewardListed,
    RewardRestocked,
)
from shared.bus.envelope import Envelope, business_time
from shared.projections.projection import Projection

# Movement kind, and the sign its points take on the balance.
_MOVEMENTS = {
    AccountCredited.TYPE: ("credit", 1),
    AccountRedeemed.TYPE: ("redemption", -1),
    AccountGiftSent.TYPE: ("gift_sent", -1),
    AccountGiftReceived.TYPE: ("gift_received", 1),
}


class Ledger(Projection):
    schema = "volunteers_ledger"
    streams = ("volunteers",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.entries (
        event_id text PRIMARY KEY,
        person text NOT NULL,
        kind text NOT NULL,
        points int NOT NULL,          -- signed: + credits the account, - debits it
        balance int NOT NULL,         -- after this movement
        hours double precision NOT NULL DEFAULT 0,
        source text,
        source_id text,
        node text NOT NULL,
        team_id uuid,
        counterpart text,             -- the other person of a gift
        reward text,
        reason text,
        at timestamptz NOT NULL,
        seq bigserial
    );
    CREATE INDEX IF NOT EXISTS entries_person ON {schema}.entries (person, seq);
    CREATE INDEX IF NOT EXISTS entries_node ON {schema}.entries (node text_pattern_ops)
        WHERE kind = 'credit';
    CREATE TABLE IF NOT EXISTS {schema}.accounts (
        person text PRIMARY KEY,
        node text NOT NULL,
        balance int NOT NULL DEFAULT 0,
        earned int NOT NULL DEFAULT 0,
        hours double precision NOT NULL DEFAULT 0
    );
    CREATE TABLE IF NOT EXISTS {schema}.rewards (
        id uuid PRIMARY KEY,
        node text NOT NULL,
        code text NOT NULL,
        name text NOT NULL,
        kind text NOT NULL,
        points int NOT NULL,
        stock int NOT NULL
    );
    CREATE INDEX IF NOT EXISTS rewards_node ON {schema}.rewards (node text_pattern_ops);
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            match p := read(e, *_READS):
                case AccountOpened():
                    await conn.execute(f"INSERT INTO {schema}.accounts (person, node) VALUES"
                                       f" ($1, $2) ON CONFLICT DO NOTHING", p.person, p.node)
                case AccountCredited() | AccountRedeemed() | AccountGiftSent() | \
                        AccountGiftReceived():
                    await self._movement(conn, schema, e, p)
                case RewardListed():
                    await conn.execute(
                        f"INSERT INTO {schema}.rewards (id, node, code, name, kind, points, "
                        f"stock) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                        e.subject, p.node, p.code, p.name, p.kind, p.points, p.stock)
                case RewardRestocked() | RewardHandedOut():
                    await conn.execute(f"UPDATE {schema}.rewards SET stock = $2 WHERE id = $1",
                                       e.subject, p.stock)

    async def _movement(self, conn: asyncpg.Connection, schema: str, e: Envelope,
                        p: AccountCredited | AccountRedeemed | AccountGiftSent
                        | AccountGiftReceived) -> None:
        kind, sign = _MOVEMENTS[e.type]
        points = sign * int(p.points)
        earned = points if kind == "credit" else 0
        credit = p if isinstance(p, AccountCredited) else None
        hours = float(credit.hours or 0) if credit else 0.0
        team = credit.team["id"] if credit and credit.team else None
        counterpart = p.to if isinstance(p, AccountGiftSent) else \
            p.sender if isinstance(p, AccountGiftReceived) else None
        await conn.execute(
            f"INSERT INTO {schema}.entries (event_id, person, kind, points, balance, hours,"
            f" source, source_id, node, team_id, counterpart, reward, reason, at)"
            f" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
            f" ON CONFLICT DO NOTHING",
            e.id, p.person, kind, points, p.balance, hours,
            credit.source if credit else None, credit.source_id if credit else None,
            (credit.node if credit else None) or e.tier or "", team, counterpart,
            p.reward if isinstance(p, AccountRedeemed) else None,
            (credit.reason if credit else None) or getattr(p, "note", None),
            business_time(e))
        await conn.execute(
            f"UPDATE {schema}.accounts SET balance = $2, earned = earned + $3,"
            f" hours = hours + $4 WHERE person = $1", p.person, p.balance, earned, hours)


_READS = (AccountOpened, AccountCredited, AccountRedeemed, AccountGiftSent,
          AccountGiftReceived, RewardListed, RewardRestocked, RewardHandedOut)
