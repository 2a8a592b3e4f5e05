"""The time bank as books: one row per movement (the statement), one per account (balance,
points earned, hours served), and the rewards catalogue with its stock.

Hours and points earned carry the node where the service was given and the team it was given
with, so tier roll-ups (a node and everything beneath it) and team figures are sums here.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from shared.bus.envelope import Envelope, business_time
from shared.projections.projection import Projection

# Movement kind, and the sign its points take on the balance.
_MOVEMENTS = {
    "gongzhi.account.credited.v1": ("credit", 1),
    "gongzhi.account.redeemed.v1": ("redemption", -1),
    "gongzhi.account.gift_sent.v1": ("gift_sent", -1),
    "gongzhi.account.gift_received.v1": ("gift_received", 1),
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
            d = e.data
            if e.type == "gongzhi.account.opened.v1":
                await conn.execute(f"INSERT INTO {schema}.accounts (person, node) VALUES"
                                   f" ($1, $2) ON CONFLICT DO NOTHING", d["person"], d["node"])
            elif e.type in _MOVEMENTS:
                await self._movement(conn, schema, e)
            elif e.type == "gongzhi.reward.listed.v1":
                await conn.execute(
                    f"INSERT INTO {schema}.rewards (id, node, code, name, kind, points, stock)"
                    f" VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                    e.subject, d["node"], d["code"], d["name"], d["kind"], d["points"],
                    d["stock"])
            elif e.type in ("gongzhi.reward.restocked.v1", "gongzhi.reward.handed_out.v1"):
                await conn.execute(f"UPDATE {schema}.rewards SET stock = $2 WHERE id = $1",
                                   e.subject, d["stock"])

    async def _movement(self, conn: asyncpg.Connection, schema: str, e: Envelope) -> None:
        d = e.data
        kind, sign = _MOVEMENTS[e.type]
        points = sign * int(d["points"])
        earned = points if kind == "credit" else 0
        hours = float(d.get("hours") or 0)
        team = (d.get("team") or {}).get("id")
        await conn.execute(
            f"INSERT INTO {schema}.entries (event_id, person, kind, points, balance, hours,"
            f" source, source_id, node, team_id, counterpart, reward, reason, at)"
            f" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
            f" ON CONFLICT DO NOTHING",
            e.id, d["person"], kind, points, d["balance"], hours, d.get("source"),
            d.get("source_id"), d.get("node") or e.tier or "", team,
            d.get("to") or d.get("sender"), d.get("reward"), d.get("reason") or d.get("note"),
            business_time(e))
        await conn.execute(
            f"UPDATE {schema}.accounts SET balance = $2, earned = earned + $3,"
            f" hours = hours + $4 WHERE person = $1", d["person"], d["balance"], earned, hours)
