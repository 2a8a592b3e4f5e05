"""A compound's page shows one centre and three parties (一个中心 三方共治), and its keeper
verifies a resident who joined a household, which is what makes their online vote count."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import session_token, shot
from tests.utils.platform import RunningPlatform

HUAYIN = "wn.huayin.yuemiao.huayue.zhhsc"
XTY = "nj.gulou.rehenan.xiaotaoyuan"


def test_a_compound_shows_its_centre_and_three_parties(page_as) -> None:
    page: Page = page_as("community_staff", "wn.huayin.yuemiao.huayue")
    page.goto(f"/compound/{HUAYIN}")
    expect(page.locator("#centre")).to_contain_text("中海华山城小区党支部")
    expect(page.locator("#centre")).to_contain_text("白玉琴")
    expect(page.locator("#owners-committee")).to_contain_text("业主委员会")
    expect(page.locator("#property-company")).not_to_contain_text("未组建")
    shot(page, "compound-one-centre-three-parties")


def test_a_keeper_verifies_a_resident_who_joined_a_household(console: RunningPlatform,
                                                            page_as) -> None:
    token, _ = session_token(console, "resident", XTY, sub="cmp-joiner")
    joined = httpx.post(f"{console.url('grid')}/v1/households/jjy102-b1-101/residents",
                        headers={"Authorization": f"Bearer {token}"},
                        json={"relation": "tenant"})
    assert joined.status_code == 201, joined.text
    page: Page = page_as("community_staff", XTY)
    page.goto(f"/compound/{XTY}")
    button = page.locator("[data-verify='cmp-joiner']")
    expect(button).to_be_visible()
    shot(page, "compound-register-pending")
    button.click()
    expect(page.locator("[data-verify='cmp-joiner']")).to_have_count(0)
    staff, _ = session_token(console, "community_staff", XTY)
    household = httpx.get(f"{console.url('grid')}/v1/households/jjy102-b1-101",
                          headers={"Authorization": f"Bearer {staff}"}).json()
    assert {"resident": "cmp-joiner", "verified": True}.items() <= next(
        r for r in household["residents"] if r["resident"] == "cmp-joiner").items()


def test_a_resident_sees_the_compound_but_not_its_register(page_as) -> None:
    page: Page = page_as("resident", XTY, sub="cmp-reader", phone=True)
    page.goto("/compound")
    expect(page.locator("#centre")).to_be_visible()
    expect(page.locator("#register")).to_have_count(0)
