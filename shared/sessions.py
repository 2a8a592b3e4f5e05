"""Console sessions: the same JWT as an API token, carried in an HttpOnly cookie.

A browser cannot be trusted to keep a bearer token from scripts, so the console's token lives
in a cookie no script can read (HttpOnly) and no other site can send (SameSite=Strict). A
cookie is sent by the browser on its own, so every unsafe request made with it must also echo
the token's `csrf` claim in a header: a page of another origin cannot read that value.

A session token lives minutes, not hours: grid re-mints it while the session is live
(POST /v1/auth/refresh) and refuses once it was signed out or its role relieved, so every
service, checking only the signature and expiry, stops accepting a copied token within a
token's lifetime (docs/console.md, "Signing out").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from shared.auth import Principal, mint, verify
from shared.errors import Forbidden, Unauthorized

COOKIE = "gz_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def session_id(csrf: str) -> str:
    """A session's key where grid keeps it: its csrf value, a secret only its holder has,
    hashed so the table holds nothing a request could replay."""
    return hashlib.sha256(csrf.encode()).hexdigest()


def start_session(response: Response, secret: str, *, secure: bool, ttl_seconds: int = 12 * 3600,
                  csrf: str | None = None, **claims: str | None) -> Principal:
    """Mint a session token for these claims (as `shared.auth.mint` takes them) and set it.
    A refresh passes the session's `csrf`, which the page already echoes, to keep it."""
    token = mint(secret, ttl_seconds=ttl_seconds, csrf=csrf or new_csrf(), **claims)  # type: ignore[arg-type]
    response.set_cookie(COOKIE, token, max_age=ttl_seconds, httponly=True, samesite="strict",
                        secure=secure, path="/")
    return verify(secret, token)


def end_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")


def principal_from_cookie(request: Request, secret: str) -> Principal | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    who = verify(secret, token)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not who.csrf or not hmac.compare_digest(sent.encode(), who.csrf.encode()):
            raise Forbidden(f"a signed-in browser must send the {CSRF_HEADER} header it was "
                            "given at sign-in with every change")
    return who


def require_principal(request: Request, secret: str, bearer: str | None) -> Principal:
    if bearer is not None:
        return verify(secret, bearer)
    who = principal_from_cookie(request, secret)
    if who is None:
        raise Unauthorized("sign in, or send 'Authorization: Bearer <token>' "
                           "(`gongzhi token` mints one)")
    return who
