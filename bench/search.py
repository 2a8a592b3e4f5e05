"""Keyword search latency on ~20 000 issues: `GET /v1/issues/search` in-process (routing,
auth, SQL, JSON; no network), for a district's staff, a community's staff with filters, and
a resident, beside the projection's fill rate.

The read model is filled by applying generated `raised` and `progress_noted` events straight
to the projection (the part of the pipeline that search adds); the service then starts on
that database and serves the queries.

    python -m bench.search [--issues 20000] [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import secrets
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import database, machine, percentile
from services.grid.application import GridApplication
from services.issues.bootstrap import create_app
from services.issues.projections.search import IssueSearch
from shared import auth
from shared.eventstore import open_application
from shared.sealing import Sealer
from shared.settings import Settings
from tests.utils.city import SMALL_CITY, SYSTEM
from tests.utils.issue_events import IssueStory, projected
from tests.utils.serve import serve

PLACES = ["后巷", "3号楼", "小区门口", "菜市场旁", "幼儿园门口", "公交站", "地下车库", "健身广场",
          "老年活动室", "楼道", "单元门", "河边步道"]
PROBLEMS = [("垃圾堆积", "environment"), ("占道经营", "commerce"), ("电梯故障", "safety"),
            ("路灯不亮", "public_affairs"), ("噪音扰民", "environment"),
            ("污水外溢", "environment"), ("违章搭建", "safety"), ("停车难", "public_affairs"),
            ("楼道堆物", "safety"), ("宠物扰民", "self_governance"),
            ("屋顶漏水", "public_affairs"), ("井盖缺失", "safety")]
DETAILS = ["已经好几天了", "老人小孩出行不便", "晚上尤其严重", "希望尽快处理", "多次反映未果",
           "影响周边居民休息", "存在安全隐患", "气味很大"]
NOTES = ["网格员已到现场查看", "已联系物业公司", "已通知城管中队", "已约谈商户", "维修队明天上门"]
NODES = [f"km.guandu.taihe.{c}.g0{g}.y0{y}" for c in ("heping", "minhang", "xinxing")
         for g in range(1, 6) for y in range(1, 5)]
QUERIES = ["垃圾", "电梯故障", "占道经营", "3号楼 漏水", "路灯", "噪音扰民 晚上", "物业", "井盖"]


def stories(n: int, rng: random.Random) -> list:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    events = []
    for i in range(n):
        place, (problem, category) = rng.choice(PLACES), rng.choice(PROBLEMS)
        story = IssueStory(rng.choice(NODES), f"{place}{problem}", f"r-{rng.randrange(3000)}",
                           description=f"{place}{problem}，{rng.choice(DETAILS)}，"
                                       f"{rng.choice(DETAILS)}",
                           category=category, at=start + timedelta(minutes=23 * i))
        events.append(story.raised)
        if i % 3 == 0:
            events.append(story.event("progress_noted", note=rng.choice(NOTES), photos=[]))
    return events


async def fill(url: str, n: int) -> float:
    events = stories(n, random.Random(5))
    async with projected(url, IssueSearch()) as (conn, apply):
        started = time.perf_counter()
        for i in range(0, len(events), 1000):
            await apply(events[i:i + 1000])
        rate = len(events) / (time.perf_counter() - started)
        # What autovacuum does on a live table soon after such a load: without statistics
        # the planner walks the node index instead of the words index.
        await conn.execute(f'ANALYZE "{IssueSearch.schema}".issues')
        return rate


async def measure(url: str, rounds: int) -> None:
    secret, key = secrets.token_urlsafe(32), base64.urlsafe_b64encode(os.urandom(32)).decode()
    grid = open_application(GridApplication, url, sealer=Sealer(key))
    grid.register_nodes(SMALL_CITY, SYSTEM)
    grid.close()
    settings = Settings(DATABASE_URL=url, home=Path(tempfile.mkdtemp()), env="test",
                        jwt_secret=secret, data_key=key)

    def bearer(role: str, scope: str, sub: str = "bench") -> dict[str, str]:
        return {"Authorization": "Bearer " + auth.mint(secret, sub=sub, role=role, scope=scope)}

    cases = {
        "district staff, q only": (bearer("district_staff", "km.guandu"), {}),
        "community staff + status + dates": (
            bearer("community_staff", "km.guandu.taihe.heping"),
            {"status": "raised", "from": "2026-03-01", "to": "2026-06-30"}),
        "resident (own issues)": (bearer("resident", "km.guandu", sub="r-17"), {}),
    }
    async with serve(create_app(settings)) as api:
        for label, (headers, params) in cases.items():
            times, hits = [], 0
            for _ in range(rounds):
                for q in QUERIES:
                    started = time.perf_counter()
                    r = await api.get("/v1/issues/search", headers=headers,
                                      params={"q": q, "limit": 20, **params})
                    times.append((time.perf_counter() - started) * 1000)
                    assert r.status_code == 200, r.text
                    hits += len(r.json()["items"])
            times.sort()
            print(f"  {label:<36} p50 {percentile(times, 50):6.1f} ms   "
                  f"p95 {percentile(times, 95):6.1f} ms   p99 {percentile(times, 99):6.1f} ms"
                  f"   ({len(times)} queries, {hits / len(times):.1f} hits each)")


async def main(issues: int, rounds: int) -> None:
    print(machine())
    url = database()
    rate = await fill(url, issues)
    print(f"  {issues} issues indexed: {rate:.0f} events/s through the search projection")
    await measure(url, rounds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.issues, args.rounds))
