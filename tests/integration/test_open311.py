"""Open311 GeoReport v2, spoken to by third-party clients from PyPI: civicbot's
Open311Client lists services, creates a request and reads it back; georeport reads the same
in XML. Errors come back in the spec's own form."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from civicbot.open311 import Open311Client
from civicbot.registry import Endpoint
from georeport import GeoReport

from services.issues.bootstrap import create_app
from shared.auth import mint
from shared.settings import Settings
from tests.conftest import JWT_SECRET
from tests.utils.city import BUILDING, register_small_city
from tests.utils.serve import serve_http
from tests.utils.store import count_events
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

RESIDENT_KEY = mint(JWT_SECRET, sub="r-311", role="resident", scope="km.guandu")


@pytest.fixture
async def open311(settings: Settings) -> AsyncIterator[str]:
    """The issues service over real HTTP (the clients use urllib and requests)."""
    register_small_city(settings.database_url)
    async with serve_http(create_app(settings)) as client:
        await eventually(lambda: client.get("/v1/tiers/km.guandu/summary",
                                            headers=bearer("admin", "km")),
                         lambda r: r.status_code == 200)
        yield f"{str(client.base_url).rstrip('/')}/open311/v2"


async def test_a_third_party_client_lists_creates_and_reads_back(open311: str) -> None:
    endpoint = Endpoint(id="gongzhi", name="共治", base_url=open311, write=True)
    client = Open311Client(endpoint, jurisdiction_id=BUILDING)

    services = await asyncio.to_thread(client.list_services)
    codes = {s["service_code"] for s in services}
    assert "environment.garbage" in codes and len(codes) >= 40
    garbage = next(s for s in services if s["service_code"] == "environment.garbage")
    assert garbage["group"] == "环境整治" and garbage["metadata"] is False
    definition = await asyncio.to_thread(client.get_service_definition, "environment.garbage")
    assert definition == {"service_code": "environment.garbage", "attributes": []}

    made = await asyncio.to_thread(
        client.create_request, "environment.garbage", dry_run=False, confirm="SEND",
        api_key=RESIDENT_KEY, validate_remote=True, lat=25.02, lng=102.74,
        address_string="和平路17号院2栋", description="垃圾三天没有清运", phone="13800002222",
        first_name="丽", last_name="王")
    created = made.response[0]
    request_id = created["service_request_id"]

    read = await asyncio.to_thread(client.get_request, request_id)
    assert read["service_code"] == "environment.garbage" and read["status"] == "open"
    assert read["description"] == "垃圾三天没有清运" and read["lat"] == 25.02
    assert read["address"] == "和平路17号院2栋"
    assert "phone" not in json.dumps(read) and "13800002222" not in json.dumps(read)
    assert await asyncio.to_thread(client.get_token, request_id) == [
        {"service_request_id": request_id, "token": request_id}]
    listed = await asyncio.to_thread(client.list_requests, status="open",
                                     service_code="environment.garbage")
    assert [r["service_request_id"] for r in listed] == [request_id]

    xml = GeoReport(open311, jurisdiction=BUILDING, output_format="xml")
    assert await asyncio.to_thread(xml.get_service_request, request_id) == {
        **{k: (None if v is None else str(v)) for k, v in read.items()}}
    assert len(await asyncio.to_thread(xml.get_service_list)) == len(services)


@pytest.mark.parametrize(("form", "status", "words"), [
    ({}, 403, "api_key is required"),
    ({"api_key": "forged"}, 403, "not valid"),
    ({"api_key": RESIDENT_KEY}, 400, "service_code is required"),
    ({"api_key": RESIDENT_KEY, "service_code": "weather.rain"}, 404, "not offered"),
    ({"api_key": RESIDENT_KEY, "service_code": "environment.garbage"}, 400, "jurisdiction_id"),
    ({"api_key": RESIDENT_KEY, "service_code": "environment.garbage",
      "jurisdiction_id": BUILDING}, 400, "location is required"),
    ({"api_key": RESIDENT_KEY, "service_code": "environment.garbage",
      "jurisdiction_id": BUILDING, "lat": "25"}, 400, "given together"),
    ({"api_key": RESIDENT_KEY, "service_code": "environment.garbage",
      "jurisdiction_id": "km.guandu.nowhere", "address_string": "x"}, 404, "jurisdiction_id"),
])
async def test_refusals_follow_the_spec_and_write_nothing(open311: str, settings: Settings,
                                                          form: dict, status: int,
                                                          words: str) -> None:
    for fmt in ("json", "xml"):
        async with httpx.AsyncClient() as client:
            r = await client.post(f"{open311}/requests.{fmt}", data=form)
        assert r.status_code == status, r.text
        assert words in r.text
        if fmt == "json":
            assert r.json() == [{"code": status, "description": r.json()[0]["description"]}]
        else:
            assert r.text.startswith("<?xml") and "<errors><error><code>" in r.text
    assert count_events(settings.database_url, "issues") == 0


async def test_unknown_requests_and_formats(open311: str) -> None:
    async with httpx.AsyncClient() as client:
        r = await client.get(f"{open311}/requests/00000000-0000-0000-0000-000000000000.json")
        assert r.status_code == 404 and "no service request" in r.json()[0]["description"]
        r = await client.get(f"{open311}/services.yaml")
        assert r.status_code == 400 and "json or xml" in r.json()[0]["description"]
        r = await client.get(f"{open311}/requests.json", params={
            "start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"})
        assert r.status_code == 400 and "90 days" in r.json()[0]["description"]



async def test_a_create_retried_with_an_idempotency_key_creates_one_request(
        open311: str, settings: Settings) -> None:
    form = {"api_key": RESIDENT_KEY, "service_code": "environment.garbage",
            "jurisdiction_id": BUILDING, "lat": "25.02", "long": "102.74",
            "description": "垃圾三天没有清运"}
    async with httpx.AsyncClient() as client:
        answers = [await client.post(f"{open311}/requests.json", data=form,
                                     headers={"Idempotency-Key": "311-retry-1"})
                   for _ in range(2)]
    assert [r.status_code for r in answers] == [201, 201], [r.text for r in answers]
    assert answers[0].json()[0]["service_request_id"] == answers[1].json()[0][
        "service_request_id"]
    assert count_events(settings.database_url, "issues") == 2  # raised and triaged, once
