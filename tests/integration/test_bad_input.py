"""Hostile input at every service's edge (issue 13): out-of-range dates, months, cursors,
ids and headers are a 4xx problem naming the field, never a 500."""

from __future__ import annotations

import base64
import io
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import openpyxl
import pytest

from services.evaluation.bootstrap import create_app as evaluation_app
from services.grid.application import GridApplication, NodeSpec
from services.grid.bootstrap import create_app as grid_app
from services.issues.bootstrap import create_app as issues_app
from shared import embedded_pg
from shared.eventstore import open_application
from shared.sealing import Sealer
from shared.settings import Settings
from tests.conftest import DATA_KEY, JWT_SECRET
from tests.integration.test_refusals import assert_problem
from tests.utils.city import SYSTEM, register_small_city
from tests.utils.serve import serve
from tests.utils.tokens import bearer
from tests.utils.wait import eventually
from tests.utils.whistles import ADMIN, DEPARTMENTS, URBAN

ODD, ODD_NAME = "km.guandu.odd", "奇/怪[街]:道*?\\'"  # every character a sheet name refuses
RESIDENT = bearer("resident", "km.guandu.taihe.heping", sub="r-001")
DISTRICT = bearer("district_staff", "km.guandu", sub="d-01")


@dataclass
class Services:
    issues: httpx.AsyncClient
    grid: httpx.AsyncClient
    evaluation: httpx.AsyncClient


@pytest.fixture(scope="module")
async def svc(pg_server: str, tmp_path_factory) -> AsyncIterator[Services]:
    """Issues, grid and evaluation on one database, shared by this module's tests: none of
    them writes anything the others read."""
    url = embedded_pg.create_database(pg_server, f"t_{uuid.uuid4().hex[:12]}")
    settings = Settings(DATABASE_URL=url, home=Path(tmp_path_factory.mktemp("home")),
                        env="test", jwt_secret=JWT_SECRET, data_key=DATA_KEY,
                        consumer_poll_seconds=0.2)
    register_small_city(url)
    grid = open_application(GridApplication, url, sealer=Sealer(DATA_KEY))
    try:
        grid.register_nodes([NodeSpec(ODD, "street", ODD_NAME)], SYSTEM)
    finally:
        grid.close()
    async with serve(issues_app(settings)) as i, serve(grid_app(settings)) as g, \
            serve(evaluation_app(settings)) as e:
        assert (await g.post("/v1/departments", json=DEPARTMENTS[0],
                             headers=ADMIN)).status_code == 201
        await eventually(lambda: g.get("/v1/departments/km-cgj/board", headers=ADMIN),
                         lambda r: r.status_code == 200)
        yield Services(i, g, e)


def cursor(at: str) -> str:
    return base64.urlsafe_b64encode(f"{at}|{uuid.uuid4()}".encode()).decode()


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00+14:00",
                                "9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59-12:00"])
@pytest.mark.parametrize("route", ["/v1/issues", "/v1/issues/search", "/v1/me/issues"])
async def test_a_cursor_out_of_range_is_422(svc, route, at) -> None:
    headers = RESIDENT if route.startswith("/v1/me") else DISTRICT
    r = await svc.issues.get(route, params={"cursor": cursor(at), "q": "楼道"}, headers=headers)
    assert_problem(r, 422, "cursor")
    assert r.json()["field"] == "cursor"


@pytest.mark.parametrize(("name", "value"), [
    ("to", "9999-12-31"), ("from", "0001-01-01T00:00:00+14:00"), ("from", "0001-01-01"),
    ("to", "9999-12-31T23:59:59-12:00")])
async def test_search_dates_out_of_range_are_422(svc, name, value) -> None:
    r = await svc.issues.get("/v1/issues/search", params={"q": "楼道", name: value},
                             headers=DISTRICT)
    assert_problem(r, 422, name, "outside the years")
    assert r.json()["field"] == name


@pytest.mark.parametrize("name", ["end_date", "start_date"])
async def test_open311_dates_out_of_range_are_the_specs_400(svc, name) -> None:
    r = await svc.issues.get("/open311/v2/requests.json",
                             params={name: "0001-01-01T00:00:00Z"})  # no login needed
    assert r.status_code == 400, r.text
    [error] = r.json()
    assert name in error["description"] and "outside the years" in error["description"]


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "0000-01", "1899-12", "2200-01"])
@pytest.mark.parametrize("route", [
    "/v1/tiers/km.guandu/report", "/v1/departments/km-cgj/report",
    "/v1/rankings?parent=km.guandu", "/v1/rankings/departments",
    "/v1/accountability?parent=km.guandu", "/v1/accountability/departments"])
