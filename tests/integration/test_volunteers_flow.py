"""Seed 001's wish flow on the real PostgreSQL, in-process: 群众点单 → 社区派单 → 党员接单 →
fulfilled → confirmed → points, once; a reward redeemed, an overdraft refused, a gift, and the
books balanced."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import psycopg
import pytest

from services.volunteers.reactions import SERVICE
from shared.bus.envelope import from_stored
from shared.settings import Settings
from tests.utils.huayin import (
    ELDER,
    HUAYUE,
    P1,
    P2,
    STAFF,
    STREET,
    UNIT,
    ZHHSC,
    Service,
    balance,
    form_vanguard,
    member,
    ok,
    post_wish,
    refused,
    register_members,
    volunteers_service,
)
from tests.utils.reactions import react
from tests.utils.store import count_events, stored_events
from tests.utils.wait import eventually


@pytest.fixture
async def svc(settings: Settings) -> AsyncIterator[Service]:
    async with volunteers_service(settings) as s:
        yield s


async def test_seed_001_wish_flow_end_to_end(svc: Service, settings: Settings) -> None:
    api = svc.api
    await register_members(api)
    team_id = await form_vanguard(api)
    wish = await post_wish(api)
    assert wish["status"] == "posted" and wish["community"] == HUAYUE

    # 社区派单 to the vanguard team; 党员接单: one claim wins, the second is refused.
    assert ok(await api.post(f"/v1/wishes/{wish['id']}/dispatch", headers=STAFF,
                             json={"team_id": team_id}))["status"] == "dispatched"
    claimed = ok(await api.post(f"/v1/wishes/{wish['id']}/claim", headers=member(P2)))
    assert (claimed["status"], claimed["claimer"]) == ("claimed", P2)
    refused(await api.post(f"/v1/wishes/{wish['id']}/claim", headers=member(P1)), 409,
            "already claimed", P2)

    svc.clock.advance(timedelta(hours=3))
    ok(await api.post(f"/v1/wishes/{wish['id']}/fulfil", headers=member(P2),
                      json={"hours": 2, "note": "换了新龙头"}))
    assert ok(await api.post(f"/v1/wishes/{wish['id']}/confirm", headers=ELDER,
                             json={"note": "谢谢小赵"}))["status"] == "confirmed"
    # Confirming again is refused and credits nothing more.
    refused(await api.post(f"/v1/wishes/{wish['id']}/confirm", headers=ELDER, json={}), 409,
            "confirmed")

    # The time bank credits 2 hours × 10 points, once, even when the confirmation is handed
    # to the policy a second time (a crash between the credit and the stored position).
    assert await eventually(lambda: balance(api, P2), lambda b: b == 20) == 20
    (confirmed,) = [e for e in stored_events(settings.database_url, "volunteers")
                    if e[2] == "gongzhi.wish.confirmed.v1"]
    await react(settings.database_url, SERVICE.bind(svc.app.state.application),
                [from_stored("volunteers", *confirmed)])
    assert ok(await api.get(f"/v1/accounts/{P2}", headers=member(P2)))["balance"] == 20

    # A reward from the community's catalogue; a retry with the same key redeems once.
    reward = ok(await api.post("/v1/rewards", headers=STAFF, json={
        "node": HUAYUE, "code": "rice-5kg", "name": "大米5公斤", "kind": "goods", "points": 15,
        "stock": 3}), 201)
    redeem = {"reward_id": reward["id"]}
    key = {"Idempotency-Key": "redeem-1"}
    first = ok(await api.post(f"/v1/accounts/{P2}/redemptions", headers=member(P2) | key,
                              json=redeem), 201)
    assert (first["balance"], first["reward"]["stock"]) == (5, 2)
    again = ok(await api.post(f"/v1/accounts/{P2}/redemptions", headers=member(P2) | key,
                              json=redeem))
    assert (again["balance"], again["reward"]["stock"]) == (5, 2)

    # Beyond the balance: refused, naming it, and nothing written.
    before = count_events(settings.database_url, "volunteers")
    problem = refused(await api.post(f"/v1/accounts/{P2}/redemptions", json=redeem,
                                     headers=member(P2) | {"Idempotency-Key": "redeem-2"}),
                      409, "balance", "is 5 points")
    assert problem["balance"] == 5
    assert count_events(settings.database_url, "volunteers") == before

    # A gift moves points; both statements show it.
    ok(await api.post(f"/v1/accounts/{P2}/gifts", headers=member(P2),
                      json={"to": P1, "points": 5, "note": "请李哥喝茶"}), 201)
    giver = await eventually(lambda: api.get(f"/v1/accounts/{P2}/statement",
                                             headers=member(P2)),
                             lambda r: r.json()["balance"] == 0)
    assert [(e["kind"], e["points"]) for e in giver.json()["entries"]] == [
        ("gift_sent", -5), ("redemption", -15), ("credit", 20)]
    assert giver.json()["entries"][0]["counterpart"] == P1
    taker = await eventually(lambda: api.get(f"/v1/accounts/{P1}/statement",
                                             headers=member(P1)),
                             lambda r: r.status_code == 200 and r.json()["balance"] == 5)
    assert [(e["kind"], e["points"], e["counterpart"]) for e in taker.json()["entries"]] == [
        ("gift_received", 5, P2)]

    # Roll-ups: the unit's service counts at its compound, community and street; the team's.
    for node in (UNIT, ZHHSC, HUAYUE, STREET):
        figures = ok(await api.get(f"/v1/tiers/{node}/service", headers=ELDER))
        assert (figures["hours"], figures["points"], figures["wishes_posted"],
                figures["wishes_claimed"], figures["wishes_confirmed"]) == (2, 20, 1, 1, 1)
        assert figures["median_minutes_to_claim"] == 0
    team = ok(await api.get(f"/v1/teams/{team_id}/service", headers=ELDER))
    assert (team["hours"], team["points"]) == (2, 20)
    board = ok(await api.get(f"/v1/tiers/{HUAYUE}/leaderboard", headers=ELDER))
    assert [(r["rank"], r["person"], r["name"], r["points"]) for r in board["items"]] == [
        (1, P2, "赵敏", 20)]

    # 双报到: the community sees both members, by kind and organisation; so does the employer.
    seen = ok(await api.get(f"/v1/tiers/{HUAYUE}/registrations", headers=STAFF))
    assert seen["by_kind"] == {"in_service_party_member": 2}
    assert seen["by_organisation"] == {"hy-tax": 2} and seen["party_members"] == 2
    employer = ok(await api.get("/v1/organisations/hy-tax/members", headers=STAFF))
    assert {i["person"] for i in employer["items"]} == {P1, P2}


async def test_the_books_balance(svc: Service, settings: Settings) -> None:
    """Double entry: every point credited is either still in a balance or was debited."""
    api = svc.api
    await register_members(api)
    for n, person in enumerate((P1, P2, P1)):
        ok(await api.post(f"/v1/accounts/{person}/civic-acts", json={
            "points": 10 + n, "node": ZHHSC, "reason": "劝阻高空抛物"},
            headers=STAFF | {"Idempotency-Key": f"civic-{n}"}), 201)
    ok(await api.post(f"/v1/accounts/{P1}/gifts", headers=member(P1),
                      json={"to": P2, "points": 7}), 201)
    pool = svc.app.state.pool
    await eventually(lambda: pool.fetchval(
        "SELECT count(*) FROM volunteers_ledger.entries"), lambda n: n == 5)
    credits = await pool.fetchval(
        "SELECT sum(points) FROM volunteers_ledger.entries WHERE points > 0")
    debits = await pool.fetchval(
        "SELECT -sum(points) FROM volunteers_ledger.entries WHERE points < 0")
    balances = await pool.fetchval("SELECT sum(balance) FROM volunteers_ledger.accounts")
    assert (credits, debits, balances) == (40, 7, 33)
    assert credits == debits + balances
    app = svc.app.state.application
    assert app.get_account(P1).balance + app.get_account(P2).balance == balances


async def test_an_account_is_loaded_from_its_snapshot_with_every_key_it_credited(
        settings: Settings) -> None:
    """Past 50 events an account is snapshotted; an Application opened afresh loads it from
    the snapshot, with its balance and the keys it credited (a redelivery still credits
    nothing)."""
    from services.volunteers.application import VolunteersApplication
    from shared.eventstore import open_application

    meta = {"actor": {"sub": "t", "role": "admin", "name": ""}}
    app = open_application(VolunteersApplication, settings.database_url)
    try:
        for n in range(120):
            app.credit(person=P1, source="civic_act", source_id=f"a-{n}", points=1, hours=0,
                       node=ZHHSC, team=None, reason="", meta=meta)
    finally:
        app.close()
    with psycopg.connect(settings.database_url) as conn:
        versions = [r[0] for r in conn.execute(
            "SELECT originator_version FROM volunteers.volunteers_snapshots ORDER BY 1")]
    assert versions == [50, 100]
    again = open_application(VolunteersApplication, settings.database_url)
    try:
        account = again.get_account(P1)
        assert (account.version, account.balance, len(account.credited)) == (121, 120, 120)
        _, credited = again.credit(person=P1, source="civic_act", source_id="a-7", points=1,
                                   hours=0, node=ZHHSC, team=None, reason="", meta=meta)
        assert not credited
    finally:
        again.close()


async def test_a_disputed_wish_reopened_earns_only_the_confirmed_service(svc: Service) -> None:
    api = svc.api
    await register_members(api)
    team_id = await form_vanguard(api)
    wish = await post_wish(api)
    url = f"/v1/wishes/{wish['id']}"
    ok(await api.post(f"{url}/dispatch", headers=STAFF, json={"team_id": team_id}))
    ok(await api.post(f"{url}/claim", headers=member(P1)))
    ok(await api.post(f"{url}/fulfil", headers=member(P1), json={"hours": 3}))
    ok(await api.post(f"{url}/dispute", headers=ELDER, json={"reason": "还是漏水"}))
    refused(await api.post(f"{url}/reopen", headers=member(P1), json={"reason": "r"}), 403,
            "community staff")
    assert ok(await api.post(f"{url}/reopen", headers=STAFF,
                             json={"reason": "换人再修"}))["status"] == "dispatched"
    ok(await api.post(f"{url}/claim", headers=member(P2)))
    ok(await api.post(f"{url}/fulfil", headers=member(P2), json={"hours": 1}))
    ok(await api.post(f"{url}/confirm", headers=ELDER, json={}))
    assert await eventually(lambda: balance(api, P2), lambda b: b == 10) == 10
    assert await balance(api, P1) is None  # the disputed service earned nothing
