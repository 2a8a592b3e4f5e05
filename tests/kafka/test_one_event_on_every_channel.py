"""A department hears of a whistle three ways; the stock CloudEvents SDK reads the Kafka
message, the webhook body and the SSE message of the same event into the same attributes
(`departments` included) and the same data."""

from __future__ import annotations

import json

from cloudevents.v1.http import from_http
from cloudevents.v1.kafka import KafkaMessage, from_binary

from services.grid.bootstrap import create_app
from shared.settings import Settings
from tests.integration.test_subscriptions import _next_event
from tests.kafka.helpers import read_topic
from tests.utils.city import register_small_city
from tests.utils.receiver import Receiver
from tests.utils.serve import serve_http
from tests.utils.wait import eventually
from tests.utils.whistles import ADMIN, DEPARTMENTS, POLICE, STREET


async def test_kafka_webhook_and_sse_carry_the_same_cloudevent(
        kafka_settings: Settings) -> None:
    settings = kafka_settings.model_copy(update={"webhook_allow_hosts": "127.0.0.1"})
    register_small_city(settings.database_url)
    receiver = Receiver()
    try:
        async with serve_http(create_app(settings)) as grid:
            for d in DEPARTMENTS:
                assert (await grid.post("/v1/departments", json=d, headers=ADMIN)).is_success
            await eventually(lambda: grid.get("/v1/auth/me", headers=POLICE),
                             lambda r: r.status_code == 200, timeout=60)
            r = await grid.post("/v1/departments/km-gaj/webhooks", json={"url": receiver.url},
                                headers=POLICE)
            assert r.status_code == 201, r.text
            await eventually(lambda: grid.get("/v1/departments/km-gaj/webhooks",
                                              headers=POLICE),
                             lambda r: [h["url"] for h in r.json()] == [receiver.url],
                             timeout=60)
            async with grid.stream("GET", "/v1/departments/km-gaj/stream",
                                   headers=POLICE) as stream:
                lines = stream.aiter_lines()
                assert await anext(lines) == ": connected"
                r = await grid.post("/v1/whistles", headers=STREET, json={
                    "node": "km.guandu.taihe", "situation": "law_enforcement",
                    "title": "联合执法", "departments": ["km-cgj", "km-gaj"]})
                assert r.status_code == 201, r.text
                whistle = r.json()["id"]
                sse = await _next_event(lines)
            await eventually(_got(receiver), lambda n: n >= 1, timeout=60)
    finally:
        receiver.close()

    [record] = [m for m in await read_topic(settings, "grid")
                if m.key == whistle.encode()
                and dict(m.headers)["ce_type"] == b"gongzhi.whistle.blown.v1"]
    kafka = from_binary(KafkaMessage(headers=dict(record.headers), key=record.key,
                                     value=record.value), data_unmarshaller=json.loads)
    [posted] = receiver.got
    assert posted.headers["Content-Type"].startswith("application/cloudevents+json")
    webhook = from_http(posted.headers, posted.body)
    assert sse["event"] == "gongzhi.whistle.blown.v1"
    streamed = from_http({"content-type": "application/cloudevents+json"}, sse["data"])

    from_kafka = {k: v for k, v in kafka.get_attributes().items() if k != "partitionkey"}
    assert from_kafka == webhook.get_attributes() == streamed.get_attributes()
    assert kafka.data == webhook.data == streamed.data
    assert from_kafka["departments"] == "km-cgj,km-gaj"
    assert from_kafka["subject"] == whistle and from_kafka["seq"] == "1"
    assert from_kafka["tier"] == "km.guandu.taihe" and kafka.data["title"] == "联合执法"

    # The hook's registration has a `department` field and is on the same topic: it
    # concerns no department's work, so it carries no `departments` to filter on.
    registered = [m for m in await read_topic(settings, "grid")
                  if dict(m.headers)["ce_type"] == b"gongzhi.department.webhook_registered.v1"]
    assert registered and all("ce_departments" not in dict(m.headers) for m in registered)


def _got(receiver: Receiver):
    async def count() -> int:
        return len(receiver.got)
    return count
