"""A leader's dashboard shows what the API says for the same node and instant, drills down a
tier, looks back to a past day, and exports; an operator sees every service's read models."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import session_token, shot
from tests.browser.helpers import bearer, raise_issue
from tests.utils.platform import RunningPlatform
from tests.utils.wait import eventually_sync

DISTRICT = "wx.chongan"
STREETS = {"wx.chongan.tongjiang": 3, "wx.chongan.guangyi": 2}


def raise_issues(gz: RunningPlatform) -> None:
    for street, n in STREETS.items():
        resident = bearer(gz, "resident", street, sub=f"dash-{street}")
        for i in range(n):
            raise_issue(gz, resident, street, f"驾驶舱测试 {street} {i}",
                        category="environment.back_lane")


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def test_a_district_dashboard_shows_the_apis_numbers(console: RunningPlatform, page_as) -> None:
    raise_issues(console)
    leader = bearer(console, "district_staff", DISTRICT)
    report_url = f"{console.url('evaluation')}/v1/tiers/{DISTRICT}/report"
    eventually_sync(lambda: httpx.get(report_url, headers=leader).json()["figures"]["issues"],
                    lambda n: n >= 5, timeout=60)
    summary_url = f"{console.url('issues')}/v1/tiers/{DISTRICT}/summary"
    eventually_sync(lambda: httpx.get(summary_url, headers=leader).json()["node"]["counts"],
                    lambda c: c["total"] >= 5, timeout=60)

    page: Page = page_as("district_staff", DISTRICT)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(f"/dashboard/{DISTRICT}")
    expect(page.locator("#node-name")).to_contain_text("崇安")
    expect(page.locator("#trend svg")).to_be_attached()  # ECharts drew, from local files
    # The six-month trend is one call, not six reports (docs/benchmarks.md).
    paths = [urlsplit(u).path for u in asked]
    assert paths.count(f"/api/evaluation/v1/tiers/{DISTRICT}/trend") == 1
    assert paths.count(f"/api/evaluation/v1/tiers/{DISTRICT}/report") == 1
    shot(page, "leader-dashboard")
    api = httpx.get(report_url, headers=leader).json()
    figures = api["figures"]
    expect(page.locator("[data-kpi=issues] b")).to_have_text(str(figures["issues"]))
    for k in ("response_rate", "resolution_rate", "satisfaction_rate", "report_in_rate"):
        expect(page.locator(f"[data-kpi={k}] b")).to_have_text(pct(figures[k]))
    counts = httpx.get(summary_url, headers=leader).json()["node"]["counts"]
    for k in ("total", "raised", "acknowledged", "resolved"):
        expect(page.locator(f"[data-count={k}] b")).to_have_text(str(counts[k]))
    ranking = httpx.get(f"{console.url('evaluation')}/v1/rankings", headers=leader,
                        params={"parent": DISTRICT}).json()["rows"]
    for row in ranking:
        cells = page.locator("#children tr", has=page.locator(f"[data-child='{row['node']}']"))
        expect(cells.locator("td").nth(3)).to_have_text(str(row["issues"]))

    # Drill down one tier by clicking the street.
    page.locator("[data-child='wx.chongan.tongjiang']").click()
    expect(page).to_have_url(re.compile(r"/dashboard/wx\.chongan\.tongjiang$"))
    expect(page.locator("[data-kpi=issues] b")).to_have_text(re.compile(r"^[3-9]|\d\d"))
    shot(page, "leader-dashboard-street")


def test_a_past_day_shows_that_days_numbers(console: RunningPlatform, page_as) -> None:
    day = (datetime.now(UTC) - timedelta(days=40)).strftime("%Y-%m-%d")
    page: Page = page_as("district_staff", DISTRICT)
    page.goto(f"/dashboard/{DISTRICT}?as_of={day}")
    api = httpx.get(f"{console.url('evaluation')}/v1/tiers/{DISTRICT}/report",
                    headers=bearer(console, "district_staff", DISTRICT),
                    params={"as_of": f"{day}T23:59:59+08:00"}).json()
    expect(page.locator("#node-name")).to_contain_text(api["month"])
    expect(page.locator("[data-kpi=issues] b")).to_have_text(str(api["figures"]["issues"]))
    expect(page.locator("#live-counts")).to_have_count(0)  # live counts are of now only
    shot(page, "leader-dashboard-as-of")


def test_exports_download_through_the_console(console: RunningPlatform, page_as) -> None:
    page: Page = page_as("district_staff", DISTRICT)
    page.goto(f"/dashboard/{DISTRICT}")
    links = page.locator(".exports a")
    expect(links).to_have_count(5)
    token, _ = session_token(console, "district_staff", DISTRICT)
    for href in links.evaluate_all("els => els.map(e => e.getAttribute('href'))"):
        r = httpx.get(console.url("console") + href, cookies={"gz_session": token})
        assert r.status_code == 200, (href, r.text)
        expected = "text/csv" if "format=csv" in href else "spreadsheetml"
        assert expected in r.headers["content-type"], href


def test_an_operator_sees_each_services_read_models(console: RunningPlatform, page_as) -> None:
    page: Page = page_as("admin", "km")
    for service, model in (("issues", "issues_issue_list"), ("grid", "grid_whistles"),
                           ("evaluation", "evaluation_kpi_facts")):
        page.goto(f"/operators/{service}")
        expect(page.locator("#read-models")).to_contain_text(model)
        expect(page.locator("#health")).to_contain_text("ok")
        shot(page, f"operators-{service}")
    page.goto("/operators/issues")  # each read model's version: the issue list is at 2
    expect(page.locator("#read-models tr", has_text="issues_issue_list").first).to_contain_text(
        "v2")
    page.goto("/operators/grid")
    expect(page.get_by_role("heading", name=re.compile("Webhook"))).to_be_visible()
    asyncapi = page.locator("#api-documents a[data-doc=asyncapi]")
    expect(asyncapi).to_have_attribute("href", "/api/grid/asyncapi.json")
    document = httpx.get(console.url("console") + "/api/grid/asyncapi.json").json()  # public
    assert document["channels"]["grid"]["address"].endswith(".grid")


def test_a_community_worker_cannot_see_the_district_dashboard(page_as) -> None:
    page: Page = page_as("community_staff", "km.guandu.taihe.heping")
    page.goto("/dashboard/km.guandu")
    expect(page.locator(".card.denied")).to_be_visible()
