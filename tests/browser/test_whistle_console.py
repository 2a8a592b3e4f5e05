"""Seed 002's whistle case (吹哨报到) played in the browser by three signed-in people: from the
page of a resident's illegal-construction issue, a street blows a law-enforcement whistle at
urban management and the police; both boards show it
with its deadline counting down; the police report in at once, urban management lets the
deadline pass and reports in late; the street's page shows both as they happen, the late
one marked. The deadline is the blower's own `report within` of a few seconds (the platform
runs on the real clock). Then: a department cannot read another's board by editing the
address; emergency mode halves a new whistle's deadline; a grid worker logs a patrol and
the street reads it back."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.browser import helpers
from tests.browser.conftest import session_token, shot
from tests.utils.wait import eventually_sync

STREET = "km.guandu.taihe"
URBAN, POLICE = "km-cgj", "km-gaj"
URBAN_NAME, POLICE_NAME = "官渡区城市管理局", "昆明市公安局官渡分局"


def board_row(page: Page, title: str):
    return page.locator("#board tbody tr", has_text=title)


def raise_issue(console, title: str) -> str:
    """A resident reports the illegal construction (through the API: the resident's screens
    are another test's)."""
    resident = helpers.bearer(console, "resident", "km.guandu.taihe.heping", sub="r-002-browser")
    issue = helpers.raise_issue(console, resident, "km.guandu.taihe.heping.g01.y001.b01",
                                title, category="public_affairs.illegal_construction")
    assert issue["handling_node"] == STREET  # triage: a street matter
    return issue["id"]


def test_the_whistle_case_in_three_browsers(page_as, console) -> None:
    urban: Page = page_as("department_staff", "km.guandu", department=URBAN, sub="cg-browser")
    police: Page = page_as("department_staff", "km.guandu", department=POLICE, sub="ga-browser")
    street: Page = page_as("street_staff", STREET, sub="s-taihe-browser")
    # The boards are open before the whistle: it must arrive on them by their event stream.
    for page in (urban, police):
        page.goto("/department")
        expect(page).to_have_url(re.compile(r"/departments/km-"))
        expect(page.locator("#stats")).to_be_visible()

    # The street blows the whistle from the issue's page.
    title = f"和平路2栋楼顶违建 {uuid.uuid4().hex[:6]}"
    issue = raise_issue(console, title)
    street.goto(f"/issues/{issue}")
    street.locator("#blow-for-issue").click()
    form = street.locator("#blow")
    expect(form.locator("[name=title]")).to_have_value(title)
    expect(form.locator("#blow-issue")).to_contain_text(title)
    form.locator("[name=situation]").select_option("law_enforcement")
    form.locator(f"input[value={URBAN}]").check()
    form.locator(f"input[value={POLICE}]").check()
    form.locator("[name=within]").fill("0.4")  # 24 seconds to report in
    shot(street, "whistles-blow")
    form.locator("button[type=submit]").click()
    expect(street).to_have_url(re.compile(r"/whistles/[0-9a-f-]{36}$"))
    expect(street.locator("h1")).to_have_text(title)
    whistle_url = street.url

    # Both boards show it, counting down.
    for page in (urban, police):
        row = board_row(page, title)
        expect(row.locator(".countdown")).to_contain_text("剩余")
        expect(row.locator("[data-state]")).to_have_attribute("data-state", "awaiting")
    shot(police, "department-board-summoned")

    # The police report in at once: on time.
    board_row(police, title).locator("input[name=text]").fill("民警已到场")
    board_row(police, title).get_by_role("button", name="报到").click()
    expect(board_row(police, title).locator("[data-state]")).to_have_attribute(
        "data-state", "on_time")

    # The street's page, never reloaded, shows the police in and urban management waiting.
    summons = street.locator("#summons tbody tr")
    police_line = summons.filter(has_text=POLICE_NAME)
    urban_line = summons.filter(has_text=URBAN_NAME)
    expect(police_line.locator("[data-state]")).to_have_attribute("data-state", "on_time")
    expect(urban_line.locator("[data-state]")).to_have_attribute("data-state", "awaiting")
    shot(street, "whistle-live-one-reported")

    # Urban management's countdown runs out on its board; it reports in late.
    urban_row = board_row(urban, title)
    expect(urban_row.locator(".countdown")).to_have_class(re.compile("overdue"), timeout=30000)
    expect(urban_row.locator(".countdown")).to_contain_text("已超时")
    shot(urban, "department-board-overdue")
    urban_row.get_by_role("button", name="报到").click()
    expect(urban_row.locator("[data-state]")).to_have_attribute("data-state", "late")

    # The street sees it arrive, marked late, in the summary and the history.
    expect(urban_line.locator("[data-state]")).to_have_attribute("data-state", "late")
    expect(urban_line).to_contain_text("迟到报到")
    reported = street.locator("#history li", has_text="部门报到").filter(has_text=URBAN_NAME)
    expect(reported).to_contain_text("迟到报到")
    shot(street, "whistle-live-late")

    # Both complete; the whistle closes on the street's page.
    for page, outcome in ((urban, "已拆除"), (police, "已配合执法")):
        row = board_row(page, title)
        row.locator("input[name=text]").fill(outcome)
        row.get_by_role("button", name="完成").click()
        expect(row).to_have_count(0)
    expect(street.locator(".badge", has_text="已结束")).to_be_visible()
    expect(urban_line).to_contain_text("已拆除")
    shot(street, "whistle-closed")

    # The street's record lists it with both report-ins.
    street.goto("/whistles?status=closed")
    record = street.locator("#whistle-record tbody tr", has_text=title)
    expect(record.locator("li", has_text=URBAN_NAME).locator("[data-state]")).to_have_attribute(
        "data-state", "done_late")
    shot(street, "whistles-record")

    # The issue's page lists the whistle blown about it.
    street.goto(f"/issues/{issue}")
    expect(street.locator("#issue-whistles li")).to_have_count(1)

    # 社区评部门: once the evaluation service has seen the whistle close (urban management is
    # evaluated through the API until it is accepted), the street evaluates the police on the
    # whistle's page, and the police read it on their board.
    evaluate_through_api(console, whistle_url.rsplit("/", 1)[1], URBAN)
    street.goto(whistle_url)
    form = street.locator(f"form.evaluate[data-department={POLICE}]")
    form.locator("[name=timeliness]").select_option("5")
    form.locator("[name=comment]").fill("到场迅速，配合有力")
    form.get_by_role("button", name="提交").click()
    expect(form).to_contain_text("已评价")
    token, _ = session_token(console, "department_staff", "km.guandu", department=POLICE)
    eventually_sync(lambda: httpx.get(
        f"{console.url('evaluation')}/v1/departments/{POLICE}/evaluations",
        headers={"Authorization": f"Bearer {token}"}).json()["evaluations"],
        lambda evaluations: any(e["whistle_id"] in whistle_url for e in evaluations))
    police.goto("/department")
    expect(police.locator("#evaluations")).to_contain_text("到场迅速，配合有力")
    shot(police, "department-board-evaluated")


def evaluate_through_api(console, whistle_id: str, department: str) -> None:
    token, _ = session_token(console, "street_staff", STREET)
    eventually_sync(lambda: httpx.post(
        f"{console.url('evaluation')}/v1/department-evaluations",
        headers={"Authorization": f"Bearer {token}"}, json={
            "whistle_id": whistle_id, "department": department, "timeliness": 2,
            "effectiveness": 4, "attitude": 4, "comment": "超时报到"}).status_code,
        lambda status: status == 201)


def test_a_department_works_an_issue_assigned_to_it(page_as, console) -> None:
    """The board's other half: an issue the community assigned to urban management, its
    resolve-by deadline ticking; a progress note, then the resolution."""
    def as_(role: str, scope: str, **kw: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {session_token(console, role, scope, **kw)[0]}"}

    title = f"后巷垃圾堆积 {uuid.uuid4().hex[:6]}"
    issues = f"{console.url('issues')}/v1/issues"
    r = httpx.post(issues, json={"node": "km.guandu.taihe.heping.g01", "title": title,
                                 "category": "environment.garbage", "channel": "app"},
                   headers=as_("resident", "km.guandu.taihe.heping", sub="r-garbage-browser"))
    assert r.status_code == 201, r.text
    base = f"{issues}/{r.json()['id']}"
    community = as_("community_staff", "km.guandu.taihe.heping")
    assert httpx.post(f"{base}/acknowledge", json={}, headers=community).is_success
    assert httpx.post(f"{base}/assign", headers=community, json={
        "assignee": {"kind": "department", "id": URBAN, "name": URBAN_NAME}}).is_success
    urban = as_("department_staff", "km.guandu", department=URBAN)
    eventually_sync(lambda: httpx.get(issues, params={"open": "true"}, headers=urban).json(),
                    lambda page: any(i["title"] == title for i in page["items"]))

    page: Page = page_as("department_staff", "km.guandu", department=URBAN)
    page.goto("/department")
    row = page.locator("#assigned-issues tbody tr", has_text=title)
    expect(row.locator(".countdown")).to_contain_text("剩余")
    row.locator("input[name=text]").fill("已安排明早清运")
    row.get_by_role("button", name="记录进展").click()
    expect(page.locator(".toast.ok")).to_contain_text("进展已记录")
    shot(page, "department-board-issues")
    row.locator("input[name=text]").fill("已清运完毕")
    row.get_by_role("button", name="办结").click()
    expect(row).to_have_count(0)
    done = httpx.get(base, headers=urban).json()
    assert done["status"] == "resolved"
    assert [h["type"].split(".")[2] for h in done["history"]][-2:] == ["progress_noted",
                                                                        "resolved"]


def test_a_department_cannot_open_another_departments_board(page_as) -> None:
    police: Page = page_as("department_staff", "km.guandu", department=POLICE)
    police.goto(f"/departments/{URBAN}")
    denied = police.locator(".card.denied")
    expect(denied).to_contain_text("无权查看")
    expect(denied).to_contain_text(URBAN)  # the service's own reason names the board
    expect(police.locator("#board")).to_have_count(0)
    shot(police, "department-board-denied")
    # Its menu still leads to its own board.
    police.get_by_role("link", name="部门看板").click()
    expect(police).to_have_url(re.compile(f"/departments/{POLICE}$"))


def test_emergency_mode_halves_a_new_whistles_deadline(page_as) -> None:
    street: Page = page_as("street_staff", "nj.gulou.xiaguan", sub="s-xiaguan-browser")
    street.goto("/whistles")
    mode = street.locator("#mode")
    expect(mode.locator("#current-mode")).to_have_attribute("data-mode", "daily")
    mode.locator("[name=reason]").fill("防汛应急")
    mode.get_by_role("button", name="切换为应急模式").click()
    expect(mode.locator("#current-mode")).to_have_attribute("data-mode", "emergency")
    shot(street, "whistles-emergency-mode")
    try:
        title = f"下关防汛 {uuid.uuid4().hex[:6]}"
        form = street.locator("#blow")
        form.locator("[name=situation]").select_option("emergency")
        form.locator("[name=title]").fill(title)
        form.locator("input[value=gl-swj]").check()
        form.locator("button[type=submit]").click()
        expect(street.locator("h1")).to_have_text(title)
        expect(street.locator(".badge", has_text="应急模式")).to_be_visible()
        # An emergency whistle gives 30 minutes; in emergency mode, 15.
        expect(street.locator("#summons .countdown")).to_contain_text(re.compile(r"剩余 1[45]m"))
        shot(street, "whistle-emergency")
    finally:
        street.goto("/whistles")
        mode.locator("[name=reason]").fill("汛情解除")
        mode.get_by_role("button", name="恢复日常模式").click()
        expect(mode.locator("#current-mode")).to_have_attribute("data-mode", "daily")


def test_a_grid_worker_logs_a_patrol_and_the_street_reads_it(page_as) -> None:
    worker: Page = page_as("grid_worker", "km.guandu.taihe.heping.g02", sub="gw-browser",
                           phone=True)
    note = f"走访12户，楼道堆物一处 {uuid.uuid4().hex[:6]}"
    worker.goto("/patrols")
    form = worker.locator("#patrol")
    form.locator("[name=households]").fill("12")
    form.locator("[name=note]").fill(note)
    form.locator("#add-problem").click()
    problem = form.locator(".problem")
    problem.locator("[name=p_title]").fill("楼道堆放杂物")
    problem.locator("[name=p_category]").select_option(index=0)
    problem.locator("[name=p_raise]").check()
    shot(worker, "patrols-form")
    form.get_by_role("button", name="登记巡查").click()
    expect(worker.locator(".toast.ok")).to_contain_text("1 个问题上报为事项")
    expect(form.locator(".problem")).to_have_count(0)
    logged = worker.locator("#past-patrols tbody tr", has_text=note)
    expect(logged).to_contain_text("楼道堆放杂物")
    expect(logged).to_contain_text("已上报")
    shot(worker, "patrols-logged")

    street: Page = page_as("street_staff", STREET)
    street.goto("/patrols")
    expect(street.locator("#patrol")).to_have_count(0)  # streets read patrols, log none
    row = street.locator("#past-patrols tbody tr", has_text=note)
    expect(row).to_contain_text("gw-browser")
    shot(street, "patrols-street")


def test_a_district_leader_ranks_departments_and_reads_a_board(page_as, console) -> None:
    token, _ = session_token(console, "street_staff", STREET)
    title = f"太和街道重点工作 {uuid.uuid4().hex[:6]}"
    blown = httpx.post(f"{console.url('grid')}/v1/whistles", json={
        "node": STREET, "situation": "key_task", "title": title, "departments": [URBAN]},
        headers={"Authorization": f"Bearer {token}"})
    assert blown.status_code == 201, blown.text
    district, _ = session_token(console, "district_staff", "km.guandu")
    eventually_sync(lambda: httpx.get(f"{console.url('grid')}/v1/departments/{URBAN}/board",
                                      headers={"Authorization": f"Bearer {district}"}).json(),
                    lambda b: any(s["title"] == title for s in b["open"]))
    leader: Page = page_as("district_staff", "km.guandu", sub="d-guandu-browser")
    leader.goto("/departments")
    row = leader.locator("#departments tbody tr", has_text=URBAN_NAME)
    expect(row).to_contain_text("km.guandu")
    shot(leader, "departments-ranking")
    leader.locator("#lang").click()  # the English switch
    expect(leader.locator("h1")).to_have_text("Departments")
    expect(row.get_by_role("link", name="Board")).to_be_visible()
    leader.locator("#lang").click()
    row.get_by_role("link", name="看板").click()
    expect(leader).to_have_url(re.compile(f"/departments/{URBAN}$"))
    expect(leader.locator("h1")).to_have_text(URBAN_NAME)
    expect(leader.locator("#stats")).to_be_visible()
    summoned = board_row(leader, title)
    expect(summoned.locator(".countdown")).to_contain_text("剩余")
    expect(summoned.locator("form.act")).to_have_count(0)  # leaders read, never report in
