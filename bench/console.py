"""The console in Chromium: how soon a district dashboard of the demo city is interactive on
loopback, and how long the console's API calls for that page take, from the browser's own
performance timings (Navigation Timing, Resource Timing, and the `gz:screen-ready` mark the
router sets once a screen is drawn). Beside them, the machine's own limit measured in the
same run: `GET /health` straight to a service and through the console's pass-through. And
the dashboard's six-month trend asked straight of the evaluation service, one at a time: one
`/trend?months=6` call against the six `/report` calls it replaced.

    python -m bench.console [--loads 40] [--issues 200]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from bench.common import machine, percentile
from shared import auth
from tests.utils.platform import gongzhi_up

DISTRICT = "km.guandu"
PLACES = ["km.guandu.taihe.heping", "km.guandu.taihe"]


def token(home: Path, role: str, scope: str, csrf: str | None = None) -> str:
    secret = json.loads((home / "secrets.json").read_text())["jwt_secret"]
    return auth.mint(secret, sub=f"bench-{role}", role=role, scope=scope, csrf=csrf)


def fill(gz, issues: int) -> None:
    resident = {"Authorization": f"Bearer {token(gz.home, 'resident', 'km.guandu')}"}
    with httpx.Client(base_url=gz.url("issues"), headers=resident, timeout=30) as c:
        for i in range(issues):
            r = c.post("/v1/issues", json={"node": PLACES[i % 2], "title": f"基准测试 {i}",
                                           "category": "environment.back_lane", "channel": "app"})
            r.raise_for_status()


def health_latency(url: str, n: int = 400) -> list[float]:
    times = []
    with httpx.Client() as c:
        for _ in range(n):
            started = time.perf_counter()
            c.get(url).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


def trend_against_reports(gz, n: int = 40) -> tuple[list[float], list[float]]:
    """One `/trend?months=6` against six `/report` calls (the dashboard's former trend),
    each timed whole, alternating, after two warm-up rounds."""
    from services.evaluation.kpi import months

    leader = {"Authorization": f"Bearer {token(gz.home, 'district_staff', DISTRICT)}"}
    base = f"/v1/tiers/{DISTRICT}"
    with httpx.Client(base_url=gz.url("evaluation"), headers=leader, timeout=30) as c:
        month = c.get(f"{base}/report").raise_for_status().json()["month"]
        span = months.ending_with(month, 6)
        one, six = [], []
        for i in range(n + 2):
            started = time.perf_counter()
            c.get(f"{base}/trend", params={"month": month, "months": 6}).raise_for_status()
            middle = time.perf_counter()
            for m in span:
                c.get(f"{base}/report", params={"month": m}).raise_for_status()
            ended = time.perf_counter()
            if i >= 2:
                one.append((middle - started) * 1000)
                six.append((ended - middle) * 1000)
    return sorted(one), sorted(six)


def dashboard_loads(gz, loads: int) -> tuple[list[dict], list[float]]:
    pages, api_ms = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"),
                                    args=["--no-sandbox"])
        # bypass_csp: the page forbids eval, which Playwright's waiting on a JS predicate needs.
        context = browser.new_context(base_url=gz.url("console"), bypass_csp=True)
        context.add_cookies([{"name": "gz_session", "url": gz.url("console"),
                              "value": token(gz.home, "district_staff", DISTRICT, "bench")}])
        page = context.new_page()
        for i in range(loads + 2):
            page.goto(f"/dashboard/{DISTRICT}")
            page.wait_for_function("performance.getEntriesByName('gz:screen-ready').length")
            page.wait_for_selector("#trend svg")
            timing = page.evaluate("""() => {
              const nav = performance.getEntriesByType('navigation')[0];
              const ready = performance.getEntriesByName('gz:screen-ready')[0];
              const api = performance.getEntriesByType('resource')
                .filter(r => r.name.includes('/api/')).map(r => r.responseEnd - r.startTime);
              return {dom: nav.domInteractive, ready: ready.startTime, api, calls: api.length};
            }""")
            if i >= 2:  # the first loads warm caches and the services' query plans
                pages.append(timing)
                api_ms += timing["api"]
        browser.close()
    return pages, sorted(api_ms)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=40)
    parser.add_argument("--issues", type=int, default=200)
    args = parser.parse_args()
    with gongzhi_up(Path(tempfile.mkdtemp(prefix="gongzhi-bench-console-"))) as gz:
        fill(gz, args.issues)
        time.sleep(2)  # let the read models take the new issues in
        direct = health_latency(f"{gz.url('issues')}/health")
        proxied = health_latency(f"{gz.url('console')}/api/issues/health")
        pages, api = dashboard_loads(gz, args.loads)
        trend, reports = trend_against_reports(gz, args.loads)
    ready = sorted(p["ready"] for p in pages)
    dom = sorted(p["dom"] for p in pages)
    print(f"machine: {machine()}")
    # The machine is shared: how busy it was says how far these numbers are from a quiet one.
    print("load average (1, 5, 15 min) at the end: " + ", ".join(
        f"{x:.1f}" for x in os.getloadavg()))
    print(f"dashboard of {DISTRICT}, {len(pages)} loads, {pages[0]['calls']} API calls each")
    print(f"  DOM interactive      p50 {statistics.median(dom):7.1f} ms  "
          f"p99 {percentile(dom, 99):7.1f} ms")
    print(f"  screen drawn (ready) p50 {statistics.median(ready):7.1f} ms  "
          f"p99 {percentile(ready, 99):7.1f} ms")
    print(f"  API calls            p50 {statistics.median(api):7.1f} ms  "
          f"p99 {percentile(api, 99):7.1f} ms  ({len(api)} calls)")
    print(f"ceiling: GET /health direct p50 {statistics.median(direct):.2f} ms "
          f"p99 {percentile(direct, 99):.2f} ms; through the console p50 "
          f"{statistics.median(proxied):.2f} ms p99 {percentile(proxied, 99):.2f} ms "
          f"(pass-through adds {statistics.median(proxied) - statistics.median(direct):.2f} ms)")
    print(f"trend, straight to evaluation: one /trend?months=6 p50 "
          f"{statistics.median(trend):.1f} ms p99 {percentile(trend, 99):.1f} ms; six /report "
          f"p50 {statistics.median(reports):.1f} ms p99 {percentile(reports, 99):.1f} ms "
          f"({len(trend)} each)")
    print(f"ratio: API p50 / health-through-console p50 = "
          f"{statistics.median(api) / statistics.median(proxied):.1f}")


if __name__ == "__main__":
    main()
