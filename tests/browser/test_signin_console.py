"""Signing in through the console's own form, as people do: a community secretary holding two
roles picks one, a resident on a phone gets a code (read from the grid service's log, as in
development) and names a home the first time, and five wrong passwords in a row are
throttled even when the sixth is right."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import shot
from tests.utils.platform import RunningPlatform

DEMO_PASSWORD = "gongzhi-demo"
HOME = "km.guandu.taihe.heping.g02"


def who(page: Page) -> dict:
    return page.evaluate("fetch('/api/grid/v1/auth/me').then(r => r.json())")


def staff_sign_in(page: Page, login: str, password: str) -> None:
    page.fill("#staff-signin input[name=login]", login)
    page.fill("#staff-signin input[name=password]", password)
    page.click("#staff-signin button[type=submit]")


def test_a_person_with_two_roles_signs_in_and_picks_one(page_as) -> None:
    page: Page = page_as(None)
    page.goto("/signin")
    expect(page.locator("#staff-signin")).to_be_visible(timeout=30000)
    staff_sign_in(page, "u-km-heping-c01", DEMO_PASSWORD)
    choice = page.locator("#choices button.choice[data-role=community_staff]")
    expect(choice).to_be_visible()
    expect(page.locator("#choices button.choice")).to_have_count(2)
    shot(page, "signin-choose-role")
    choice.click()
    expect(page).not_to_have_url(re.compile(r"/signin"))
    me = who(page)
    assert (me["sub"], me["role"], me["scope"]) == (
        "u-km-heping-c01", "community_staff", "km.guandu.taihe.heping")
    # The cookie is out of scripts' reach: only the CSRF value is visible to the page.
    assert "gz_session" not in page.evaluate("document.cookie")


def test_a_resident_signs_in_on_a_phone_with_a_one_time_code(
        page_as, console: RunningPlatform) -> None:
    page: Page = page_as(None, phone=True)
    page.goto("/signin")
    expect(page.locator("#tab-resident")).to_be_visible(timeout=30000)  # a busy first load
    page.click("#tab-resident")
    page.fill("#resident-signin input[name=phone]", "13900004321")
    page.click("#send-code")
    log = console.home / "logs" / "grid.log"
    pattern = re.compile(r"one-time sign-in code for 139\*\*\*\*4321: (\d{6})")
    code = None
    for _ in range(100):
        found = pattern.findall(log.read_text(encoding="utf-8", errors="replace"))
        if found:
            code = found[-1]
            break
        page.wait_for_timeout(100)
    assert code, "the development sender writes the code to the grid service's log"
    assert "13900004321" not in log.read_text(encoding="utf-8", errors="replace")
    page.fill("#resident-signin input[name=code]", code)
    page.click("#resident-signin button[type=submit]")
    # The first time, the home node is asked for; the code stays good meanwhile.
    expect(page.get_by_role("alert").filter(has_text="home node")).to_be_visible()
    page.fill("#resident-signin input[name=home]", HOME)
    shot(page, "signin-resident-phone")
    page.click("#resident-signin button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/signin"))
    me = who(page)
    assert me["role"] == "resident" and me["scope"] == HOME
    assert me["sub"].startswith("r-") and "4321" not in me["sub"]


def test_five_wrong_passwords_in_a_row_are_throttled(page_as) -> None:
    page: Page = page_as(None)
    page.goto("/signin")
    expect(page.locator("#staff-signin")).to_be_visible(timeout=30000)
    for _ in range(5):
        staff_sign_in(page, "u-km-heping-g05", "not the password")
        expect(page.get_by_role("alert").filter(has_text="wrong login or password")
               .last).to_be_visible()
    staff_sign_in(page, "u-km-heping-g05", DEMO_PASSWORD)
    expect(page.get_by_role("alert").filter(has_text="try again in")).to_be_visible()
    shot(page, "signin-throttled")
    assert page.evaluate("fetch('/api/grid/v1/auth/me').then(r => r.status)") == 401


def test_a_grid_worker_signs_in_and_out_and_no_script_reads_the_session(page_as) -> None:
    page: Page = page_as(None)
    page.goto("/signin")
    staff_sign_in(page, "u-km-heping-g03", DEMO_PASSWORD)
    expect(page.locator("#who")).to_contain_text("网格员")
    cookie = next(c for c in page.context.cookies() if c["name"] == "gz_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "gz_session" not in page.evaluate("document.cookie")
    page.locator("#signout").click()
    expect(page).to_have_url(re.compile("/signin"))
    assert not [c for c in page.context.cookies() if c["name"] == "gz_session"]
