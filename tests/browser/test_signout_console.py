"""Signing out ends the session on every service: a copy of the session's token (a cookie
lifted from the browser, or the JWT in it) is refused by each service once it runs out, for
grid no longer refreshes it; an API token from `gongzhi token` keeps working. The platform's
tokens live SESSION_TOKEN_SECONDS here (conftest.py), so the wait is seconds."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from shared.sessions import COOKIE
from tests.browser.conftest import SESSION_TOKEN_SECONDS, shot
from tests.browser.helpers import bearer
from tests.utils.platform import SERVICES, RunningPlatform
from tests.utils.wait import eventually_sync

POLICE = "u-km-gaj-01"  # the demo's police department staff: one role, so no choice


def me_everywhere(console: RunningPlatform, token: str) -> dict[str, int]:
    return {s: httpx.get(f"{console.url(s)}/v1/auth/me", cookies={COOKIE: token}).status_code
            for s in SERVICES}


def test_a_signed_out_session_is_refused_by_every_service(console, page_as) -> None:
    page: Page = page_as(phone=False)
    page.goto("/signin")
    page.fill("#staff-signin input[name=login]", POLICE)
    page.fill("#staff-signin input[name=password]", "gongzhi-demo")
    page.click("#staff-signin button[type=submit]")
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    def cookie() -> str:
        return next(c["value"] for c in page.context.cookies() if c["name"] == COOKIE)

    # The page keeps its session alive: grid re-mints the token well before it runs out.
    first = cookie()
    copied = eventually_sync(cookie, lambda now: now != first, timeout=SESSION_TOKEN_SECONDS)
    assert set(me_everywhere(console, copied).values()) == {200}
    shot(page, "signout-signed-in")

    page.get_by_role("button", name="退出").click()
    expect(page.locator("#staff-signin input[name=login]")).to_be_visible()
    # Grid refreshes it no more, and every service refuses it once it has run out.
    eventually_sync(lambda: me_everywhere(console, copied), lambda codes: set(
        codes.values()) == {401}, timeout=SESSION_TOKEN_SECONDS * 3)
    r = httpx.post(f"{console.url('grid')}/v1/auth/refresh", cookies={COOKIE: copied})
    assert r.status_code == 401, r.text
    # API tokens are no sessions: `gongzhi token` ones still answer on every service.
    for service in SERVICES:
        r = httpx.get(f"{console.url(service)}/v1/auth/me",
                      headers=bearer(console, "community_staff", "km.guandu.taihe.heping"))
        assert r.status_code == 200, (service, r.text)
