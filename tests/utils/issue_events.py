"""Issue events as the bus delivers them, applied to a projection on a real database: for the
read models' rules on events whose commands another route owns (merges, progress notes)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import asyncpg

import contracts
from shared.bus.envelope import Envelope
from shared.db import connect
from shared.projections.projection import Projection

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def current_type(prefix: str) -> str:
    """The current version of a public type: `gongzhi.issue.resolved` → `….v2`; a type no
    contract knows (what a consumer must ignore) as v1."""
    found = [t for t in contracts.REGISTRY if t.rsplit(".", 1)[0] == prefix]
    return found[0] if found else f"{prefix}.v1"


class IssueStory:
    """One issue's events, numbered as its aggregate would number them."""

    def __init__(self, node: str, title: str, reporter: str, *, description: str = "",
                 category: str = "environment", at: datetime = T0) -> None:
        self.id, self.seq, self.at = str(uuid4()), 0, at
        self.raised = self.event("raised", node=node, title=title, description=description,
                                 category=category, channel="app", location=None,
                                 photos=[], reporter=reporter)

    def event(self, name: str, **data: Any) -> Envelope:
        self.seq += 1
        self.at += timedelta(minutes=1)
        return Envelope(id=f"{self.id}/{self.seq}", source="/gongzhi/issues",
                        type=current_type(f"gongzhi.issue.{name}"), subject=self.id,
                        time=datetime.now(UTC).isoformat(), seq=self.seq, tier="km",
                        data={**data, "at": self.at.isoformat()})


@asynccontextmanager
async def projected(database_url: str, projection: Projection,
                    ) -> AsyncIterator[tuple[asyncpg.Connection, Any]]:
    """A connection with the projection's tables made, and `apply(events)` committing each
    batch as the runner would."""
    conn = await connect(database_url, "test")
    schema = f'"{projection.schema}"'
    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    await conn.execute(projection.ddl.format(schema=schema))

    async def apply(events: Sequence[Envelope]) -> None:
        async with conn.transaction():
            await projection.apply(conn, schema, events)

    try:
        yield conn, apply
    finally:
        await conn.close()
