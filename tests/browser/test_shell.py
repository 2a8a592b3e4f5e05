"""The console's frame: served on one origin with a strict content policy, nothing from the
internet, the sign-in screen for a stranger, a signed-in role's menu, and the API passed
through with the cookie and its CSRF rule."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import session_token, shot
from tests.utils.platform import RunningPlatform


def test_the_console_is_one_origin_with_a_strict_content_policy(console: RunningPlatform) -> None:
    r = httpx.get(console.url("console") + "/")
    assert r.status_code == 200 and "共治" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert not re.search(r"(src|href)=\"https?://", r.text), "nothing may load from elsewhere"
    assert httpx.get(console.url("console") + "/static/vendor/echarts.min.js").status_code == 200
    # The pass-through reaches every service.
    for service in ("issues", "grid", "volunteers", "evaluation"):
        assert httpx.get(f"{console.url('console')}/api/{service}/health").json()["status"] == "ok"


def test_a_cookie_session_must_echo_its_csrf_value_to_change_anything(
        console: RunningPlatform) -> None:
    token, csrf = session_token(console, "community_staff", "km.guandu.taihe.heping")
    base = console.url("console")
    cookies = {"gz_session": token}
    me = httpx.get(f"{base}/api/issues/v1/auth/me", cookies=cookies)
    assert me.status_code == 200 and me.json()["csrf"] == csrf
    body = {"node": "km.guandu.taihe.heping.g01", "title": "CSRF probe",
            "category": "environment.garbage", "channel": "app"}
    forged = httpx.post(f"{base}/api/issues/v1/issues", cookies=cookies, json=body)
    assert forged.status_code == 403 and "X-CSRF-Token" in forged.json()["detail"]
    wrong = httpx.post(f"{base}/api/issues/v1/issues", cookies=cookies, json=body,
                       headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403


def test_a_stranger_is_sent_to_sign_in(page_as) -> None:
    page: Page = page_as(None)
    page.goto("/issues")
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Fissues"))
    expect(page.locator("#staff-signin")).to_be_visible()
    shot(page, "signin")


def test_the_pass_through_never_carries_one_persons_session_to_another(
        console: RunningPlatform) -> None:
    base = console.url("console")
    signed = httpx.post(f"{base}/api/grid/v1/auth/login",
                        json={"login": "u-km-heping-g03", "password": "gongzhi-demo"})
    assert signed.status_code == 200 and "gz_session" in signed.cookies
    # A stranger right after, through the same console, is nobody.
    stranger = httpx.get(f"{base}/api/grid/v1/auth/me")
    assert stranger.status_code == 401, stranger.text
