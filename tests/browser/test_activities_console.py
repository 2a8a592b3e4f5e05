"""The volunteers' remaining screens in the browser, each checked against what the volunteers
service then holds: an activity published by community staff, taken and given back on
phones, attendance recorded and credited; a civic act credited by staff, points gifted from
the time bank, a reward restocked."""

from __future__ import annotations

import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot
from tests.browser.helpers import bearer
from tests.utils.platform import RunningPlatform

HUAYUE = "wn.huayin.yuemiao.huayue"
STAFF = "u-hy-huayue-c01"


def volunteers(console: RunningPlatform, path: str) -> dict:
    r = httpx.get(f"{console.url('volunteers')}{path}",
                  headers=bearer(console, "community_staff", HUAYUE, sub=STAFF))
    assert r.status_code == 200, r.text
    return r.json()


def test_an_activity_signed_up_for_and_attended_credits_the_time_bank(console, page_as) -> None:
    resident_id = f"r-hy-{uuid.uuid4().hex[:6]}"
    volunteer_id = f"v-hy-{uuid.uuid4().hex[:6]}"
    staff: Page = page_as("community_staff", HUAYUE, sub=STAFF)
    title = f"社区环境清洁日 {uuid.uuid4().hex[:6]}"
    staff.goto("/activities")
    form = staff.locator("#publish-activity")
    form.locator("[name=title]").fill(title)
    form.locator("[name=hours]").fill("2")
    form.locator("[name=slots]").fill("2")
    form.get_by_role("button", name="发布活动").click()
    card = staff.locator("#activities li", has_text=title)
    expect(card).to_contain_text("已报名 0/2")
    activity_id = card.get_attribute("data-activity")
    shot(staff, "activities-published")

    resident: Page = page_as("resident", HUAYUE, sub=resident_id, phone=True)
    resident.goto("/activities")
    mine = resident.locator(f"[data-activity='{activity_id}']")
    mine.get_by_role("button", name="报名").click()
    expect(mine).to_contain_text("我已报名")
    expect(mine).to_contain_text("已报名 1/2")
    shot(resident, "activities-signed-up")

    volunteer: Page = page_as("volunteer", HUAYUE, sub=volunteer_id, phone=True)
    volunteer.goto("/activities")
    theirs = volunteer.locator(f"[data-activity='{activity_id}']")
    theirs.get_by_role("button", name="报名").click()
    expect(theirs).to_contain_text("已报名 2/2")
    theirs.get_by_role("button", name="取消报名").click()
    expect(theirs).to_contain_text("已报名 1/2")
    expect(theirs.get_by_role("button", name="报名")).to_be_visible()

    staff.reload()
    card = staff.locator(f"[data-activity='{activity_id}']")
    card.locator(f"[data-person='{resident_id}']").check()
    card.locator(f"[data-hours='{resident_id}']").fill("1.5")
    card.get_by_role("button", name="记录出勤").click()
    expect(card).to_contain_text("已签到 1")
    shot(staff, "activities-attended")

    held = volunteers(console, f"/v1/activities/{activity_id}")
    assert held["participants"] == [resident_id] and held["attended"] == [resident_id]
    # 1.5 hours at 10 points an hour, credited by the time bank from the attendance event.
    assert volunteers(console, f"/v1/accounts/{resident_id}")["balance"] == 15


def test_civic_act_gift_and_restock(console, page_as) -> None:
    giver, receiver = (f"r-hy-{uuid.uuid4().hex[:6]}" for _ in range(2))
    staff: Page = page_as("community_staff", HUAYUE, sub=STAFF)
    staff.goto("/points")
    form = staff.locator("#civic-act")
    form.locator("[name=person]").fill(giver)
    form.locator("[name=points]").fill("8")
    form.locator("[name=reason]").fill("劝阻高空抛物")
    form.get_by_role("button", name="记积分").click()
    expect(form.locator("output")).to_have_text("已记入，余额 8")
    shot(staff, "points-civic-act")

    haircut = staff.locator("#catalogue tbody tr", has_text="免费理发一次")
    stock = int(haircut.locator(".stock").inner_text())
    haircut.locator("[name=quantity]").fill("3")
    haircut.get_by_role("button", name="补货").click()
    expect(haircut.locator(".stock")).to_have_text(str(stock + 3))
    shot(staff, "points-restocked")
    rewards = volunteers(console, f"/v1/rewards?node={HUAYUE}")
    held = next(r for r in rewards if r["name"] == "免费理发一次")
    assert held["stock"] >= stock + 3  # others may restock too; never fewer than ours
    assert httpx.get(f"{console.url('volunteers')}/v1/rewards/{held['id']}", headers=bearer(
        console, "community_staff", HUAYUE, sub=STAFF)).json()["stock"] >= stock + 3

    # Points go only to someone the time bank knows: the receiver has an account already.
    r = httpx.post(f"{console.url('volunteers')}/v1/accounts/{receiver}/civic-acts",
                   headers=bearer(console, "community_staff", HUAYUE, sub=STAFF),
                   json={"points": 1, "node": HUAYUE, "reason": "垃圾分类"})
    assert r.status_code == 201, r.text
    resident: Page = page_as("resident", HUAYUE, sub=giver, phone=True)
    resident.goto("/timebank")
    expect(resident.locator("#balance")).to_have_text("8")
    gift = resident.locator("#gift")
    gift.locator("[name=to]").fill(receiver)
    gift.locator("[name=points]").fill("3")
    gift.locator("[name=note]").fill("谢谢帮忙取快递")
    gift.get_by_role("button", name="赠送").click()
    expect(resident.locator("#balance")).to_have_text("5")
    expect(resident.locator("#statement tbody tr").first).to_contain_text("-3")
    shot(resident, "timebank-gift")
    assert volunteers(console, f"/v1/accounts/{giver}")["balance"] == 5
    assert volunteers(console, f"/v1/accounts/{receiver}")["balance"] == 1 + 3
