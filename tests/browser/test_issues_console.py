"""The issue screens in the browser: a resident reports on a phone and follows the issue live;
a grid worker works the inbox (deadline order) and handles an issue to its resolution; and
the refusals: a title of markup stays text, a resident cannot open a neighbour's issue by
editing the address, a grid worker cannot open another grid's issue or inbox."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot
from tests.browser.helpers import bearer, raise_issue
from tests.utils.platform import RunningPlatform
from tests.utils.wait import eventually_sync

HEPING = "km.guandu.taihe.heping"
G03 = f"{HEPING}.g03"
DENIED = "无权查看"  # the console's "not yours to see"


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:6]}"


def listed(console: RunningPlatform, headers: dict, node: str, issue_id: str) -> None:
    """The list read model has caught up with a raise (pages read it, not the log)."""
    eventually_sync(lambda: httpx.get(f"{console.url('issues')}/v1/issues", headers=headers,
                                      params={"node": node, "open": "true", "limit": 200}
                                      ).json()["items"],
                    lambda items: any(i["id"] == issue_id for i in items), timeout=30)


def test_a_title_of_markup_shows_as_text_and_runs_nothing(page_as) -> None:
    page: Page = page_as("resident", HEPING, sub=f"r-xss-{uuid.uuid4().hex[:6]}", phone=True)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    title = "<script>alert(1)</script>"
    page.goto("/report")
    form = page.locator("#report-form")
    form.locator("[name=node]").select_option(f"{G03}.y017")
    form.locator("[name=category]").select_option("environment.littering")
    form.locator("[name=title]").fill(title)
    form.locator("[name=description]").fill('<img src=x onerror="alert(2)">楼道堆满纸箱')
    form.locator("[name=address]").fill("17号院2栋3楼")
    form.locator("[name=contact_phone]").fill("13700003333")
    shot(page, "issues-resident-report")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/issues/[0-9a-f-]{36}$"))
    expect(page.locator("#issue-title")).to_have_text(title)
    expect(page.locator(".description")).to_contain_text('<img src=x onerror="alert(2)">')
    expect(page.locator(".facts")).to_contain_text("13700003333")  # the reporter's own
    page.goto("/mine")
    expect(page.locator("#my-issues .issue-title", has_text=title).first).to_be_visible()
    shot(page, "issues-resident-mine")
    assert dialogs == []
    assert page.locator("#my-issues script").count() == 0


def test_my_issues_follow_the_handling_live(page_as, console: RunningPlatform) -> None:
    sub = f"r-live-{uuid.uuid4().hex[:6]}"
    page: Page = page_as("resident", HEPING, sub=sub, phone=True)
    issue = raise_issue(console, bearer(console, "resident", HEPING, sub=sub), f"{G03}.y017",
                        unique("小区垃圾桶满溢"))
    page.goto("/mine")
    card = page.locator(f"[data-id='{issue['id']}']")
    expect(card).to_be_visible()
    staff = bearer(console, "community_staff", HEPING)
    r = httpx.post(f"{console.url('issues')}/v1/issues/{issue['id']}/acknowledge",
                   headers=staff, json={"note": "网格员马上到"})
    assert r.status_code == 200, r.text
    # No reload: the feed's event redraws the card.
    expect(card.locator(".timeline")).to_contain_text("已受理")
    expect(page.locator(".live-note")).to_contain_text(issue["title"])
    shot(page, "issues-resident-mine-live")
    page.locator("#lang").click()  # the English switch
    expect(page.locator("h2", has_text="My issues")).to_be_visible()
    expect(card.locator(".badge")).to_have_text("Acknowledged")


def test_a_grid_worker_works_the_inbox_in_deadline_order(page_as, console: RunningPlatform
                                                         ) -> None:
    resident = bearer(console, "resident", HEPING, sub=f"r-inbox-{uuid.uuid4().hex[:6]}")
    slow = raise_issue(console, resident, f"{G03}.y016", unique("绿化带枯死"),
                       category="environment.greening")  # 48 h to acknowledge
    urgent = raise_issue(console, resident, f"{G03}.y017", unique("污水外溢"),
                         category="environment.sewage")  # 12 h: raised later, due sooner
    worker = bearer(console, "grid_worker", G03)
    listed(console, worker, G03, slow["id"])
    listed(console, worker, G03, urgent["id"])

    page: Page = page_as("grid_worker", G03, sub="gw-g03-browser", name="李娟")
    page.goto("/inbox")
    titles = page.locator("#inbox tbody tr .issue-title")
    expect(titles.filter(has_text=urgent["title"])).to_be_visible()
    order = titles.all_inner_texts()
    assert order.index(urgent["title"]) < order.index(slow["title"])
    expect(page.locator("#inbox tbody tr", has_text=urgent["title"]).locator(".countdown")
           ).to_contain_text("剩余")
    shot(page, "issues-inbox")

    titles.filter(has_text=urgent["title"]).click()
    expect(page.locator("#issue-title")).to_have_text(urgent["title"])
    page.locator("#ack-form [name=note]").fill("已到现场查看")
    page.locator("#ack-form button[type=submit]").click()
    expect(page.locator(".issue")).to_have_attribute("data-status", "acknowledged")
    assign = page.locator("#assign-form")
    assign.locator("[name=kind]").select_option("property_company")
    assign.locator("[name=id]").fill("wy-017")
    assign.locator("[name=name]").fill("17号院物业")
    assign.locator("button[type=submit]").click()
    expect(page.locator(".issue")).to_have_attribute("data-status", "assigned")
    progress = page.locator("#progress-form")
    progress.locator("[name=note]").fill("管道疏通中")
    progress.locator("[name=photos]").fill("https://img.example/sewage/1.jpg")
    progress.locator("button[type=submit]").click()
    expect(page.locator(".timeline")).to_contain_text("管道疏通中")
    expect(page.locator(".timeline a[href='https://img.example/sewage/1.jpg']")).to_be_visible()
    shot(page, "issues-handle")
    resolve = page.locator("#resolve-form")
    resolve.locator("[name=resolution]").fill("管道已疏通，路面已冲洗")
    resolve.locator("[name=evidence]").fill("https://img.example/sewage/after.jpg")
    resolve.locator("button[type=submit]").click()
    expect(page.locator(".issue")).to_have_attribute("data-status", "resolved")
    expect(page.locator(".facts")).to_contain_text("管道已疏通")
    shot(page, "issues-resolved")


def test_a_resident_cannot_open_a_neighbours_issue_but_may_say_me_too(
        page_as, console: RunningPlatform) -> None:
    neighbour = bearer(console, "resident", HEPING, sub=f"r-nb-{uuid.uuid4().hex[:6]}")
    theirs = raise_issue(console, neighbour, f"{G03}.y017", unique("邻居的私事"),
                         contact={"name": "王大爷", "phone": "13900002222"})
    me = f"r-me-{uuid.uuid4().hex[:6]}"
    page: Page = page_as("resident", HEPING, sub=me, phone=True)
    page.goto(f"/issues/{theirs['id']}")
    expect(page.locator(".denied h2")).to_have_text(DENIED)
    expect(page.get_by_text(theirs["title"])).to_have_count(0)
    expect(page.get_by_text("13900002222")).to_have_count(0)
    shot(page, "issues-resident-denied")
    # What the neighbour raised is listed near them by title and place only; "me too"
    # follows it rather than raising it twice, and still shows no contact.
    page.goto("/report")
    near = page.locator(f"#nearby [data-id='{theirs['id']}']")
    expect(near).to_contain_text(theirs["title"])
    expect(page.get_by_text("13900002222")).to_have_count(0)
    shot(page, "issues-resident-nearby")
    near.locator("button.metoo").click()
    expect(near.locator(".badge.green")).to_have_text("已附议")
    eventually_sync(lambda: httpx.get(f"{console.url('issues')}/v1/me/issues",
                                      headers=bearer(console, "resident", HEPING, sub=me)
                                      ).json()["items"],
                    lambda items: any(i["id"] == theirs["id"] for i in items), timeout=30)
    page.goto("/mine")
    expect(page.locator(f"[data-id='{theirs['id']}']")).to_contain_text("已附议")
    page.goto(f"/issues/{theirs['id']}")
    expect(page.locator("#issue-title")).to_have_text(theirs["title"])
    expect(page.get_by_text("13900002222")).to_have_count(0)


def test_a_grid_worker_cannot_open_another_grids_pages(page_as, console: RunningPlatform
                                                       ) -> None:
    g02 = f"{HEPING}.g02"
    other = raise_issue(console, bearer(console, "resident", HEPING, sub="r-g02"),
                        f"{g02}.y003", unique("二网格的问题"))
    page: Page = page_as("grid_worker", f"{HEPING}.g01", sub="gw-g01-browser")
    page.goto(f"/issues/{other['id']}")
    expect(page.locator(".denied h2")).to_have_text(DENIED)
    expect(page.get_by_text(other["title"])).to_have_count(0)
    page.goto(f"/inbox?node={g02}")
    expect(page.locator(".denied h2")).to_have_text(DENIED)
    expect(page.locator("#inbox")).to_have_count(0)
    shot(page, "issues-grid-denied")
    # A resident's screens are not a grid worker's, nor the other way round.
    page.goto("/report")
    expect(page.locator(".denied h2")).to_have_text(DENIED)


def test_community_staff_merge_reclassify_and_escalate(page_as, console: RunningPlatform
                                                       ) -> None:
    first = raise_issue(console, bearer(console, "resident", HEPING, sub="r-lane-1"),
                        f"{G03}.y017", unique("后巷垃圾堆积"))
    again = raise_issue(console, bearer(console, "resident", HEPING, sub="r-lane-2"),
                        f"{G03}.y017", unique("后巷垃圾没人清"))
    staff = bearer(console, "community_staff", HEPING)
    listed(console, staff, HEPING, first["id"])
    listed(console, staff, HEPING, again["id"])

    page: Page = page_as("community_staff", HEPING, sub="cs-heping-browser", name="和平路社区")
    page.goto("/triage")
    expect(page.locator("#inbox .issue-title", has_text=first["title"])).to_be_visible()
    shot(page, "issues-triage")
    page.locator("#inbox .issue-title", has_text=again["title"]).click()
    # The duplicate goes into the first: the page moves to the one that stays.
    page.locator("#merge-form [name=into]").select_option(first["id"])
    page.locator("#merge-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(f"/issues/{first['id']}$"))
    expect(page.locator("#issue-title")).to_have_text(first["title"])
    expect(page.locator(".timeline")).to_contain_text("并入重复诉求")

    page.locator("#classify-form [name=category]").select_option("environment.back_lane")
    page.locator("#classify-form button[type=submit]").click()
    expect(page.locator(".facts")).to_contain_text("背街小巷保洁")
    page.locator("#escalate-form [name=reason]").fill("涉及多个小区，需要街道协调")
    page.locator("#escalate-form button[type=submit]").click()
    expect(page.locator("#handling-node")).to_have_text("km.guandu.taihe")
    shot(page, "issues-community-actions")

    street: Page = page_as("street_staff", "km.guandu.taihe", sub="ss-taihe-browser")
    street.goto(f"/issues/{first['id']}")
    expect(street.locator(".timeline")).to_contain_text("涉及多个小区，需要街道协调")
    expect(street.locator("#escalate-form")).to_be_visible()  # theirs to pass on now
