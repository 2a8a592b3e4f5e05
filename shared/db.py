"""One DATABASE_URL, two drivers: psycopg for eventsourcing's recorder, asyncpg for reads."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import asyncpg
import psycopg
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
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


# When PostgreSQL is down or stuck, every wait on it is bounded, so a request answers 503
# within a few seconds instead of hanging (see shared/deadline.py for the request's own bound).
CONNECT_TIMEOUT_SECONDS = 2  # libpq's minimum; also how long to wait for a pooled connection
STATEMENT_TIMEOUT_MS = 15_000
# How long a pool keeps retrying one lost connection before it lets the next request open a
# fresh one: short, so writes resume within a second or two of PostgreSQL's return instead of
# after psycopg_pool's doubling backoff (1, 2, 4, 8, 16 s...).
RECONNECT_GIVE_UP_SECONDS = 1.0


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
        # Waiting for a pooled connection; then each connection is tested before use, so a
        # connection broken by a restart is replaced rather than failing the request.
        "POSTGRES_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT_SECONDS),
        "POSTGRES_PRE_PING": "y",
    }


def bound_store_pool(datastore: Any) -> None:
    """What eventsourcing's settings cannot say: libpq's own connect timeout, a statement
    timeout, and a short reconnect give-up. Applies to every connection opened from now on;
    the pool is drained so the ones opened at start-up are replaced too."""
    pool = datastore.pool
    pool.kwargs.update(connect_timeout=CONNECT_TIMEOUT_SECONDS,
                       options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}")
    pool.reconnect_timeout = RECONNECT_GIVE_UP_SECONDS
    pool.drain()


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
    """The read pool. A connection the server closed (a restart) is noticed by asyncpg and
    reopened on its next acquire; opening one and each statement are bounded."""
    return await asyncpg.create_pool(
        **asyncpg_kwargs(database_url), min_size=min_size, max_size=max_size,
        timeout=CONNECT_TIMEOUT_SECONDS,
        server_settings={"statement_timeout": str(STATEMENT_TIMEOUT_MS)},
    )


async def connect(database_url: str, name: str = "gongzhi") -> asyncpg.Connection:
    """One connection, named so an operator sees in pg_stat_activity who holds it."""
    return await asyncpg.connect(**asyncpg_kwargs(database_url), timeout=CONNECT_TIMEOUT_SECONDS,
                                 server_settings={"application_name": name})


def store_unavailable(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) says PostgreSQL cannot answer now — down,
    restarting, unreachable, too slow — rather than that the request or the code is wrong."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, UNAVAILABLE) or (
            isinstance(cause, asyncpg.InterfaceError) and "closed" in str(cause)
        ):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


UNAVAILABLE: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # class 08: the connection failed or was lost
    # class 57: shutting down, cannot connect now, statement timeout
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections
    asyncpg.exceptions.LockNotAvailableError,  # lock_timeout: a reaction waiting on the log
    # asyncpg's own state machine, when the server ends a connection mid-statement
    # ("cannot switch to state 12; another operation is in progress")
    asyncpg.exceptions.InternalClientError,
    psycopg.OperationalError,  # psycopg_pool.PoolTimeout, a lock timeout, a lost server
    StoreOperationalError, StoreInterfaceError,  # the same, as eventsourcing wraps them
    ConnectionError, FileNotFoundError,  # asyncpg connecting to a server that is not there
    asyncio.TimeoutError,
)


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
