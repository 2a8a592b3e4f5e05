"""The time bank (时间银行): one account per person, and the rewards points buy.

Every movement is an event on the account, so a balance is derived from events and a
statement is the account's history. Each source of points (a confirmed wish, an attended
activity, a resolved team issue, a civic act) has a key, and the account remembers the keys
it credited: the same source handed over twice, or retried after a crash, credits nothing
new. Redemptions and gifts carry the id of the request that made them, so a retried request
finds the movement it already made. A balance never goes below zero, nor a reward's stock.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.volunteers.domain.rules import MAX_HOURS, id_for, is_code, is_person
from shared.domain import Meta, TieredAggregate
from shared.errors import Conflict, IllegalTransition, Invalid

SOURCES = ("wish", "activity", "team_issue", "probe_report", "civic_act")
REWARD_KINDS = ("goods", "service", "honour")


class Account(TieredAggregate):
    TOPIC = "gongzhi.account"

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.account.created.v1"  # required by eventsourcing; never emitted

    @staticmethod
    def id_for(person: str) -> UUID:
        return id_for("account", person)

    @classmethod
    def open(cls, person: str, node: str, meta: Meta) -> Account:
        if not is_person(person):
            raise Invalid(f"'{person}' is not a person id", field="person")
        return cls(id=cls.id_for(person), person=person, node=node, tier=node, meta=meta)

    @event("Opened", topic="gongzhi.account.opened.v1")
    def __init__(self, *, id: UUID, person: str, node: str, tier: str, meta: Meta) -> None:
        self.person = person
        self.node = node
        self.balance = 0
        self.credited: list[str] = []  # source keys already credited
        # Redemptions and gifts already made: their id, and what they were ("reward:<id>",
        # "gift:<to>:<points>"), so a retry with the same request id is recognised, and a
        # different request reusing it is told so.
        self.movements: dict[str, str] = {}

    # -- commands -------------------------------------------------------------------------

    def credit(self, source: str, source_id: str, points: int, hours: float, node: str,
               team: dict[str, str] | None, reason: str, at: datetime, meta: Meta) -> bool:
        """Points earned; False (and nothing stored) when this source was credited before."""
        if source not in SOURCES:
            raise Invalid(f"a source of points is one of {', '.join(SOURCES)}", field="source")
        if points <= 0:
            raise Invalid("points earned are more than 0", field="points")
        if not 0 <= hours <= MAX_HOURS:
            raise Invalid(f"hours are between 0 and {MAX_HOURS:g}", field="hours")
        key = f"{source}:{source_id}"
        if key in self.credited:
            return False
        self._credited(person=self.person, source=source, source_id=source_id, points=points,
                       hours=hours, node=node, team=team, reason=reason,
                       balance=self.balance + points, at=at.isoformat(), tier=node, meta=meta)
        return True

    def made(self, movement_id: str, what: str) -> bool:
        """Was this movement made already? Refuses an id made for something else."""
        earlier = self.movements.get(movement_id)
        if earlier is None:
            return False
        if earlier != what:
            raise Conflict("this Idempotency-Key was already used for a different request "
                           f"({earlier})", earlier=earlier)
        return True

    def redeem(self, redemption_id: str, reward: Reward, at: datetime, meta: Meta) -> None:
        self._require_funds(reward.points, f"redeem '{reward.name}'")
        self._redeemed(person=self.person, redemption_id=redemption_id,
                       reward_id=str(reward.id), reward=reward.name, points=reward.points,
                       balance=self.balance - reward.points, at=at.isoformat(),
                       tier=reward.node, meta=meta)

    def give(self, gift_id: str, to: Account, points: int, note: str, at: datetime,
             meta: Meta) -> None:
        """A gift is two events in one transaction: sent from this account, received by
        the other."""
        if to.person == self.person:
            raise Invalid("points are gifted to someone else", field="to")
        if points <= 0:
            raise Invalid("gift more than 0 points", field="points")
        self._require_funds(points, f"gift {points} points")
        self._gift_sent(person=self.person, gift_id=gift_id, to=to.person, points=points,
                        note=note, balance=self.balance - points, at=at.isoformat(),
                        tier=self.node, meta=meta)
        to._gift_received(person=to.person, gift_id=gift_id, sender=self.person,
                          points=points, note=note, balance=to.balance + points,
                          at=at.isoformat(), tier=to.node, meta=meta)

    def _require_funds(self, points: int, doing: str) -> None:
        if points > self.balance:
            raise Conflict(f"cannot {doing} for {points} points: the balance of "
                           f"{self.person} is {self.balance} points",
                           balance=self.balance, needed=points)

    # -- events ---------------------------------------------------------------------------

    @event("Credited", topic="gongzhi.account.credited.v1")
    def _credited(self, person: str, source: str, source_id: str, points: int, hours: float,
                  node: str, team: dict[str, str] | None, reason: str, balance: int, at: str,
                  tier: str, meta: Meta) -> None:
        self.balance += points
        self.credited.append(f"{source}:{source_id}")

    @event("Redeemed", topic="gongzhi.account.redeemed.v1")
    def _redeemed(self, person: str, redemption_id: str, reward_id: str, reward: str,
                  points: int, balance: int, at: str, tier: str, meta: Meta) -> None:
        self.balance -= points
        self.movements[redemption_id] = f"reward:{reward_id}"

    @event("GiftSent", topic="gongzhi.account.gift_sent.v1")
    def _gift_sent(self, person: str, gift_id: str, to: str, points: int, note: str,
                   balance: int, at: str, tier: str, meta: Meta) -> None:
        self.balance -= points
        self.movements[gift_id] = f"gift:{to}:{points}"

    @event("GiftReceived", topic="gongzhi.account.gift_received.v1")
    def _gift_received(self, person: str, gift_id: str, sender: str, points: int, note: str,
                       balance: int, at: str, tier: str, meta: Meta) -> None:
        self.balance += points


class Reward(TieredAggregate):
    """One item of a community's rewards catalogue: goods, a service or an honour, for a
    price in points, with a stock that never goes below zero."""

    TOPIC = "gongzhi.reward"

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.reward.created.v1"  # required by eventsourcing; never emitted

    @staticmethod
    def id_for(node: str, code: str) -> UUID:
        return id_for("reward", node, code)

    @classmethod
    def offer(cls, *, node: str, code: str, name: str, kind: str, points: int, stock: int,
             at: datetime, meta: Meta) -> Reward:
        if not is_code(code):
            raise Invalid(f"'{code}' is not a reward code", field="code")
        if not name.strip():
            raise Invalid("a reward needs a name", field="name")
        if kind not in REWARD_KINDS:
            raise Invalid(f"a reward's kind is one of {', '.join(REWARD_KINDS)}", field="kind")
        if points <= 0:
            raise Invalid("a reward costs more than 0 points", field="points")
        if stock < 0:
            raise Invalid("stock is 0 or more", field="stock")
        return cls(id=cls.id_for(node, code), node=node, code=code, name=name.strip(),
                   kind=kind, points=points, stock=stock, at=at.isoformat(), tier=node,
                   meta=meta)

    @event("Listed", topic="gongzhi.reward.listed.v1")
    def __init__(self, *, id: UUID, node: str, code: str, name: str, kind: str, points: int,
                 stock: int, at: str, tier: str, meta: Meta) -> None:
        self.node = node
        self.code = code
        self.name = name
        self.kind = kind
        self.points = points
        self.stock = stock

    def restock(self, quantity: int, at: datetime, meta: Meta) -> None:
        if quantity <= 0:
            raise Invalid("restock by 1 or more", field="quantity")
        self._restocked(quantity=quantity, stock=self.stock + quantity, at=at.isoformat(),
                        tier=self.node, meta=meta)

    def hand_out(self, redemption_id: str, person: str, at: datetime, meta: Meta) -> None:
        if self.stock <= 0:
            raise IllegalTransition(f"'{self.name}' is out of stock", stock=self.stock)
        self._handed_out(redemption_id=redemption_id, person=person, stock=self.stock - 1,
                         at=at.isoformat(), tier=self.node, meta=meta)

    @event("Restocked", topic="gongzhi.reward.restocked.v1")
    def _restocked(self, quantity: int, stock: int, at: str, tier: str, meta: Meta) -> None:
        self.stock = stock

    @event("HandedOut", topic="gongzhi.reward.handed_out.v1")
    def _handed_out(self, redemption_id: str, person: str, stock: int, at: str, tier: str,
                    meta: Meta) -> None:
        self.stock = stock
