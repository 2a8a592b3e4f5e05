"""Seed 004's Xiaotaoyuan case (有一说一) played in the browser: a resident of 姜家园102号
raises the back-lane problem on a phone (说事); the community secretary acknowledges it and
opens a council (理事, 议事); the resident votes for their household on the phone while the
other eight households vote through the API, and the secretary's page shows the turnout
live; the secretary closes the vote and publishes the conclusion, which assigns the issue
(干事), and resolves it; the street leader sees it; the resident rates the resolution (评事).
The same flow over the API alone is tests/system/test_xiaotaoyuan_on_platform.py."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot
from tests.browser.helpers import bearer
from tests.utils.platform import RunningPlatform
from tests.utils.wait import eventually_sync

STREET = "nj.gulou.rehenan"
COMMUNITY = f"{STREET}.xiaotaoyuan"
COMPOUND = f"{COMMUNITY}.jjy102"
# The demo register has resident xty-n verified for the n-th household.
HOUSEHOLDS = [f"jjy102-b1-{n}" for n in (101, 102, 201, 202, 301, 302, 401, 402, 501)]
PROPOSALS = ["商户拆除后巷违建披棚", "公共区域修建车棚", "封堵商户后门"]


def test_the_xiaotaoyuan_case_in_the_browser(page_as, console: RunningPlatform) -> None:
    issues = console.url("issues")
    resident: Page = page_as("resident", COMMUNITY, sub="xty-0", name="姜阿姨", phone=True)
    secretary: Page = page_as("community_staff", COMMUNITY, sub="xty-secretary",
                              name="小桃园社区书记")
    dialogs: list[str] = []
    for page in (resident, secretary):
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # 说事: the resident raises it at the compound, on the phone.
    title = f"后巷被商户占用、垃圾遍地 {uuid.uuid4().hex[:4]}"
    resident.goto("/report")
    form = resident.locator("#report-form")
    form.locator("[name=node]").select_option(COMPOUND)
    form.locator("[name=category]").select_option("commerce.lane_occupation")
    form.locator("[name=title]").fill(title)
    form.locator("[name=description]").fill("一楼餐饮店占用后巷搭披棚、堆杂物，长巷垃圾遍地、蚊蝇乱飞")
    shot(resident, "xty-1-resident-report")
    form.locator("button[type=submit]").click()
    expect(resident).to_have_url(re.compile(r"/issues/[0-9a-f-]{36}$"))
    issue_id = resident.url.rsplit("/", 1)[1]
    expect(resident.locator(".facts")).to_contain_text(COMMUNITY)  # triaged to the community
    shot(resident, "xty-2-resident-issue")

    # 理事: the secretary finds it on the board and acknowledges it.
    staff = bearer(console, "community_staff", COMMUNITY)
    eventually_sync(lambda: httpx.get(f"{issues}/v1/issues", headers=staff,
                                      params={"open": "true", "limit": 200}).json()["items"],
                    lambda items: any(i["id"] == issue_id for i in items), timeout=30)
    secretary.goto("/triage")
    secretary.locator("#inbox .issue-title", has_text=title).click()
    expect(secretary.locator("#issue-title")).to_have_text(title)
    secretary.locator("#ack-form [name=note]").fill("有一说一工作室已受理")
    secretary.locator("#ack-form button[type=submit]").click()
    expect(secretary.locator(".issue")).to_have_attribute("data-status", "acknowledged")
    shot(secretary, "xty-3-secretary-issue")

    # 议事: a council with four parties, three proposals, nine households, two thirds.
    secretary.locator("#open-consultation").click()
    council = secretary.locator("#consultation-form")
    council.locator("[name=form]").select_option("council")
    council.locator("[name=convenor]").fill("说事理事会")
    for n, (kind, name) in enumerate([("resident", "居民代表"), ("merchant", "一楼八家商户"),
                                      ("department", "城管科"), ("police", "社区民警")]):
        if n:
            council.locator(".add-row").click()
        council.locator("[name=party_kind]").nth(n).select_option(kind)
        council.locator("[name=party_name]").nth(n).fill(name)
    council.locator("[name=proposals]").fill("\n".join(PROPOSALS))
    council.locator("[name=eligible]").fill(" ".join(HOUSEHOLDS))
    council.locator("[name=rule]").select_option("two_thirds_eligible")
    council.locator("[name=quorum]").fill("1/2")
    shot(secretary, "xty-4-secretary-open-council")
    council.locator("button[type=submit]").click()
    expect(secretary).to_have_url(re.compile(r"/consultations/[0-9a-f-]{36}$"))
    cid = secretary.url.rsplit("/", 1)[1]
    expect(secretary.locator(".consultation")).to_have_attribute("data-status", "open")

    # The resident votes for their household on the phone.
    resident.goto("/votes")
    resident.locator(f"a[href='/consultations/{cid}']").click()
    ballot = resident.locator("#ballot")
    expect(ballot.locator("[name=household]")).to_have_value(HOUSEHOLDS[0])
    for proposal, choice in (("p1", "yes"), ("p2", "yes"), ("p3", "no")):
        ballot.locator(f"[data-vote='{proposal}:{choice}']").click()
        expect(resident.locator(".toast.ok").last).to_be_visible()
    expect(resident.locator("[data-proposal=p1] .turnout-count")).to_contain_text(
        "1/9", timeout=15000)
    shot(resident, "xty-5-resident-vote")

    # The other eight households vote from their own phones (the API here).
    for n, household in enumerate(HOUSEHOLDS[1:], start=1):
        voter = bearer(console, "resident", COMMUNITY, sub=f"xty-{n}")
        for proposal, yes_until in (("p1", 9), ("p2", 7), ("p3", 2)):
            r = httpx.post(f"{issues}/v1/consultations/{cid}/votes", headers=voter, json={
                "household": household, "proposal": proposal,
                "choice": "yes" if n < yes_until else "no"})
            assert r.status_code == 200, r.text
    # The secretary's page counts them in without a reload.
    for proposal in ("p1", "p2", "p3"):
        expect(secretary.locator(f"[data-proposal={proposal}] .turnout-count")).to_contain_text(
            "9/9", timeout=15000)
    shot(secretary, "xty-6-secretary-live-turnout")

    # Voting closes: two proposals pass under the two-thirds rule, the third does not.
    secretary.locator("#close-voting").click()
    expect(secretary.locator(".consultation")).to_have_attribute("data-status",
                                                                 "voting_closed")
    expect(secretary.locator("[data-proposal=p1] .tally")).to_contain_text("通过")
    expect(secretary.locator("[data-proposal=p2] .tally")).to_contain_text("赞成 7")
    expect(secretary.locator("[data-proposal=p3] .tally")).to_contain_text("未通过")
    shot(secretary, "xty-7-secretary-tally")

    # 公示: the conclusion assigns the work.
    conclude = secretary.locator("#conclude-form")
    conclude.locator("[name=conclusion]").fill("商户同意拆除违建、修建车棚；居民同意维护环境、不再乱扔垃圾")
    row = conclude.locator(".assignment").first
    row.locator("[name=kind]").select_option("owners_committee")
    row.locator("[name=id]").fill("ywh-jjy102")
    row.locator("[name=name]").fill("业主委员会")
    row.locator("[name=task]").fill("修建车棚，安装监控和充电桩")
    shot(secretary, "xty-8-secretary-conclude")
    conclude.locator("button[type=submit]").click()
    expect(secretary.locator("#conclusion, .toast.error").first).to_be_visible()
    refusals = secretary.locator(".toast.error").all_inner_texts()
    assert not refusals, refusals
    expect(secretary.locator(".consultation")).to_have_attribute("data-status", "concluded")
    expect(secretary.locator("#conclusion")).to_contain_text("修建车棚")

    # 干事: the issue is assigned by the conclusion; the secretary resolves it.
    secretary.goto(f"/issues/{issue_id}")
    expect(secretary.locator(".facts")).to_contain_text("业主委员会")
    secretary.locator("#resolve-form [name=resolution]").fill("后巷整治完毕，公共车棚建成")
    secretary.locator("#resolve-form button[type=submit]").click()
    expect(secretary.locator(".issue")).to_have_attribute("data-status", "resolved")
    shot(secretary, "xty-9-secretary-resolved")

    # The street leader sees it, with the consultation that decided it.
    leader: Page = page_as("street_staff", STREET, sub="rhn-leader", name="热河南路街道")
    leader.goto(f"/issues/{issue_id}")
    expect(leader.locator("#issue-title")).to_have_text(title)
    expect(leader.locator(".issue")).to_have_attribute("data-status", "resolved")
    expect(leader.locator(f"a[href='/consultations/{cid}']")).to_be_visible()
    shot(leader, "xty-10-street-issue")

    # 评事: once evaluation has heard of the resolution, the resident rates it.
    eventually_sync(lambda: httpx.get(f"{console.url('evaluation')}/v1/issues/{issue_id}/ratings",
                                      headers=bearer(console, "resident", COMMUNITY, sub="xty-0")),
                    lambda r: r.status_code == 200 and r.json()["status"] == "resolved",
                    timeout=30)
    resident.goto("/mine")
    card = resident.locator(f"[data-id='{issue_id}']")
    expect(card.locator(".timeline")).to_contain_text("已办结")
    card.locator(".rate-form [name=comment]").fill("后巷干净了")
    card.locator("[data-verdict=satisfied]").click()
    expect(card.locator(".rated")).to_be_visible()
    resident.reload()  # once per resolution: the page now says what was said
    expect(card.locator(".rated")).to_have_text("您已评价：满意")
    expect(card.locator(".rate-form")).to_have_count(0)
    shot(resident, "xty-11-resident-rated")
    assert dialogs == []
