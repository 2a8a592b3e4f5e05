"""The departments the issues service knows, from grid's department events: codes, names and
jurisdictions, so a consultation may name the departments taking part (issue 11), and a
department token is vouched for (shared/vouch.py)."""

from __future__ import annotations

from typing import Any

import asyncpg

from shared.projections.departments import DepartmentsCopy


class Departments(DepartmentsCopy):
    schema = "issues_departments"


async def find_departments(pool: asyncpg.Pool, codes: list[str]) -> dict[str, dict[str, Any]]:
    rows = await pool.fetch(
        f'SELECT code, name, jurisdiction FROM "{Departments.schema}".departments '
        f"WHERE code = ANY($1::text[])", codes)
    return {r["code"]: dict(r) for r in rows}
