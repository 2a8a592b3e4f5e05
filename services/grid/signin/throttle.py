"""Failed sign-ins in a row, per login (or phone) and per client address.

The fifth failure in a row for a login blocks it for a minute, and each further failure
after a block doubles the wait (up to an hour); while blocked, even the right password is
answered 429, so guessing costs time whatever the guess. A success clears the login's count.
A client address gets more rope (a whole office may sit behind one address) and its count is
forgotten after a quiet quarter of an hour rather than cleared by a success, which one valid
account would otherwise buy an attacker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from services.grid.signin.store import SCHEMA
from shared.errors import TooManyRequests


@dataclass(frozen=True)
class Limit:
    kind: str
    after: int  # failures in a row before the first block
    forget_after: timedelta  # a count this quiet starts again from zero
    first_block: timedelta = timedelta(minutes=1)
    longest_block: timedelta = timedelta(hours=1)

    def block_for(self, failures: int) -> timedelta | None:
        if failures < self.after:
            return None
        doubled = self.first_block * 2 ** min(failures - self.after, 16)
        return min(doubled, self.longest_block)


LOGIN = Limit("login", after=5, forget_after=timedelta(days=1))
PHONE = Limit("phone", after=5, forget_after=timedelta(days=1))
ADDRESS = Limit("address", after=20, forget_after=timedelta(minutes=15))
# One-time codes sent from one address, each counted as if it failed: ten in a row without a
# quiet quarter of an hour, and that address sends no more for a while.
SENDS = Limit("sends", after=10, forget_after=timedelta(minutes=15))


async def check(pool: asyncpg.Pool, keys: list[str], now: datetime) -> None:
    """429 with Retry-After if any key is blocked now."""
    until = await pool.fetchval(
        f"SELECT max(blocked_until) FROM {SCHEMA}.failures "
        f"WHERE key = ANY($1::text[]) AND blocked_until > $2", keys, now)
    if until is not None:
        wait = max(1, math.ceil((until - now).total_seconds()))
        raise TooManyRequests(f"too many failed attempts in a row; try again in {wait} s",
                              retry_after=wait)


async def failed(pool: asyncpg.Pool, key: str, limit: Limit, now: datetime) -> None:
    async with pool.acquire() as conn, conn.transaction():
        failures = await conn.fetchval(
            f"INSERT INTO {SCHEMA}.failures AS f (key, failures, last_at) VALUES ($1, 1, $2) "
            f"ON CONFLICT (key) DO UPDATE SET last_at = $2, failures = CASE "
            f"WHEN f.last_at < $2 - $3::interval THEN 1 ELSE f.failures + 1 END "
            f"RETURNING failures", key, now, limit.forget_after)
        block = limit.block_for(failures)
        if block is not None:
            await conn.execute(f"UPDATE {SCHEMA}.failures SET blocked_until = $2 WHERE key = $1",
                               key, now + block)


async def cleared(pool: asyncpg.Pool, key: str) -> None:
    await pool.execute(f"DELETE FROM {SCHEMA}.failures WHERE key = $1", key)
