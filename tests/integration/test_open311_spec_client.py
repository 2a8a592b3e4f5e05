"""An Open311 client written from the GeoReport v2 spec (http://wiki.open311.org/GeoReport_v2)
with nothing but httpx: it finds the endpoint through discovery, reads service definitions,
creates requests with attributes, reads them back by id, token and query, and meets every
error status the spec names (400, 403, 404) in the spec's error list. Nothing of the
project's is used to talk to the server; the api_key is minted as `gongzhi token` would."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import httpx

from shared.auth import mint
from shared.settings import Settings
from tests.conftest import JWT_SECRET
from tests.integration.test_open311 import open311  # noqa: F401 - the served endpoint
from tests.utils.store import count_events, stored_events

BUILDING = "km.guandu.taihe.heping.g03.y017.b02"
OTHER_COMMUNITY = "km.guandu.taihe.minhang"
KEY = mint(JWT_SECRET, sub="r-spec", role="resident", scope="km.guandu")
LIFT = "public_affairs.elevator"
NOISE = "commerce.noise"


def _form(**extra: str) -> dict[str, str]:
    return {"api_key": KEY, "jurisdiction_id": BUILDING, "lat": "25.02", "long": "102.74",
            "description": "电梯停在7楼不动了", **extra}


async def test_a_spec_client_discovers_creates_and_reads(open311: str,  # noqa: F811
                                                         settings: Settings) -> None:
    root = open311.removesuffix("/v2")
    async with httpx.AsyncClient() as http:
        found = (await http.get(f"{root}/discovery.json")).json()
        assert set(found) >= {"changeset", "contact", "key_service", "endpoints"}
        [endpoint] = found["endpoints"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["type"] == "production" and endpoint["url"] == open311
        assert set(endpoint["formats"]) == {"application/json", "text/xml"}
        xml = ET.fromstring((await http.get(f"{root}/discovery.xml")).text)
        assert xml.findtext("endpoints/endpoint/specification") == endpoint["specification"]
        assert [f.text for f in xml.findall("endpoints/endpoint/formats/format")] == \
            endpoint["formats"]
        base = endpoint["url"]

        services = (await http.get(f"{base}/services.json",
                                   params={"jurisdiction_id": BUILDING})).json()
        by_code = {s["service_code"]: s for s in services}
        assert by_code[LIFT]["metadata"] is True and by_code[NOISE]["metadata"] is True
        assert by_code["environment.garbage"]["metadata"] is False

        lift = (await http.get(f"{base}/services/{LIFT}.json")).json()
        assert lift["service_code"] == LIFT
        floor, trapped = lift["attributes"]
        assert floor["code"] == "floor" and floor["datatype"] == "number"
        assert floor["required"] is True and floor["variable"] is True and floor["order"] == 1
        assert trapped["datatype"] == "singlevaluelist"
        assert {v["key"] for v in trapped["values"]} == {"yes", "no"}
        lift_xml = ET.fromstring((await http.get(f"{base}/services/{LIFT}.xml")).text)
        assert [a.findtext("code") for a in lift_xml.findall("attributes/attribute")] == \
            ["floor", "trapped"]
        assert lift_xml.findtext("attributes/attribute/required") == "true"
        assert [k.text for k in lift_xml.findall(
            "attributes/attribute[code='trapped']/values/value/key")] == ["yes", "no"]

        made = await http.post(f"{base}/requests.json", data=_form(
            service_code=LIFT, **{"attribute[floor]": "7", "attribute[trapped]": "yes"}))
        assert made.status_code == 201, made.text
        [created] = made.json()
        request_id = created["service_request_id"]
        noisy = await http.post(f"{base}/requests.json", data={
            **_form(service_code=NOISE, description="楼下烧烤店每晚吵"),
            "attribute[severity]": "3", "attribute[time_of_day][]": ["evening", "night"]})
        assert noisy.status_code == 201, noisy.text

        [read] = (await http.get(f"{base}/requests/{request_id}.json")).json()
        assert read["service_code"] == LIFT and read["status"] == "open"
        assert read["attributes"] == [{"code": "floor", "value": 7},
                                      {"code": "trapped", "value": "yes"}]
        read_xml = ET.fromstring((await http.get(f"{base}/requests/{request_id}.xml")).text)
        assert read_xml.findtext("request/service_request_id") == request_id
        assert [(a.findtext("code"), a.findtext("value"))
                for a in read_xml.findall("request/attributes/attribute")] == \
            [("floor", "7"), ("trapped", "yes")]

        assert (await http.get(f"{base}/tokens/{request_id}.json")).json() == [
            {"service_request_id": request_id, "token": request_id}]
        listed = (await http.get(f"{base}/requests.json", params={
            "jurisdiction_id": "km.guandu.taihe.heping", "status": "open",
            "service_code": f"{LIFT},{NOISE}"})).json()
        assert {r["service_code"] for r in listed} == {LIFT, NOISE}
        noise = next(r for r in listed if r["service_code"] == NOISE)
        assert noise["attributes"] == [{"code": "severity", "value": "3"},
                                       {"code": "time_of_day", "value": ["evening", "night"]}]
        assert (await http.get(f"{base}/requests.json", params={
            "jurisdiction_id": OTHER_COMMUNITY})).json() == []
        elsewhere = await http.get(f"{base}/requests/{request_id}.json",
                                   params={"jurisdiction_id": OTHER_COMMUNITY})
        assert elsewhere.status_code == 404

    # The answers are stored with the request: on the Raised event.
    raised = [json.loads(state) for *_, topic, state
              in stored_events(settings.database_url, "issues")
              if topic == "gongzhi.issue.raised.v1"]
    assert {"floor": 7, "trapped": "yes"} in [r.get("attributes") for r in raised]

LIFT_OK = {"service_code": LIFT, "attribute[floor]": "7", "attribute[trapped]": "no"}


REFUSALS = [
    ({k: v for k, v in _form(**LIFT_OK).items() if k != "api_key"}, 403, "api_key"),
    (_form(**LIFT_OK, api_key="not-a-token"), 403, "api_key is not valid"),
    (_form(**LIFT_OK, api_key=mint("another-secret", sub="x", role="resident",
                                   scope="km")), 403, "api_key is not valid"),
    (_form(**LIFT_OK, jurisdiction_id="km.guandu.nowhere"), 404, "jurisdiction_id"),
    (_form(**LIFT_OK, jurisdiction_id="Not A Path!"), 404, "jurisdiction_id"),
    (_form(**{**LIFT_OK, "service_code": "weather.rain"}), 404, "not offered"),
    (_form(service_code=LIFT, **{"attribute[trapped]": "no"}), 400, "'floor' is required"),
    (_form(service_code=LIFT, **{"attribute[floor]": "seventh", "attribute[trapped]": "no"}),
     400, "'floor' is a number"),
    (_form(service_code=LIFT, **{"attribute[floor]": "7", "attribute[trapped]": "maybe"}),
     400, "'trapped' is one of yes, no"),
    (_form(**LIFT_OK, **{"attribute[colour]": "red"}), 400, "no attribute 'colour'"),
    (_form(service_code=LIFT, lat="91", **{k: v for k, v in LIFT_OK.items()
                                           if k != "service_code"}), 400, "out of range"),
]


async def test_every_refusal_is_the_specs_and_writes_nothing(
        open311: str, settings: Settings) -> None:  # noqa: F811
    async with httpx.AsyncClient() as http:
        for form, status, words in REFUSALS:
            for fmt in ("json", "xml"):
                r = await http.post(f"{open311}/requests.{fmt}", data=form)
                assert r.status_code == status, (words, r.text)
                if fmt == "json":
                    [error] = r.json()
                    assert error["code"] == status and words in error["description"]
                else:
                    error = ET.fromstring(r.text).find("error")
                    assert error is not None and error.findtext("code") == str(status)
                    assert words in (error.findtext("description") or "")
    assert count_events(settings.database_url, "issues") == 0


async def test_an_unknown_jurisdiction_is_404_on_every_read(open311: str) -> None:  # noqa: F811
    async with httpx.AsyncClient() as http:
        for path in ("services.json", f"services/{LIFT}.json", "requests.json",
                     "requests/00000000-0000-0000-0000-000000000000.json",
                     "tokens/00000000-0000-0000-0000-000000000000.json"):
            r = await http.get(f"{open311}/{path}", params={"jurisdiction_id": "km.atlantis"})
            assert r.status_code == 404, path
            assert "jurisdiction_id" in r.json()[0]["description"]
        known = await http.get(f"{open311}/services.json", params={"jurisdiction_id": "km"})
        assert known.status_code == 200
        for path in ("services/weather.rain.json", "requests/not-an-id.json",
                     "requests/00000000-0000-0000-0000-000000000000.json",
                     "tokens/00000000-0000-0000-0000-000000000000.json"):
            r = await http.get(f"{open311}/{path}")
            assert r.status_code == 404, path
            assert r.json()[0]["code"] == 404
