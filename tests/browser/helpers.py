"""Helpers several browser tests share: what other people do through the API while the
browser plays one role (other households voting, a neighbour raising an issue)."""

from __future__ import annotations

import httpx

from tests.browser.conftest import session_token
from tests.utils.platform import RunningPlatform


def bearer(console: RunningPlatform, role: str, scope: str, *, sub: str | None = None,
           department: str | None = None) -> dict[str, str]:
    """API headers for someone acting outside the browser (a bearer token needs no CSRF)."""
    token, _ = session_token(console, role, scope, sub=sub, department=department)
    return {"Authorization": f"Bearer {token}"}


def raise_issue(console: RunningPlatform, headers: dict[str, str], node: str, title: str,
                category: str = "environment.garbage", **more: object) -> dict:
    r = httpx.post(f"{console.url('issues')}/v1/issues", headers=headers, json={
        "node": node, "title": title, "category": category, "channel": "app", **more})
    assert r.status_code == 201, r.text
    return r.json()
