"""Webhooks: each whistle event concerning a department is POSTed, signed, to every URL the
department registered, retried with backoff for a day, and logged.

Two halves. The dispatcher is a reaction on grid's own stream: in the same transaction as its
position it enqueues one delivery per (hook, event), so an event is queued exactly once.
The sender claims due deliveries with a lease (a sender that dies mid-POST leaves the row
due again once the lease runs out) and POSTs the structured CloudEvent with a signature:

    Gongzhi-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

so delivery is at least once; receivers deduplicate on the CloudEvent `id`. The dispatcher is
not a read model: rebuilding it would send everything again, so it is not offered to
`gongzhi rebuild`.

A failed delivery is retried after about 2, 4, 8 … s (each ±20 %, so many receivers coming
back do not get their backlog in one burst), at most `MAX_BACKOFF` apart, until `RETRY_FOR`
has passed since the event was queued; only then is it `failed`. The sender's clock is its
own (injected by tests; the service's business clock, which tests freeze, is not for this):
it must agree with the database's, which stamps when a delivery was queued. Removing a hook
cancels its pending deliveries, and a row that cannot be sent (whatever the reason) is
rescheduled alone: it never stops the sender for the others.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
from starlette.concurrency import run_in_threadpool

from contracts import read
from contracts.grid import (
    DepartmentWebhookRegistered,
    DepartmentWebhookRemoved,
    WhistleBlown,
    WhistleClosed,
    WhistleDepartmentCompleted,
    WhistleDepartmentReported,
    WhistleOverdue,
)
from services.grid.projections.whistles import _public, concerned
from services.grid.webhook_urls import Refused, pinned, require_public_now
from shared import telemetry
from shared.bus.envelope import Envelope
from shared.clock import Clock, SystemClock
from shared.reactions import Reacting, Reaction

log = logging.getLogger("gongzhi.grid.webhooks")
REGISTERED = DepartmentWebhookRegistered.TYPE
REMOVED = DepartmentWebhookRemoved.TYPE
RETRY_FOR = timedelta(hours=24)
MAX_BACKOFF = timedelta(minutes=10)
LEASE_SECONDS = 60


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: 2^n s with ±20 % jitter, capped."""
    seconds = min(2.0 ** min(attempts, 20), MAX_BACKOFF.total_seconds())
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def sign(secret: str, body: bytes, at: int | None = None) -> str:
    t = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, body: bytes, header: str, tolerance_seconds: int = 300) -> bool:
    """What a receiver runs: the signature matches and is fresh (against replays)."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        t = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - t) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, body, t), header)


DDL = """
CREATE TABLE IF NOT EXISTS {schema}.hooks (
    hook_id text PRIMARY KEY,
    department text NOT NULL,
    url text NOT NULL,
    removed boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS {schema}.summoned (
    whistle_id uuid PRIMARY KEY,
    departments text[] NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.deliveries (
    id bigserial PRIMARY KEY,
    hook_id text NOT NULL,
    department text NOT NULL,
    url text NOT NULL,
    event_id text NOT NULL,
    type text NOT NULL,
    body text NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    attempts int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_status int,
    last_error text,
    delivered_at timestamptz,
    -- when the event was queued: retries stop RETRY_FOR after it
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (hook_id, event_id)
);
CREATE INDEX IF NOT EXISTS deliveries_due ON {schema}.deliveries (next_attempt_at)
    WHERE status = 'pending';
"""


async def register_hook(r: Reacting, e: Envelope) -> None:
    """The department's new webhook receives its whistle events from now on."""
    hook = DepartmentWebhookRegistered.of(e)
    await r.conn.execute(
        f"INSERT INTO {r.schema}.hooks VALUES ($1, $2, $3) ON CONFLICT (hook_id) DO NOTHING",
        hook.hook_id, hook.department, hook.url)


async def remove_hook(r: Reacting, e: Envelope) -> None:
    """The webhook receives nothing more; its pending retries are cancelled."""
    hook_id = DepartmentWebhookRemoved.of(e).hook_id
    await r.conn.execute(
        f"UPDATE {r.schema}.hooks SET removed = true WHERE hook_id = $1", hook_id)
    # Its pending retries go with it: nothing is sent to a hook that is gone.
    await r.conn.execute(
        f"UPDATE {r.schema}.deliveries SET status = 'cancelled', "
        f"last_error = 'webhook removed' WHERE hook_id = $1 AND status = 'pending'", hook_id)


async def enqueue_deliveries(r: Reacting, e: Envelope) -> None:
    """One delivery per webhook of each department the whistle event concerns, sent by the
    webhook sender."""
    if (blown := read(e, WhistleBlown)) is not None:
        await r.conn.execute(
            f"INSERT INTO {r.schema}.summoned VALUES ($1, $2) ON CONFLICT DO NOTHING",
            e.subject, blown.departments)
    summoned = await r.conn.fetchval(
        f"SELECT departments FROM {r.schema}.summoned WHERE whistle_id = $1", e.subject) or []
    await r.conn.execute(
        f"INSERT INTO {r.schema}.deliveries (hook_id, department, url, event_id, type, body) "
        f"SELECT hook_id, department, url, $2, $3, $4 FROM {r.schema}.hooks "
        f"WHERE department = ANY($1::text[]) AND NOT removed "
        f"ON CONFLICT (hook_id, event_id) DO NOTHING",
        concerned(e, summoned), e.id, e.type, _public(e))


# The dispatcher: a reaction on grid's own stream that keeps only tables of its own.
DISPATCH = Reaction("grid_webhooks", "grid", {
    DepartmentWebhookRegistered.TYPE: register_hook,
    DepartmentWebhookRemoved.TYPE: remove_hook,
    **dict.fromkeys((WhistleBlown.TYPE, WhistleDepartmentReported.TYPE,
                     WhistleDepartmentCompleted.TYPE, WhistleOverdue.TYPE, WhistleClosed.TYPE),
                    enqueue_deliveries),
}, ddl=DDL)


class WebhookSender:
    """Sends due deliveries; a background task of the grid service. Signing secrets are
    read from the Department aggregates in grid's own store: they never leave it."""

    def __init__(self, pool: asyncpg.Pool, secret_of: Callable[[str, str], str], *,
                 timeout: float = 10.0, lease_seconds: float = LEASE_SECONDS,
                 allow_hosts: frozenset[str] = frozenset(),
                 clock: Clock | None = None) -> None:
        self.pool = pool
        self.allow_hosts = allow_hosts  # GONGZHI_WEBHOOK_ALLOW_HOSTS
        self.secret_of = secret_of  # (department, hook id) -> secret
        self.timeout = timeout
        self.lease = timedelta(seconds=lease_seconds)
        self.clock = clock or SystemClock()
        self.q = f'"{DISPATCH.schema}"'

    async def send_due(self, client: httpx.AsyncClient, limit: int = 20) -> int:
        now = self.clock.now()
        due = await self.pool.fetch(
            f"UPDATE {self.q}.deliveries d SET next_attempt_at = $2 "
            f"WHERE d.id IN (SELECT id FROM {self.q}.deliveries x "
            f"WHERE status = 'pending' AND next_attempt_at <= $1 AND NOT EXISTS ("
            f"SELECT FROM {self.q}.hooks h WHERE h.hook_id = x.hook_id AND h.removed) "
            f"ORDER BY id FOR UPDATE SKIP LOCKED LIMIT {limit}) "
            f"RETURNING d.id, d.url, d.body, d.event_id, d.attempts, d.hook_id, d.department, "
            f"d.created_at", now, now + self.lease)
        for row in due:
            try:
                await self._send(client, row)
            except Exception as exc:  # one bad row must not hold the others back
                log.exception("webhook delivery %s could not be attempted", row["id"])
                await self._record(row, False, None, f"{type(exc).__name__}: {exc}")
        return len(due)

    async def _send(self, client: httpx.AsyncClient, row: asyncpg.Record) -> None:
        body = row["body"].encode()
        secret = await run_in_threadpool(self.secret_of, row["department"], row["hook_id"])
        status, error = None, None
        try:
            # Where the name points now, checked and pinned: never a private address.
            address = await require_public_now(row["url"], self.allow_hosts)
            url, host, tls = (row["url"], {}, {}) if address is None else pinned(row["url"],
                                                                                 address)
            response = await client.post(url, content=body, extensions=tls, headers={
                "Content-Type": "application/cloudevents+json; charset=utf-8",
                "Gongzhi-Signature": sign(secret, body),
                "Gongzhi-Delivery": str(row["id"]),
                "Gongzhi-Event-Id": row["event_id"],
                **host,
            })
            status = response.status_code
            ok = 200 <= status < 300
            if not ok:
                error = f"HTTP {status}: {response.text[:200]}"
        except httpx.HTTPError as exc:
            ok, error = False, f"{type(exc).__name__}: {exc}"
        except Refused as exc:
            ok, error = False, f"refused: {exc}"
        await self._record(row, ok, status, error)

    async def _record(self, row: asyncpg.Record, ok: bool, status: int | None,
                      error: str | None) -> None:
        attempts = row["attempts"] + 1
        now = self.clock.now()
        if ok:
            await self.pool.execute(
                f"UPDATE {self.q}.deliveries SET status = 'delivered', attempts = $2, "
                f"last_status = $3, last_error = NULL, delivered_at = $4 WHERE id = $1",
                row["id"], attempts, status, now)
            return
        next_at = now + retry_delay(attempts)
        gave_up = next_at - row["created_at"] > RETRY_FOR
        await self.pool.execute(
            f"UPDATE {self.q}.deliveries SET status = $2, attempts = $3, last_status = $4, "
            f"last_error = $5, next_attempt_at = $6 WHERE id = $1 AND status = 'pending'",
            row["id"], "failed" if gave_up else "pending", attempts, status, error, next_at)

    async def run(self, every_seconds: float) -> None:
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            while True:
                if not await self.send_due(client):
                    await asyncio.sleep(every_seconds)


WEBHOOKS = DISPATCH.bind()  # runs without commands: no application


async def failing_deliveries(pool: asyncpg.Pool, limit: int = 50) -> dict[str, Any]:
    """For operators: deliveries that have failed at least once and are not delivered."""
    rows = await pool.fetch(
        f"SELECT id, department, url, type, status, attempts, next_attempt_at, last_status, "
        f"last_error, body FROM {DISPATCH.schema}.deliveries "
        f"WHERE status <> 'delivered' AND attempts > 0 ORDER BY id DESC LIMIT $1", limit)
    out = []
    for r in rows:
        try:
            traceparent = json.loads(r["body"]).get("traceparent")
        except ValueError:
            traceparent = None
        out.append({k: r[k] for k in ("id", "department", "url", "type", "status", "attempts",
                                      "last_status", "last_error")}
                   | {"next_attempt_at": r["next_attempt_at"].isoformat(),
                      "trace_id": telemetry.trace_id(traceparent)})
    return {"failing_webhook_deliveries": out}
