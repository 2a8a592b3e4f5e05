"""The filters issue lists share (subtree, status, category, the page cursor) as one WHERE
clause with numbered parameters for asyncpg."""

from __future__ import annotations

from typing import Any

from services.issues.api.issues import _read_cursor
from shared.tiers import subtree_like


class Where:
    def __init__(self, *clauses: str, args: tuple[Any, ...] = ()) -> None:
        self.clauses, self.args = list(clauses), list(args)

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def add(self, clause: str) -> None:
        self.clauses.append(clause)

    def common(self, node: str | None, status: str | None, category: str | None,
               cursor: str | None) -> None:
        """A node means its whole subtree; a top category includes its sub-items; the cursor
        continues newest-first (raised_at, id) order after the previous page."""
        if node:
            self.add(f"(node = {self.arg(node)} OR node LIKE {self.arg(subtree_like(node))})")
        if status:
            self.add(f"status = {self.arg(status)}")
        if category:
            self.add(f"(category = {self.arg(category)} "
                     f"OR category LIKE {self.arg(category + '.%')})")
        if cursor:
            at, last_id = _read_cursor(cursor)
            self.add(f"(raised_at, id) < ({self.arg(at)}, {self.arg(last_id)})")

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses) or "TRUE"
