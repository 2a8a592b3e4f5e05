"""Hand events to a reaction directly, as the projection runner would: in one transaction on
a real connection, its schema and tables created first."""

from __future__ import annotations

from collections.abc import Sequence

from shared.bus.envelope import Envelope
from shared.db import connect
from shared.projections.projection import Projection


async def react(database_url: str, reaction: Projection, events: Sequence[Envelope],
                schema: str | None = None) -> None:
    """`schema`: another than the reaction's own, to stay clear of a running service's."""
    conn = await connect(database_url)
    try:
        schema = f'"{schema or reaction.schema}"'
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        if reaction.ddl.strip():
            await conn.execute(reaction.ddl.format(schema=schema))
        async with conn.transaction():
            await reaction.apply(conn, schema, events)
    finally:
        await conn.close()
