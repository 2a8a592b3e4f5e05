"""Vouching for a signed token: its scope is a node of the tier tree and a department staff's
department is a registered department. A signature proves who minted a token, not that what
it names exists; a scope of a node that was never registered must not act anywhere.

Each service answers from its own read models (its tier tree copy and its departments copy,
both built from grid's events), never from grid's tables. What was vouched for is remembered
for a minute so a request costs no query; a refusal is never remembered, so a node that has
just been registered is accepted as soon as the read model has it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import asyncpg

from shared.auth import Principal
from shared.errors import Unauthorized

REMEMBER_SECONDS = 60.0


@dataclass
class Vouch:
    tier_schema: str  # holds `nodes (path, …)`
    departments_schema: str  # holds `departments (code, …, jurisdiction text[])`
    _vouched: dict[tuple[str, str | None], float] = field(default_factory=dict)

    async def check(self, pool: asyncpg.Pool, who: Principal) -> None:
        key = (who.scope, who.department)
        now = time.monotonic()
        if self._vouched.get(key, 0.0) > now:
            return
        row = await pool.fetchrow(
            f'SELECT EXISTS (SELECT 1 FROM "{self.tier_schema}".nodes WHERE path = $1) AS node, '
            f'EXISTS (SELECT 1 FROM "{self.departments_schema}".departments WHERE code = $2) '
            f"AS department", who.scope, who.department)
        if not row["node"] and who.role != "admin":  # an admin's scope limits nothing, and
            # the first admin imports the tree into an empty one
            raise Unauthorized(f"the token's scope '{who.scope}' is not a node of the tier "
                               "tree", field="scope")
        if who.department is not None and not row["department"]:
            raise Unauthorized(f"the token's department '{who.department}' is not a "
                               "registered department", field="dept")
        if len(self._vouched) > 10_000:
            self._vouched.clear()
        self._vouched[key] = now + REMEMBER_SECONDS
