"""The time bank's commands, which VolunteersApplication inherits: credit points once per
source, redeem rewards, gift points. Two aggregates that change together (an account and a
reward; two accounts) are saved in one transaction, or neither is.

Provided by the Application this is mixed into: `repository`, `save`, `change_and_save`,
`clock`, `_find`, `_get`, `_create`, `find_volunteer`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

from services.volunteers.domain.account import Account, Reward
from services.volunteers.domain.rules import id_for
from shared.clock import Clock
from shared.domain import Meta
from shared.errors import Conflict, NotFound

log = logging.getLogger("gongzhi.volunteers.bank")
ACCOUNT_SNAPSHOT_EVERY = 50


class BankCommands:
    clock: Clock
    change_and_save: Callable[..., Any]
    take_snapshot: Callable[..., Any]
    _find: Callable[[UUID], Any]
    _get: Callable[[UUID, str], Any]
    _create: Callable[[Any, str], None]
    find_volunteer: Callable[[str], Any]

    def credit(self, *, person: str, source: str, source_id: str, points: int, hours: float,
               node: str, team: dict[str, str] | None, reason: str,
               meta: Meta) -> tuple[Account, bool]:
        """Credit a source's points to a person's account, opening it on the first credit.
        Returns the account and whether anything was credited (False: already was)."""
        def load() -> Account:
            return self._find(Account.id_for(person)) or Account.open(person, node, meta)

        account, credited = self.change_and_save(load, lambda a: a.credit(
            source, source_id, points, hours, node, team, reason, self.clock.now(), meta),
            f"the account of {person}", attempts=10)
        if credited:
            self._snapshot_if_due(account, 2 if account.version <= 2 else 1)
        return account, credited

    def record_civic_act(self, *, person: str, points: int, node: str, reason: str,
                         recorder: str, meta: Meta,
                         idempotency_key: str | None = None) -> tuple[Account, bool]:
        """文明行为积分: staff record a civic act; the same request key credits once."""
        act = (str(id_for("civic_act", recorder, idempotency_key)) if idempotency_key
               else str(uuid4()))
        return self.credit(person=person, source="civic_act", source_id=act, points=points,
                           hours=0, node=node, team=None, reason=reason, meta=meta)

    def get_account(self, person: str) -> Account:
        return self._get(Account.id_for(person), f"{person} has no time-bank account yet")

    # -- rewards --------------------------------------------------------------------------

    def offer_reward(self, *, node: str, code: str, name: str, kind: str, points: int,
                     stock: int, meta: Meta) -> Reward:
        reward = Reward.offer(node=node, code=code, name=name, kind=kind, points=points,
                              stock=stock, at=self.clock.now(), meta=meta)
        self._create(reward, f"a reward '{code}' is already offered at '{node}'")
        return reward

    def restock_reward(self, reward_id: UUID, quantity: int, meta: Meta) -> Reward:
        reward, _ = self.change_and_save(
            lambda: self.get_reward(reward_id),
            lambda r: r.restock(quantity, self.clock.now(), meta), "the reward")
        return reward

    def get_reward(self, reward_id: UUID) -> Reward:
        return self._get(reward_id, f"no reward {reward_id}")

    def redeem(self, person: str, reward_id: UUID, meta: Meta,
               idempotency_key: str | None = None) -> tuple[Account, Reward, bool]:
        """Points for a reward: the account is debited and the stock taken in one
        transaction. A retry with the same key finds the redemption it made (False)."""
        redemption = (str(id_for("redemption", person, idempotency_key)) if idempotency_key
                      else str(uuid4()))
        reward = self.get_reward(reward_id)
        if self._find(Account.id_for(person)) is None:
            raise Conflict(f"cannot redeem '{reward.name}' for {reward.points} points: the "
                           f"balance of {person} is 0 points", balance=0, needed=reward.points)

        def redeem(pair: tuple[Account, Reward]) -> bool:
            account, reward = pair
            if account.made(redemption, f"reward:{reward.id}"):
                return False
            now = self.clock.now()
            account.redeem(redemption, reward, now, meta)
            reward.hand_out(redemption, person, now, meta)
            return True

        (account, reward), made = self.change_and_save(
            lambda: (self.get_account(person), self.get_reward(reward_id)), redeem,
            f"the account of {person}", attempts=10)
        if made:
            self._snapshot_if_due(account, 1)
        return account, reward, made

    def gift(self, person: str, to: str, points: int, note: str, meta: Meta,
             idempotency_key: str | None = None) -> tuple[Account, bool]:
        """Points from one person's account to another's (opened if they had none); both
        sides in one transaction. The recipient must be someone the time bank knows."""
        gift = (str(id_for("gift", person, idempotency_key)) if idempotency_key
                else str(uuid4()))
        if self._find(Account.id_for(person)) is None:
            raise Conflict(f"cannot gift {points} points: the balance of {person} is 0 points",
                           balance=0, needed=points)
        recipient = self._find(Account.id_for(to))
        if recipient is None and self.find_volunteer(to) is None:
            raise NotFound(f"'{to}' has neither a time-bank account nor a volunteer "
                           "registration; points go to someone the time bank knows", to=to)

        def load() -> tuple[Account, Account]:
            sender = self.get_account(person)
            home = self.find_volunteer(to)
            return sender, (self._find(Account.id_for(to))
                            or Account.open(to, home.home if home else sender.node, meta))

        def give(pair: tuple[Account, Account]) -> bool:
            sender, recipient = pair
            if sender.made(gift, f"gift:{to}:{points}"):
                return False
            sender.give(gift, recipient, points, note, self.clock.now(), meta)
            return True

        (sender, recipient), made = self.change_and_save(load, give,
                                                         f"the account of {person}", attempts=10)
        if made:
            self._snapshot_if_due(sender, 1)
            self._snapshot_if_due(recipient, 2 if recipient.version <= 2 else 1)
        return sender, made

    def _snapshot_if_due(self, account: Account, new_events: int) -> None:
        """A snapshot when this save's events crossed a multiple of the interval; the next
        load starts from it. A snapshot is only a cache: failing to take one loses nothing."""
        first = account.version - new_events + 1
        if any(v % ACCOUNT_SNAPSHOT_EVERY == 0 for v in range(first, account.version + 1)):
            try:
                self.take_snapshot(account.id, version=account.version)
            except Exception:  # the command committed; the next load just replays more
                log.warning("no snapshot of account %s at %d", account.person,
                            account.version, exc_info=True)
