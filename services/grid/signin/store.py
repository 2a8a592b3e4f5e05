"""Grid's sign-in tables, in schema `grid_signin`: kept beside the event store, never
published and never rebuilt (they are nobody's projection), so a password hash can be
replaced or erased for good. docs/console.md, "Sign-in", says why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from shared.db import conn_params

SCHEMA = "grid_signin"
DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
-- A person's login (a name or their phone) and password hash: one per person.
CREATE TABLE IF NOT EXISTS {SCHEMA}.logins (
    staff_id text PRIMARY KEY,
    login text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    set_at timestamptz NOT NULL,
    set_by text NOT NULL
);
-- Residents who signed in: the HMAC of their phone, and the home node they named.
CREATE TABLE IF NOT EXISTS {SCHEMA}.residents (
    sub text PRIMARY KEY,
    home text NOT NULL,
    first_at timestamptz NOT NULL,
    last_at timestamptz NOT NULL
);
-- The one live one-time code per resident, as a keyed hash.
CREATE TABLE IF NOT EXISTS {SCHEMA}.codes (
    sub text PRIMARY KEY,
    digest text NOT NULL,
    issued_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    attempts int NOT NULL DEFAULT 0
);
-- Console sessions, by a hash of their csrf value (shared/sessions.py): live until ends_at,
-- unless signed out (ended_at). Times are wall-clock, as the tokens' expiry is.
CREATE TABLE IF NOT EXISTS {SCHEMA}.sessions (
    sid text PRIMARY KEY,
    sub text NOT NULL,
    role text NOT NULL,
    scope text NOT NULL,
    started_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    ended_at timestamptz
);
-- Failed attempts in a row per login, phone or client address (keyed hashes).
CREATE TABLE IF NOT EXISTS {SCHEMA}.failures (
    key text PRIMARY KEY,
    failures int NOT NULL,
    last_at timestamptz NOT NULL,
    blocked_until timestamptz
);
"""


async def create_tables(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        # Two replicas starting together would race on CREATE ... IF NOT EXISTS.
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", SCHEMA)
            await conn.execute(DDL)


# -- staff logins ---------------------------------------------------------------------------

async def login_by_name(pool: asyncpg.Pool, login: str) -> dict[str, Any] | None:
    row = await pool.fetchrow(
        f"SELECT staff_id, login, password_hash FROM {SCHEMA}.logins WHERE login = $1", login)
    return dict(row) if row else None


async def login_of(pool: asyncpg.Pool, staff_id: str) -> dict[str, Any] | None:
    row = await pool.fetchrow(
        f"SELECT staff_id, login, password_hash, set_at, set_by FROM {SCHEMA}.logins "
        f"WHERE staff_id = $1", staff_id)
    return dict(row) if row else None


async def remove_login(pool: asyncpg.Pool, staff_id: str) -> bool:
    return await pool.fetchval(f"DELETE FROM {SCHEMA}.logins WHERE staff_id = $1 "
                               f"RETURNING true", staff_id) is not None


async def set_login(pool: asyncpg.Pool, staff_id: str, login: str, password_hash: str,
                    at: datetime, by: str) -> bool:
    """False when another person already has that login."""
    try:
        await pool.execute(
            f"INSERT INTO {SCHEMA}.logins (staff_id, login, password_hash, set_at, set_by) "
            f"VALUES ($1, $2, $3, $4, $5) ON CONFLICT (staff_id) DO UPDATE SET "
            f"login = $2, password_hash = $3, set_at = $4, set_by = $5",
            staff_id, login, password_hash, at, by)
    except asyncpg.UniqueViolationError:
        return False
    return True


def seed_logins(database_url: str, rows: list[tuple[str, str]], password_hash: str,
                at: datetime, by: str) -> int:
    """Give each (staff id, login) the hash unless the person already has a login; returns
    how many were new. Synchronous, for the seeding command (no service need be running)."""
    import psycopg

    with psycopg.connect(**conn_params(database_url), autocommit=True) as conn:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (SCHEMA,))
            conn.execute(DDL.encode())
        done = conn.execute(
            f"INSERT INTO {SCHEMA}.logins (staff_id, login, password_hash, set_at, set_by) "
            f"SELECT s, l, %s, %s, %s FROM unnest(%s::text[], %s::text[]) AS t(s, l) "
            f"ON CONFLICT DO NOTHING RETURNING staff_id",
            (password_hash, at, by, [s for s, _ in rows], [lg for _, lg in rows])).fetchall()
    return len(done)


