"""Bearer headers for tests, signed with the suite's secret."""

from __future__ import annotations

from shared import auth
from tests.conftest import JWT_SECRET


def bearer(role: str, scope: str, sub: str | None = None, department: str | None = None,
           secret: str = JWT_SECRET) -> dict[str, str]:
    token = auth.mint(secret, sub=sub or f"{role}@{scope}", role=role, scope=scope,
                      department=department)
    return {"Authorization": f"Bearer {token}"}
