"""The tier tree over HTTP: import (JSON and CSV), idempotent re-import, queries, refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.grid.bootstrap import create_app
from shared.settings import Settings
from tests.utils.serve import serve
from tests.utils.store import count_events
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

ADMIN = bearer("admin", "km")
CSV = """path,level,name
km,city,昆明市
km.guandu,district,官渡区
km.guandu.taihe,street,太和街道
km.guandu.taihe.heping,community,和平路社区
km.guandu.taihe.heping.g03,grid,第三网格
km.guandu.taihe.heping.g03.y017,compound,17号院
km.guandu.taihe.heping.g03.y017.b02,building,2栋
km.guandu.taihe.heping.g03.y017.b02.u1,unit,1单元
""".encode()


@pytest.fixture
async def grid(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(create_app(settings)) as client:
        yield client


async def import_csv(grid: httpx.AsyncClient, body: bytes, who: dict = ADMIN) -> httpx.Response:
    return await grid.post("/v1/nodes/import", content=body,
                           headers=who | {"content-type": "text/csv"})


async def test_a_csv_import_builds_the_tree_and_reimporting_changes_nothing(
    grid: httpx.AsyncClient, settings: Settings
) -> None:
    r = await import_csv(grid, CSV)
    assert r.json() == {"registered": 8, "renamed": 0, "unchanged": 0}
    before = count_events(settings.database_url, "grid")
    r = await import_csv(grid, CSV)
    assert r.json() == {"registered": 0, "renamed": 0, "unchanged": 8}
    assert count_events(settings.database_url, "grid") == before
    renamed = CSV.replace("2栋".encode(), "2号楼".encode())
    assert (await import_csv(grid, renamed)).json()["renamed"] == 1

    unit = "km.guandu.taihe.heping.g03.y017.b02.u1"
    path = await eventually(lambda: grid.get(f"/v1/nodes/{unit}/path", headers=ADMIN),
                            lambda r: r.status_code == 200)
    assert [n["level"] for n in path.json()] == [
        "city", "district", "street", "community", "grid", "compound", "building", "unit"]
    subtree = (await grid.get("/v1/nodes/km.guandu.taihe.heping/subtree", headers=ADMIN)).json()
    assert len(subtree) == 5
    building = await eventually(
        lambda: grid.get("/v1/nodes/km.guandu.taihe.heping.g03.y017.b02", headers=ADMIN),
        lambda r: r.json().get("name") == "2号楼")
    assert building.json()["parent"] == "km.guandu.taihe.heping.g03.y017"


@pytest.mark.parametrize(("body", "words"), [
    (b"path,level\nkm,city\n", "header path,level,name"),
    (CSV + b"km.guandu.taihe.heping.g03.u9,unit,9\n", "must sit under a building"),
    (CSV + b"km.guandu.x.y,street,x\n", "does not exist"),
    (CSV + b"KM,city,x\n", "CSV line 10"),
    (b"\xff\xfe\x00", "could not be read"),
])
async def test_a_bad_import_is_refused_whole(grid: httpx.AsyncClient, settings: Settings,
                                             body: bytes, words: str) -> None:
    r = await import_csv(grid, body)
    assert r.status_code == 422 and words in r.text, r.text
    assert count_events(settings.database_url, "grid") == 0


async def test_only_tree_keepers_within_scope_import(grid: httpx.AsyncClient) -> None:
    street = bearer("street_staff", "km.guandu.taihe")
    # Before the tree holds its node, a street token names nothing: it is refused outright.
    r = await import_csv(grid, CSV, who=street)
    assert r.status_code == 401 and "not a node of the tier tree" in r.text
    assert (await import_csv(grid, CSV)).status_code == 200
    await eventually(lambda: grid.get("/v1/nodes/km.guandu.taihe", headers=street),
                     lambda r: r.status_code == 200)
    r = await import_csv(grid, CSV, who=street)
    assert r.status_code == 403 and "may change the tier tree" in r.text
    r = await import_csv(grid, CSV, who=bearer("district_staff", "km.guandu"))
    assert r.status_code == 403 and "outside that scope" in r.text  # the CSV holds 'km'


async def test_a_json_import_works_and_bad_json_is_422(grid: httpx.AsyncClient) -> None:
    nodes = [{"path": "km", "level": "city", "name": "昆明市"},
             {"path": "km.guandu", "level": "district", "name": "官渡区"}]
    r = await grid.post("/v1/nodes/import", json={"nodes": nodes}, headers=ADMIN)
    assert r.json()["registered"] == 2
    r = await grid.post("/v1/nodes/import", json={"nodes": [{"path": "km"}]}, headers=ADMIN)
    assert r.status_code == 422 and "level" in r.text
