"""The filters issue lists share (subtree, status, category, the page cursor) as one WHERE
clause with numbered parameters for asyncpg."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.errors import Invalid
from shared.inputs import in_range
from shared.tiers import escape_like, subtree_like


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
                     f"OR category LIKE {self.arg(escape_like(category) + '.%')})")
        if cursor:
            at, last_id = read_cursor(cursor)
            self.add(f"(raised_at, id) < ({self.arg(at)}, {self.arg(last_id)})")

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses) or "TRUE"


def make_cursor(at: datetime, issue_id: UUID) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{issue_id}".encode()).decode()


def make_cosigned_cursor(cosigners: int, at: datetime, issue_id: UUID) -> str:
    """The cursor of a list sorted by co-signatures: (cosigners, raised_at, id)."""
    return make_cursor(at, issue_id).join(("", f".{cosigners}"))


def read_cosigned_cursor(cursor: str) -> tuple[int, datetime, UUID]:
    head, _, count = cursor.rpartition(".")
    if not count.isdigit() or len(count) > 9:
        raise Invalid("the cursor is not one this service returned", field="cursor")
    return (int(count), *read_cursor(head))


def read_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        at, _, issue_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return in_range(datetime.fromisoformat(at), "cursor"), UUID(issue_id)
    except ValueError:
        raise Invalid("the cursor is not one this service returned", field="cursor") from None