async def test_months_out_of_range_are_422(svc, route, month) -> None:
    path, _, parent = route.partition("?parent=")
    params = {"month": month} | ({"parent": parent} if parent else {})
    r = await svc.evaluation.get(path, params=params, headers=ADMIN)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "month" in r.json()["detail"]


@pytest.mark.parametrize("as_of", ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+14:00",
                                   "0001-01-01T00:00:00-12:00"])
@pytest.mark.parametrize("route", [
    "/v1/tiers/km.guandu/report", "/v1/rankings?parent=km.guandu",
    "/v1/accountability/departments", "/v1/kpi-rules"])
async def test_extreme_as_of_is_422(svc, route, as_of) -> None:
    path, _, parent = route.partition("?parent=")
    params = {"as_of": as_of} | ({"parent": parent} if parent else {})
    r = await svc.evaluation.get(path, params=params, headers=ADMIN)
    assert_problem(r, 422, "as_of", "outside the years")


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31", "0001-01-01T00:00:00+14:00"])
async def test_a_roles_as_of_out_of_range_is_422(svc, as_of) -> None:
    r = await svc.grid.get("/v1/nodes/km.guandu/roles", params={"as_of": as_of},
                           headers=DISTRICT)
    assert_problem(r, 422, "as_of", "outside the years")


@pytest.mark.parametrize("last", ["²", "١٢", "18446744073709551616", "9223372036854775808",
                                  "-1", "12abc"])
async def test_a_last_event_id_not_ours_is_422(svc, last) -> None:
    for client, route, headers in [(svc.issues, "/v1/me/events", RESIDENT),
                                   (svc.grid, "/v1/departments/km-cgj/stream", URBAN)]:
        # Headers travel as bytes; a client may well send UTF-8.
        r = await client.get(route, headers=headers | {"Last-Event-ID": last.encode()})
        assert_problem(r, 422, "Last-Event-ID")


@pytest.mark.parametrize("delivery", [2**63, 2**64, 0])
async def test_a_delivery_id_beyond_bigint_is_422(svc, delivery) -> None:
    r = await svc.grid.post(f"/v1/departments/km-cgj/deliveries/{delivery}/redeliver",
                            headers=ADMIN)
    assert_problem(r, 422, "delivery_id")


@pytest.mark.parametrize("claims", [{"scope": 42}, {"scope": ["km"]}, {"sub": 7},
                                    {"role": 1}, {"scope": "KM/../x"}, {"dept": {"x": 1}}])
async def test_a_signed_token_with_a_claim_of_the_wrong_type_is_401(svc, claims) -> None:
    now = int(time.time())
    body = {"iss": "gongzhi", "sub": "x", "role": "admin", "scope": "km", "iat": now,
            "exp": now + 600} | claims
    token = jwt.encode(body, JWT_SECRET, algorithm="HS256")
    for client, route in [(svc.issues, "/v1/issues"), (svc.grid, "/v1/departments"),
                          (svc.evaluation, "/v1/rankings/departments")]:
        r = await client.get(route, headers={"Authorization": f"Bearer {token}"})
        assert_problem(r, 401, "token")


async def test_an_xlsx_export_of_a_node_whose_name_excel_refuses_works(svc) -> None:
    r = await eventually(lambda: svc.evaluation.get(
        f"/v1/tiers/{ODD}/report", params={"month": "2026-11", "format": "xlsx"},
        headers=ADMIN), lambda r: r.status_code != 404)
    assert r.status_code == 200, r.text
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert sheet.title == "奇_怪_街__道___'2026-11考核"
    r = await svc.evaluation.get("/v1/rankings", params={"parent": "km.guandu",
                                                         "month": "2026-11", "format": "xlsx"},
                                 headers=ADMIN)
    assert r.status_code == 200, r.text
    rows = list(openpyxl.load_workbook(io.BytesIO(r.content)).active.values)
    assert ODD_NAME in [cell for row in rows for cell in row]


def chunks(total: int, first: bytes, size: int = 8192):
    """A body without Content-Length: `first`, then filler, in chunks."""
    async def stream():
        yield first
        sent = 0
        while sent < total:
            yield b"a" * min(size, total - sent)
            sent += size
    return stream()


@pytest.mark.parametrize(("route", "content_type", "first"), [
    ("/v1/issues", "application/json", b'{"title": "'),
    ("/open311/v2/requests.json", "application/x-www-form-urlencoded", b"description="),
    ("/open311/v2/requests.json", "multipart/form-data; boundary=xyz",
     b'--xyz\r\nContent-Disposition: form-data; name="description"\r\n\r\n')])
async def test_a_chunked_body_over_the_limit_is_413(svc, route, content_type, first) -> None:
    r = await svc.issues.post(route, content=chunks(200_000, first), headers=RESIDENT | {
        "content-type": content_type})
    assert "content-length" not in r.request.headers  # sent chunked
    assert_problem(r, 413, "limited to")
