"""What a projection declares: its name, the streams it reads, its tables, how to apply.

A projection owns one PostgreSQL schema. Its tables, its positions, the versions it applied,
its dead letters and the version it was built at all live there, so a rebuild fills a fresh
schema and swaps it in whole. A projection whose tables or meaning change declares a new
`version` rather than altering its tables: the runner rebuilds it on start (docs/operations.md,
"Read-model versions").
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
    ddl: ClassVar[str]  # CREATE TABLE / INDEX statements with {schema} placeholders, no ALTER
    # Bump when `ddl` or what `apply` writes changes: the schema is rebuilt and swapped in.
    version: ClassVar[int] = 1
    # False for a reaction (shared/reactions.py): replaying it would act on its events again.
    rebuildable: ClassVar[bool] = True

    @abstractmethod
    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        """Apply a batch inside the runner's transaction. Events the projection does not
        care about are simply ignored. `schema` is where to write (live or rebuild)."""
