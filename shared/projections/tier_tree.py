"""Every service's copy of the tier tree, built from grid's node events.

Services never read grid's tables; each keeps this read model in a schema of its own and
validates node paths against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from contracts import read
from contracts.grid import NodeModeSwitched, NodeRegistered, NodeRenamed, NodeRetired
from shared.bus.envelope import Envelope
from shared.projections.projection import Projection
from shared.tiers import ancestors_and_self, is_within, subtree_like


class TierTree(Projection):
    streams = ("grid",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.nodes (
        path text PRIMARY KEY,
        level text NOT NULL,
        name text NOT NULL,
        parent text,
        retired boolean NOT NULL DEFAULT false,
        mode text  -- NULL: as above
    );
    CREATE INDEX IF NOT EXISTS nodes_parent ON {schema}.nodes (parent);
    """
    version = 2  # 2: `mode` in the CREATE, not added by ALTER

    def __init__(self, schema: str) -> None:
        self.schema = schema  # type: ignore[misc]  # one class, a schema per service

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            match p := read(e, NodeRegistered, NodeRenamed, NodeModeSwitched, NodeRetired):
                case NodeRegistered():
                    await conn.execute(
                        f"INSERT INTO {schema}.nodes (path, level, name, parent) "
                        f"VALUES ($1, $2, $3, $4) ON CONFLICT (path) DO UPDATE "
                        f"SET level = EXCLUDED.level, name = EXCLUDED.name, retired = false",
                        p.path, p.level, p.name, p.parent,
                    )
                case NodeRenamed():
                    await conn.execute(
                        f"UPDATE {schema}.nodes SET name = $2 WHERE path = $1", e.tier, p.name
                    )
                case NodeModeSwitched():
                    await conn.execute(
                        f"UPDATE {schema}.nodes SET mode = $2 WHERE path = $1", e.tier, p.mode
                    )
                case NodeRetired():
                    await conn.execute(
                        f"UPDATE {schema}.nodes SET retired = true WHERE path = $1", e.tier
                    )


async def find_node(pool: asyncpg.Pool, schema: str, path: str) -> dict[str, Any] | None:
    row = await pool.fetchrow(
        f'SELECT path, level, name, parent, retired FROM "{schema}".nodes WHERE path = $1', path
    )
    return dict(row) if row else None


async def children_of(pool: asyncpg.Pool, schema: str, path: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        f'SELECT path, level, name FROM "{schema}".nodes '
        f"WHERE parent = $1 AND NOT retired ORDER BY path",
        path,
    )
    return [dict(r) for r in rows]


async def effective_mode(pool: asyncpg.Pool, schema: str, path: str) -> tuple[str, str | None]:
    """Daily or emergency at `path`: the nearest switch at or above it (daily if none)."""
    row = await pool.fetchrow(
        f'SELECT path, mode FROM "{schema}".nodes WHERE path = ANY($1::text[]) '
        f"AND mode IS NOT NULL ORDER BY length(path) DESC LIMIT 1",
        ancestors_and_self(path),
    )
    return (row["mode"], row["path"]) if row else ("daily", None)


async def modes_beneath(pool: asyncpg.Pool, schema: str, path: str) -> dict[str, str]:
    """Every strict descendant of `path` whose own switch is set: {path: mode}."""
    rows = await pool.fetch(
        f'SELECT path, mode FROM "{schema}".nodes WHERE path LIKE $1 AND mode IS NOT NULL '
        f"AND NOT retired", subtree_like(path))
    return {r["path"]: r["mode"] for r in rows}


def child_modes(parent_mode: tuple[str, str | None], children: list[str],
                beneath: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each child's effective mode (its own switch, else the parent's), and the nodes
    beneath it switched to emergency, from one read of the subtree's switches."""
    out: dict[str, dict[str, Any]] = {}
    for child in children:
        own = beneath.get(child)
        mode, set_at = (own, child) if own is not None else parent_mode
        out[child] = {"mode": mode, "mode_set_at": set_at, "emergency_below": sorted(
            p for p, m in beneath.items()
            if m == "emergency" and p != child and is_within(p, child))}
    return out
