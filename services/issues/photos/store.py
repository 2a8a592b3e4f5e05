"""The photo table, in schema `issues_photos`: kept beside the event store, never published and
never rebuilt (it is nobody's projection), so a photo can be erased for good without rewriting
history. A photo's id is 192 random bits: its URL is not guessable (who may read it:
docs/console-issues.md, "Photos")."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

import asyncpg

SCHEMA = "issues_photos"
ID_PATTERN = r"^[A-Za-z0-9_-]{32}$"
# The URL an uploaded photo answers at, relative to the issues service (the console reaches
# it as /api/issues/v1/photos/<id>); photo fields accept it beside http(s) links.
PATH_PREFIX = "/v1/photos/"
URL_PATTERN = r"^/v1/photos/[A-Za-z0-9_-]{32}$"
MAX_BYTES = 5 * 1024 * 1024

DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.photos (
    id text PRIMARY KEY,
    content_type text NOT NULL,
    size int NOT NULL,
    sha256 text NOT NULL,
    data bytea NOT NULL,
    uploaded_by text NOT NULL,
    uploaded_at timestamptz NOT NULL
);
"""


async def create_tables(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        # Two replicas starting together would race on CREATE ... IF NOT EXISTS.
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", SCHEMA)
            await conn.execute(DDL)


def url_of(photo_id: str) -> str:
    return f"{PATH_PREFIX}{photo_id}"


async def save(pool: asyncpg.Pool, data: bytes, content_type: str, by: str,
               at: datetime) -> dict[str, Any]:
    photo = {"id": secrets.token_urlsafe(24), "content_type": content_type, "size": len(data),
             "sha256": hashlib.sha256(data).hexdigest()}
    await pool.execute(
        f"INSERT INTO {SCHEMA}.photos (id, content_type, size, sha256, data, uploaded_by, "
        f"uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        photo["id"], content_type, len(data), photo["sha256"], data, by, at)
    return photo


async def load(pool: asyncpg.Pool, photo_id: str) -> asyncpg.Record | None:
    return await pool.fetchrow(
        f"SELECT content_type, sha256, data FROM {SCHEMA}.photos WHERE id = $1", photo_id)


async def missing(pool: asyncpg.Pool, urls: list[str]) -> list[str]:
    """Of `urls`, the uploaded-photo URLs naming no stored photo (http links are not ours)."""
    ids = [u.removeprefix(PATH_PREFIX) for u in urls if u.startswith(PATH_PREFIX)]
    if not ids:
        return []
    found = {r["id"] for r in await pool.fetch(
        f"SELECT id FROM {SCHEMA}.photos WHERE id = ANY($1::text[])", ids)}
    return [url_of(i) for i in ids if i not in found]
