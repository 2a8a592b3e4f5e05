"""Bearer JWTs carrying a role and a tier scope (a node path).

A worker acts only under their scope; a department's staff carry their department code;
residents act on their own issues. Every denial says why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from shared.errors import Forbidden, Unauthorized
from shared.roles import ROLES, STAFF_ROLES
from shared.scope import reaches
from shared.tiers import is_valid_path

ISSUER = "gongzhi"


@dataclass(frozen=True, slots=True)
class Principal:
    sub: str
    role: str
    scope: str
    name: str = ""
    department: str | None = None
    csrf: str | None = None  # set on console sessions: unsafe requests must echo it

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES or self.role == "admin"

    def covers(self, node: str) -> bool:
        return reaches(self, [node])  # the one scope rule (shared/scope.py)

    def require_scope(self, node: str, doing: str) -> None:
        if not self.covers(node):
            raise Forbidden(
                f"{self.role} scoped to '{self.scope}' may not {doing} at '{node}': "
                "it lies outside that scope",
                scope=self.scope,
                node=node,
            )

    def as_actor(self) -> dict[str, str]:
        actor = {"sub": self.sub, "role": self.role, "name": self.name}
        if self.department:
            actor["department"] = self.department
        return actor


def mint(
    secret: str,
    *,
    sub: str,
    role: str,
    scope: str,
    name: str = "",
    department: str | None = None,
    ttl_seconds: int = 12 * 3600,
    csrf: str | None = None,
) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if not is_valid_path(scope):
        raise ValueError(f"scope {scope!r} is not a tier path like 'km.guandu.taihe'")
    if role == "department_staff" and not department:
        raise ValueError("department staff need a department code")
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": sub, "role": role, "scope": scope, "name": name,
              "iat": now, "exp": now + ttl_seconds}
    if department:
        claims["dept"] = department
    if csrf:
        claims["csrf"] = csrf
    return jwt.encode(claims, secret, algorithm="HS256")


def verify(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], issuer=ISSUER,
            options={"require": ["exp", "sub", "role", "scope"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the token has expired") from None
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"the token is not valid: {exc}") from None
    # A signed token is still input: a claim of the wrong type (a number for a scope) would
    # otherwise reach string code in every route as a 500.
    for claim in ("sub", "role", "scope", "name", "dept"):
        if claim in claims and not isinstance(claims[claim], str | None):
            raise Unauthorized(f"the token's '{claim}' claim is not a string")
    if claims["role"] not in ROLES:
        raise Unauthorized(f"the token names an unknown role {claims['role']!r}")
    _require_well_formed(claims)
    return Principal(
        sub=claims["sub"], role=claims["role"], scope=claims["scope"],
        name=claims.get("name", ""), department=claims.get("dept"), csrf=claims.get("csrf"),
    )


def _require_well_formed(claims: dict) -> None:
    """A signed token still names a real scope: a tier path (never "", "%" or a number) and,
    for department staff, a department code. Whether they exist is checked against the
    service's read models (shared/vouch.py)."""
    scope, dept = claims["scope"], claims.get("dept")
    if not isinstance(scope, str) or not is_valid_path(scope):
        raise Unauthorized(f"the token's scope {scope!r} is not a tier path like "
                           "'km.guandu.taihe'", field="scope")
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise Unauthorized("the token names no subject", field="sub")
    if dept is not None and not isinstance(dept, str):
        raise Unauthorized(f"the token's department {dept!r} is not a code", field="dept")
    if claims["role"] == "department_staff" and not dept:
        raise Unauthorized("a department staff token must name its department", field="dept")
