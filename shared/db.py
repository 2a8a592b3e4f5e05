"""One DATABASE_URL, two drivers: psycopg for eventsourcing's recorder, asyncpg for reads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import asyncpg
from psycopg.conninfo import conninfo_to_dict

if TYPE_CHECKING:  # settings imports nothing from here, but keep db importable alone
    from shared.settings import Settings


def conn_params(database_url: str) -> dict[str, str]:
    """host, port, user, password, dbname from a URL (a socket directory is a valid host)."""
    raw = conninfo_to_dict(database_url)
    return {
        "host": str(raw.get("host") or "localhost"),
        "port": str(raw.get("port") or "5432"),
        "user": str(raw.get("user") or "postgres"),
        "password": str(raw.get("password") or ""),
        "dbname": str(raw.get("dbname") or "postgres"),
    }


def eventsourcing_env(database_url: str, schema: str, pool_size: int = 6) -> dict[str, str]:
    p = conn_params(database_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": p["dbname"],
        "POSTGRES_HOST": p["host"],
        "POSTGRES_PORT": p["port"],
        "POSTGRES_USER": p["user"],
        "POSTGRES_PASSWORD": p["password"],
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(pool_size),
        # A writer waits for the table lock that keeps notification ids in commit order;
        # give up after 5 s rather than hang a request forever.
        "POSTGRES_LOCK_TIMEOUT": "5",
    }


def asyncpg_kwargs(database_url: str) -> dict[str, Any]:
    p = conn_params(database_url)
    return {
        "host": p["host"],
        "port": int(p["port"]),
        "user": p["user"],
        "password": p["password"] or None,
        "database": p["dbname"],
    }


async def create_pool(database_url: str, *, min_size: int = 1, max_size: int = 8) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        **asyncpg_kwargs(database_url), min_size=min_size, max_size=max_size
    )


async def connect(database_url: str, name: str = "gongzhi") -> asyncpg.Connection:
    """One connection, named so an operator sees in pg_stat_activity who holds it."""
    return await asyncpg.connect(**asyncpg_kwargs(database_url),
                                 server_settings={"application_name": name})


def ensure_schema(database_url: str, schema: str) -> None:
    """eventsourcing creates its tables but not the schema they live in."""
    import psycopg

    with psycopg.connect(**conn_params(database_url), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL if set; otherwise the embedded server under the Gongzhi home folder."""
    if settings.database_url:
        return settings.database_url
    from shared import embedded_pg

    return embedded_pg.start(settings.home / "pg")
