"""The time bank (时间银行) over HTTP: accounts and statements, civic acts recorded by staff,
the rewards catalogue, redemptions and gifts."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response
from starlette.concurrency import run_in_threadpool

from services.volunteers.api import schemas as s
from services.volunteers.api.deps import (
    PersonId,
    Pool,
    Volunteers,
    require_live_node,
    require_self_or_staff,
    require_staff,
)
from services.volunteers.domain.account import Reward
from services.volunteers.projections import LEDGER
from shared.errors import Forbidden, NotFound
from shared.eventstore import meta
from shared.http import CurrentPrincipal
from shared.tiers import PATH_PATTERN, subtree_like

router = APIRouter(tags=["time bank (时间银行)"])
IdempotencyKey = Annotated[str | None, Header(max_length=128)]


def _reward(r: Reward) -> s.RewardOut:
    return s.RewardOut(id=str(r.id), node=r.node, code=r.code, name=r.name, kind=r.kind,
                       points=r.points, stock=r.stock)


@router.get("/v1/accounts/{person}", response_model=s.AccountOut, name="get_account")
async def get_account(person: PersonId, who: CurrentPrincipal, app: Volunteers) -> s.AccountOut:
    """The balance as of the last movement (from the account's own events)."""
    account = await run_in_threadpool(app.get_account, person)
    require_self_or_staff(who, person, account.node, "see this account")
    return s.AccountOut(person=person, balance=account.balance, version=account.version)


@router.get("/v1/accounts/{person}/statement", response_model=s.Statement,
            name="account_statement")
async def statement(person: PersonId, who: CurrentPrincipal, pool: Pool,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> s.Statement:
    """Every movement, newest first: credits with their source, redemptions, both sides of
    gifts."""
    account = await pool.fetchrow(f'SELECT * FROM "{LEDGER.schema}".accounts WHERE person = $1',
                                  person)
    if account is None:
        raise NotFound(f"{person} has no time-bank account yet")
    require_self_or_staff(who, person, account["node"], "see this statement")
    rows = await pool.fetch(
        f'SELECT * FROM "{LEDGER.schema}".entries WHERE person = $1 ORDER BY seq DESC '
        f"LIMIT $2", person, limit)
    return s.Statement(
        person=person, balance=account["balance"], earned=account["earned"],
        hours=account["hours"],
        entries=[s.Entry(kind=r["kind"], points=r["points"], balance=r["balance"],
                         hours=r["hours"], source=r["source"], node=r["node"],
                         counterpart=r["counterpart"], reward=r["reward"], reason=r["reason"],
                         at=r["at"].isoformat()) for r in rows])


@router.post("/v1/accounts/{person}/civic-acts", response_model=s.AccountOut,
             name="record_civic_act")
async def civic_act(person: PersonId, body: s.CivicActBody, who: CurrentPrincipal,
                    app: Volunteers, pool: Pool, response: Response,
                    idempotency_key: IdempotencyKey = None) -> s.AccountOut:
    """文明行为积分: staff credit a civic act they witnessed. The same Idempotency-Key
    credits once (200 on the retry)."""
    require_staff(who, body.node, "record civic acts")
    await require_live_node(pool, body.node)
    account, credited = await run_in_threadpool(lambda: app.record_civic_act(
        person=person, points=body.points, node=body.node, reason=body.reason,
        recorder=who.sub, meta=meta(who), idempotency_key=idempotency_key))
    response.status_code = 201 if credited else 200
    return s.AccountOut(person=person, balance=account.balance, version=account.version)


@router.post("/v1/accounts/{person}/redemptions", status_code=201,
             response_model=s.RedemptionOut, name="redeem_reward")
async def redeem(person: PersonId, body: s.RedeemBody, who: CurrentPrincipal,
                 app: Volunteers, response: Response,
                 idempotency_key: IdempotencyKey = None) -> s.RedemptionOut:
    """Points for a reward. Refused (409) beyond the balance, naming it, or when the reward
    is out of stock. The same Idempotency-Key redeems once (200 on the retry)."""
    if who.sub != person:
        raise Forbidden("only the account's holder redeems its points")
    account, reward, made = await run_in_threadpool(
        app.redeem, person, body.reward_id, meta(who), idempotency_key)
    if not made:
        response.status_code = 200
    return s.RedemptionOut(person=person, balance=account.balance, reward=_reward(reward))


@router.post("/v1/accounts/{person}/gifts", status_code=201, response_model=s.AccountOut,
             name="gift_points")
async def gift(person: PersonId, body: s.GiftBody, who: CurrentPrincipal, app: Volunteers,
               response: Response, idempotency_key: IdempotencyKey = None) -> s.AccountOut:
    """Give points to another person; both statements show it."""
    if who.sub != person:
        raise Forbidden("only the account's holder gifts its points")
    account, made = await run_in_threadpool(app.gift, person, body.to, body.points, body.note,
                                            meta(who), idempotency_key)
    if not made:
        response.status_code = 200
    return s.AccountOut(person=person, balance=account.balance, version=account.version)


# -- rewards --------------------------------------------------------------------------------

@router.post("/v1/rewards", status_code=201, response_model=s.RewardOut, name="offer_reward")
async def offer(body: s.RewardBody, who: CurrentPrincipal, app: Volunteers,
                pool: Pool) -> s.RewardOut:
    """A reward in a community's catalogue: goods, a service or an honour, with its stock."""
    require_staff(who, body.node, "offer rewards")
    await require_live_node(pool, body.node)
    return _reward(await run_in_threadpool(lambda: app.offer_reward(
        node=body.node, code=body.code, name=body.name, kind=body.kind, points=body.points,
        stock=body.stock, meta=meta(who))))


@router.get("/v1/rewards/{reward_id}", response_model=s.RewardOut, name="get_reward")
async def get_reward(reward_id: UUID, who: CurrentPrincipal, app: Volunteers) -> s.RewardOut:
    return _reward(await run_in_threadpool(app.get_reward, reward_id))


@router.post("/v1/rewards/{reward_id}/restock", response_model=s.RewardOut,
             name="restock_reward")
async def restock(reward_id: UUID, body: s.RestockBody, who: CurrentPrincipal,
                  app: Volunteers) -> s.RewardOut:
    reward = await run_in_threadpool(app.get_reward, reward_id)
    require_staff(who, reward.node, "restock rewards")
    return _reward(await run_in_threadpool(app.restock_reward, reward_id, body.quantity,
                                           meta(who)))


@router.get("/v1/rewards", response_model=list[s.RewardOut], name="list_rewards")
async def list_rewards(who: CurrentPrincipal, pool: Pool,
                       node: Annotated[str, Query(pattern=PATH_PATTERN)]) -> list[s.RewardOut]:
    """The catalogue offered at `node`, its ancestors (a street's rewards serve its
    communities) and beneath it."""
    rows = await pool.fetch(
        f'SELECT * FROM "{LEDGER.schema}".rewards WHERE node = $1 OR node LIKE $2 '
        f"OR $1 LIKE replace(node, '_', '\\_') || '.%' ORDER BY points, code",
        node, subtree_like(node))
    return [s.RewardOut(id=str(r["id"]), node=r["node"], code=r["code"], name=r["name"],
                        kind=r["kind"], points=r["points"], stock=r["stock"]) for r in rows]
