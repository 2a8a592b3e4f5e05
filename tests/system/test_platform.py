"""The platform as a new user starts it: `gongzhi up`, a token from `gongzhi token`, an issue
raised over HTTP at a building, visible in its community's, street's and district's
summaries; every service's OpenAPI docs and AsyncAPI document reachable; Ctrl-C stops
everything."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.utils.platform import SERVICES, gongzhi_up
from tests.utils.wait import eventually_sync

BUILDING = "km.guandu.taihe.heping.g01.y001.b01"


def test_gongzhi_up_serves_the_demo_city_end_to_end(tmp_path: Path) -> None:
    with gongzhi_up(tmp_path) as gz:
        # Demo people to sign in to the console as, with the development password.
        assert "u-km-heping-g03" in gz.printed and "'gongzhi-demo'" in gz.printed
        for service in SERVICES:
            assert gz.url(service) in gz.printed
            # The first OpenAPI document is built on request: seconds on a busy machine.
            assert httpx.get(f"{gz.url(service)}/openapi.json", timeout=60).status_code == 200
            assert httpx.get(f"{gz.url(service)}/docs", timeout=60).status_code == 200
            events = httpx.get(f"{gz.url(service)}/asyncapi.json", timeout=60).json()
            assert events["channels"][service]["address"] == f"gongzhi.{service}"
        issues = gz.url("issues")
        resident = gz.token("resident", "km.guandu.taihe.heping", "--sub", "r-100")
        leader = gz.token("district_staff", "km.guandu")

        def total(path: str) -> int:
            r = httpx.get(f"{issues}/v1/tiers/{path}/summary", headers=leader)
            return r.json()["node"]["counts"]["total"] if r.status_code == 200 else -1

        tiers = ("km.guandu.taihe.heping", "km.guandu.taihe", "km.guandu")
        before = {p: eventually_sync(lambda p=p: total(p), lambda n: n >= 0) for p in tiers}
        r = httpx.post(f"{issues}/v1/issues", headers=resident, json={
            "node": BUILDING, "title": "单元门禁损坏", "category": "public_affairs.bike_shed",
            "channel": "app"})
        assert r.status_code == 201, r.text
        raised_at = time.monotonic()
        for path in tiers:
            eventually_sync(lambda p=path: total(p), lambda n, p=path: n == before[p] + 1)
        print(f"visible at community, street and district after "
              f"{time.monotonic() - raised_at:.3f}s")
    assert "Stopped." in gz.output
    for service in SERVICES:
        try:
            httpx.get(f"{gz.url(service)}/health", timeout=1)
            raise AssertionError(f"{gz.url(service)} still answers after Ctrl-C")
        except httpx.HTTPError:
            pass
