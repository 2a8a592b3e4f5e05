"""Seed 001's wish (群众点单、社区派单、党员接单) played in the browser: a resident of 华岳社区
posts a wish on her phone, community staff dispatch it to the compound's vanguard team, a
party member of that team claims and fulfils it, the resident confirms, and the party
member's time bank shows the credit; she redeems a reward, and one beyond her balance is
refused with the service's reason."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.browser.conftest import shot

HUAYUE = "wn.huayin.yuemiao.huayue"
UNIT = f"{HUAYUE}.zhhsc.b01.u1"
MEMBER = "p-hy-zhao"  # 赵敏, of the demo's 中海华山城党员先锋队
TEAM = "中海华山城党员先锋队"


def wish_row(page: Page, text: str):
    return page.locator("#wishes li", has_text=text)


def balance(page: Page) -> int:
    expect(page.locator("#balance")).to_have_text(re.compile(r"^\d+$"))
    return int(page.locator("#balance").inner_text())


def test_a_wish_from_post_to_points_in_the_time_bank(page_as) -> None:
    resident: Page = page_as("resident", HUAYUE, sub=f"r-hy-{uuid.uuid4().hex[:6]}", phone=True)
    staff: Page = page_as("community_staff", HUAYUE, sub="u-hy-huayue-c01")
    member: Page = page_as("party_member", HUAYUE, sub=MEMBER, name="赵敏", phone=True)
    member.goto("/timebank")
    before = balance(member)

    text = f"厨房灯坏了，想请人帮忙换 {uuid.uuid4().hex[:6]}"
    resident.goto("/wishes")
    form = resident.locator("#post-wish")
    form.locator("[name=node]").fill(UNIT)
    form.locator("[name=kind]").select_option("repair")
    form.locator("[name=text]").fill(text)
    form.get_by_role("button", name="许个心愿").click()
    expect(wish_row(resident, text).locator("[data-status]")).to_have_attribute(
        "data-status", "posted")
    shot(resident, "wishes-posted")

    staff.goto("/wishes")
    staff.locator("#wish-filters").get_by_role("link", name="待派单").click()
    expect(staff).to_have_url(re.compile(r"/wishes\?status=posted$"))
    row = wish_row(staff, text)
    row.locator("select[name=team]").select_option(label=TEAM)
    row.get_by_role("button", name="派单").click()
    expect(row).to_have_count(0)  # no longer waiting for dispatch
    staff.locator("#wish-filters").get_by_role("link", name="已派单").click()
    row = wish_row(staff, text)
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "dispatched")
    expect(row).to_contain_text(TEAM)
    shot(staff, "wishes-dispatched")

    member.goto("/wishes")
    row = wish_row(member, text)
    row.get_by_role("button", name="接单").click()
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "claimed")
    row.locator("input[name=hours]").fill("1.5")
    row.get_by_role("button", name="已完成").click()
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "fulfilled")
    shot(member, "wishes-fulfilled")

    resident.reload()
    row = wish_row(resident, text)
    row.get_by_role("button", name="确认完成").click()
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "confirmed")

    # 1.5 hours at 10 points an hour reach the member's account (the page reads it anew).
    member.goto("/timebank")
    expect(member.locator("#balance")).to_have_text(str(before + 15), timeout=20000)
    expect(member.locator("#statement tbody tr").first).to_contain_text("+15")
    shot(member, "timebank-credited")

    haircut = member.locator("#rewards tbody tr", has_text="免费理发一次")
    stock = int(haircut.locator("td").nth(2).inner_text())
    haircut.get_by_role("button", name="兑换").click()
    expect(member.locator("#balance")).to_have_text(str(before + 5))
    expect(haircut.locator("td").nth(2)).to_have_text(str(stock - 1))
    expect(member.locator("#statement tbody tr").first).to_contain_text("免费理发一次")

    # A reward beyond the balance: the service's reason, and nothing taken.
    member.locator("#rewards tbody tr", has_text="星级文明家庭").get_by_role(
        "button", name="兑换").click()
    expect(member.locator(".toast.error")).to_contain_text("balance")
    expect(member.locator("#balance")).to_have_text(str(before + 5))
    shot(member, "timebank-redeemed")
