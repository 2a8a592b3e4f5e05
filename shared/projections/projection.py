"""What a projection declares: its name, the streams it reads, its tables, how to apply.

A projection owns one PostgreSQL schema. Its tables, its positions, the versions it applied
and its dead letters all live there, so a rebuild fills a fresh schema and swaps it in whole.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

import asyncpg

from shared.bus.envelope import Envelope


class NotYet(Exception):
    """What this event needs has not arrived yet (a copy of another service's data behind):
    the runner retries the event with backoff instead of parking it."""


class Projection(ABC):
    schema: ClassVar[str]  # e.g. "issues_tier_summary"; read routes query it by this name
    streams: ClassVar[tuple[str, ...]]  # the services whose events it reads
    ddl: ClassVar[str]  # CREATE TABLE statements with {schema} placeholders

    @abstractmethod
    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        """Apply a batch inside the runner's transaction. Events the projection does not
        care about are simply ignored. `schema` is where to write (live or rebuild)."""
