"""Look at what a service stored, the way an auditor would: straight at its log."""

from __future__ import annotations

import psycopg


def stored_events(database_url: str, service: str) -> list[tuple[str, int, str, bytes]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            f'SELECT originator_id::text, originator_version, topic, state '
            f'FROM "{service}"."{service}_events" ORDER BY notification_id'
        ).fetchall()
    return [(r[0], r[1], r[2], bytes(r[3])) for r in rows]


def count_events(database_url: str, service: str) -> int:
    return len(stored_events(database_url, service))