async def rehash(pool: asyncpg.Pool, staff_id: str, old: str, new: str) -> None:
    await pool.execute(f"UPDATE {SCHEMA}.logins SET password_hash = $3 "
                       f"WHERE staff_id = $1 AND password_hash = $2", staff_id, old, new)


# -- console sessions -----------------------------------------------------------------------

async def session_started(pool: asyncpg.Pool, sid: str, sub: str, role: str, scope: str,
                          at: datetime, ends_at: datetime) -> None:
    # Sessions that ended a day ago are of no more use: the table stays small.
    await pool.execute(
        f"DELETE FROM {SCHEMA}.sessions WHERE ends_at < $1::timestamptz - interval '1 day'", at)
    await pool.execute(
        f"INSERT INTO {SCHEMA}.sessions (sid, sub, role, scope, started_at, ends_at) "
        f"VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sid) DO NOTHING",
        sid, sub, role, scope, at, ends_at)


async def live_session(pool: asyncpg.Pool, sid: str, at: datetime) -> dict[str, Any] | None:
    row = await pool.fetchrow(
        f"SELECT * FROM {SCHEMA}.sessions WHERE sid = $1 AND ended_at IS NULL "
        f"AND ends_at > $2", sid, at)
    return dict(row) if row else None


async def session_ended(pool: asyncpg.Pool, sid: str, at: datetime) -> None:
    await pool.execute(f"UPDATE {SCHEMA}.sessions SET ended_at = $2 WHERE sid = $1 "
                       f"AND ended_at IS NULL", sid, at)


# -- residents and their codes --------------------------------------------------------------

async def resident_home(pool: asyncpg.Pool, sub: str) -> str | None:
    return await pool.fetchval(f"SELECT home FROM {SCHEMA}.residents WHERE sub = $1", sub)


async def signed_in_resident(pool: asyncpg.Pool, sub: str, home: str, at: datetime) -> None:
    await pool.execute(
        f"INSERT INTO {SCHEMA}.residents (sub, home, first_at, last_at) VALUES ($1, $2, $3, $3) "
        f"ON CONFLICT (sub) DO UPDATE SET home = $2, last_at = $3", sub, home, at)


async def live_code(pool: asyncpg.Pool, sub: str) -> dict[str, Any] | None:
    row = await pool.fetchrow(f"SELECT digest, issued_at, expires_at, attempts "
                              f"FROM {SCHEMA}.codes WHERE sub = $1", sub)
    return dict(row) if row else None


async def store_code(pool: asyncpg.Pool, sub: str, digest: str, at: datetime,
                     expires_at: datetime) -> None:
    await pool.execute(
        f"INSERT INTO {SCHEMA}.codes (sub, digest, issued_at, expires_at) VALUES ($1, $2, $3, $4) "
        f"ON CONFLICT (sub) DO UPDATE SET digest = $2, issued_at = $3, expires_at = $4, "
        f"attempts = 0", sub, digest, at, expires_at)


async def code_missed(pool: asyncpg.Pool, sub: str, max_attempts: int) -> None:
    """One more wrong try at the live code; the last allowed burns it."""
    await pool.execute(f"UPDATE {SCHEMA}.codes SET attempts = attempts + 1 WHERE sub = $1", sub)
    await pool.execute(f"DELETE FROM {SCHEMA}.codes WHERE sub = $1 AND attempts >= $2",
                       sub, max_attempts)


async def burn_code(pool: asyncpg.Pool, sub: str, digest: str) -> bool:
    """Use the code once: of two requests racing with it, only one gets True."""
    return await pool.fetchval(
        f"DELETE FROM {SCHEMA}.codes WHERE sub = $1 AND digest = $2 RETURNING true",
        sub, digest) is not None
