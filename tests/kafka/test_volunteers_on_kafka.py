"""Seed 001's wish flow on the Kafka transport: the volunteers service relays its log, its
read models and its time-bank policy consume from the broker; points are credited once and
the tier roll-ups equal the sums of the events on the topic."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from aiokafka.structs import ConsumerRecord
from cloudevents.v1.kafka import KafkaMessage, from_binary

from shared.settings import Settings
from tests.kafka.helpers import read_topic, relay_for
from tests.utils.huayin import (
    ELDER,
    HUAYUE,
    P1,
    P2,
    STAFF,
    STREET,
    balance,
    form_vanguard,
    member,
    ok,
    post_wish,
    refused,
    register_members,
    volunteers_service,
)
from tests.utils.wait import eventually


async def test_seed_001_wish_flow_on_kafka(kafka_settings: Settings) -> None:
    # Grid's relay brings the tier tree to the volunteers service over Kafka.
    grid_relay = asyncio.create_task(relay_for(kafka_settings, "grid").run())
    try:
        async with volunteers_service(kafka_settings) as svc:
            api = svc.api
            await register_members(api)
            team_id = await form_vanguard(api)
            wishes = [await post_wish(api, key=f"w-{n}") for n in range(2)]
            for n, wish in enumerate(wishes):
                ok(await api.post(f"/v1/wishes/{wish['id']}/dispatch", headers=STAFF,
                                  json={"team_id": team_id}))
                claimer = (P2, P1)[n]
                ok(await api.post(f"/v1/wishes/{wish['id']}/claim", headers=member(claimer)))
                refused(await api.post(f"/v1/wishes/{wish['id']}/claim",
                                       headers=member((P1, P2)[n])), 409, "already claimed")
                svc.clock.advance(timedelta(minutes=30))
                ok(await api.post(f"/v1/wishes/{wish['id']}/fulfil", headers=member(claimer),
                                  json={"hours": (2, 1.5)[n]}))
                ok(await api.post(f"/v1/wishes/{wish['id']}/confirm", headers=ELDER, json={}))

            assert await eventually(lambda: balance(api, P2), lambda b: b == 20,
                                    timeout=60) == 20
            assert await eventually(lambda: balance(api, P1), lambda b: b == 15,
                                    timeout=60) == 15

            # The roll-up at the street equals the sums of the credits on the topic.
            records = await eventually(lambda: read_topic(kafka_settings, "volunteers"),
                                       lambda rs: sum(_type(r) == "gongzhi.account.credited.v1"
                                                      for r in rs) == 2, timeout=60)
            credits = [json.loads(r.value) for r in records
                       if _type(r) == "gongzhi.account.credited.v1"]
            figures = await eventually(
                lambda: api.get(f"/v1/tiers/{STREET}/service", headers=ELDER),
                lambda r: r.json()["wishes_confirmed"] == 2, timeout=60)
            assert figures.json()["points"] == sum(c["points"] for c in credits) == 35
            assert figures.json()["hours"] == sum(c["hours"] for c in credits) == 3.5
            # One wish's events travel in order on one partition, as CloudEvents.
            first = [r for r in records if r.key.decode() == wishes[0]["id"]]
            assert len({r.partition for r in first}) == 1
            assert [_type(r) for r in first] == [
                "gongzhi.wish.posted.v1", "gongzhi.wish.dispatched.v1",
                "gongzhi.wish.claimed.v1", "gongzhi.wish.fulfilled.v1",
                "gongzhi.wish.confirmed.v1"]
            event = from_binary(KafkaMessage(dict(first[0].headers), first[0].key,
                                             first[0].value), data_unmarshaller=json.loads)
            assert event["source"] == "/gongzhi/volunteers" and event["tier"].startswith(HUAYUE)
    finally:
        grid_relay.cancel()
        await asyncio.gather(grid_relay, return_exceptions=True)


def _type(record: ConsumerRecord) -> str:
    return dict(record.headers)["ce_type"].decode()
