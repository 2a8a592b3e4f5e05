"""A resident's wish (心愿单): 群众点单、社区派单、党员接单.

posted ─► dispatched to a team, or opened for claiming ─► claimed by one volunteer ─►
fulfilled with the hours spent ─► confirmed (or disputed) by the resident who posted it;
a disputed wish may be sent out again by the community.
A wish still unclaimed when its date has passed is flagged to its community, once.
Points are not this aggregate's business: the time bank credits a confirmed wish (policy).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.volunteers.domain.rules import MAX_HOURS, id_for
from shared.domain import Meta, TieredAggregate
from shared.errors import IllegalTransition, Invalid

WISH_KINDS = ("errand", "companionship", "repair", "meal_delivery", "medical_escort",
              "cleaning", "tutoring", "other")
WISH_STATUSES = ("posted", "dispatched", "open", "claimed", "fulfilled", "confirmed",
                 "disputed", "withdrawn")
UNCLAIMED = ("posted", "dispatched", "open")


class Wish(TieredAggregate):
    TOPIC = "gongzhi.wish"

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.wish.created.v1"  # required by eventsourcing; never emitted

    @staticmethod
    def id_for(poster: str, idempotency_key: str) -> UUID:
        return id_for("wish", poster, idempotency_key)

    @classmethod
    def post(cls, *, id: UUID, node: str, community: str, poster: str, kind: str, text: str,
             wanted_by: datetime, at: datetime, meta: Meta) -> Wish:
        if kind not in WISH_KINDS:
            raise Invalid(f"a wish's kind is one of {', '.join(WISH_KINDS)}", field="kind")
        if not text.strip():
            raise Invalid("say what is wished for", field="text")
        if wanted_by <= at:
            raise Invalid(f"wanted_by ({wanted_by.isoformat()}) must be later than now "
                          f"({at.isoformat()})", field="wanted_by")
        return cls(id=id, node=node, community=community, poster=poster, kind=kind,
                   text=text.strip(), wanted_by=wanted_by.isoformat(), at=at.isoformat(),
                   tier=node, meta=meta)

    @event("Posted", topic="gongzhi.wish.posted.v1")
    def __init__(self, *, id: UUID, node: str, community: str, poster: str, kind: str,
                 text: str, wanted_by: str, at: str, tier: str, meta: Meta) -> None:
        self.node = node
        self.community = community
        self.poster = poster
        self.kind = kind
        self.text = text
        self.wanted_by = wanted_by
        self.posted_at = at
        self.status = "posted"
        self.team: dict[str, str] | None = None  # {id, name} once dispatched to a team
        self.claimer: str | None = None
        self.claimed_at: str | None = None
        self.hours: float | None = None
        self.flagged = False

    # -- commands -------------------------------------------------------------------------

    def dispatch(self, team: dict[str, str] | None, at: datetime, meta: Meta) -> None:
        """派单: to one team (only its members may claim), or open to every volunteer."""
        self._require("dispatch", "posted", "dispatched", "open")
        self._dispatched(team=team, at=at.isoformat(), tier=self.node, meta=meta)

    def claim(self, volunteer: str, at: datetime, meta: Meta) -> None:
        """接单: exactly one volunteer; a second claim finds the wish claimed."""
        if self.status == "claimed" or self.claimer:
            raise IllegalTransition(f"the wish was already claimed by {self.claimer}",
                                    claimer=self.claimer)
        self._require("claim", "dispatched", "open")
        self._claimed(volunteer=volunteer, team=self.team, at=at.isoformat(), tier=self.node,
                      meta=meta)

    def fulfil(self, volunteer: str, hours: float, note: str, at: datetime,
               meta: Meta) -> None:
        self._require("fulfil", "claimed")
        if volunteer != self.claimer:
            raise IllegalTransition(f"only {self.claimer}, who claimed the wish, fulfils it")
        if not 0 < hours <= MAX_HOURS:
            raise Invalid(f"hours are more than 0 and at most {MAX_HOURS:g}", field="hours")
        self._fulfilled(volunteer=volunteer, hours=hours, note=note, at=at.isoformat(),
                        tier=self.node, meta=meta)

    def confirm(self, poster: str, note: str, at: datetime, meta: Meta) -> None:
        self._require_poster(poster, "confirm")
        self._require("confirm", "fulfilled")
        self._confirmed(volunteer=self.claimer, hours=self.hours, team=self.team, note=note,
                        at=at.isoformat(), tier=self.node, meta=meta)

    def dispute(self, poster: str, reason: str, at: datetime, meta: Meta) -> None:
        self._require_poster(poster, "dispute")
        self._require("dispute", "fulfilled")
        if not reason.strip():
            raise Invalid("say what was not done", field="reason")
        self._disputed(volunteer=self.claimer, reason=reason.strip(), at=at.isoformat(),
                       tier=self.node, meta=meta)

    def reopen(self, reason: str, at: datetime, meta: Meta) -> None:
        """After a dispute the community sends the wish out again: dispatched to the same
        team, or open; the disputed service earned nothing and a new claim starts over."""
        self._require("reopen", "disputed")
        if not reason.strip():
            raise Invalid("say why the wish goes out again", field="reason")
        self._reopened(team=self.team, previous_claimer=self.claimer, reason=reason.strip(),
                       at=at.isoformat(), tier=self.node, meta=meta)

    def withdraw(self, poster: str, reason: str, at: datetime, meta: Meta) -> None:
        self._require_poster(poster, "withdraw")
        self._require("withdraw", *UNCLAIMED)
        self._withdrawn(reason=reason, at=at.isoformat(), tier=self.node, meta=meta)

    def flag_if_overdue(self, now: datetime, meta: Meta) -> bool:
        """Unclaimed past its date: the community is told, once however often asked."""
        if (self.flagged or self.status not in UNCLAIMED
                or now <= datetime.fromisoformat(self.wanted_by)):
            return False
        self._flagged_overdue(community=self.community, wanted_by=self.wanted_by,
                              at=now.isoformat(), tier=self.node, meta=meta)
        return True

    def _require(self, action: str, *allowed: str) -> None:
        if self.status not in allowed:
            raise IllegalTransition(f"cannot {action} a wish that is {self.status}; it must "
                                    f"be {' or '.join(allowed)}", current_status=self.status)

    def _require_poster(self, who: str, action: str) -> None:
        if who != self.poster:
            raise IllegalTransition(f"only the resident who posted the wish may {action} it")

    # -- events ---------------------------------------------------------------------------

    @event("Dispatched", topic="gongzhi.wish.dispatched.v1")
    def _dispatched(self, team: dict[str, str] | None, at: str, tier: str, meta: Meta) -> None:
        self.status = "dispatched" if team else "open"
        self.team = team

    @event("Claimed", topic="gongzhi.wish.claimed.v1")
    def _claimed(self, volunteer: str, team: dict[str, str] | None, at: str, tier: str,
                 meta: Meta) -> None:
        self.status = "claimed"
        self.claimer = volunteer
        self.claimed_at = at

    @event("Fulfilled", topic="gongzhi.wish.fulfilled.v1")
    def _fulfilled(self, volunteer: str, hours: float, note: str, at: str, tier: str,
                   meta: Meta) -> None:
        self.status = "fulfilled"
        self.hours = hours

    @event("Confirmed", topic="gongzhi.wish.confirmed.v1")
    def _confirmed(self, volunteer: str, hours: float, team: dict[str, str] | None, note: str,
                   at: str, tier: str, meta: Meta) -> None:
        self.status = "confirmed"

    @event("Disputed", topic="gongzhi.wish.disputed.v1")
    def _disputed(self, volunteer: str, reason: str, at: str, tier: str, meta: Meta) -> None:
        self.status = "disputed"

    @event("Reopened", topic="gongzhi.wish.reopened.v1")
    def _reopened(self, team: dict[str, str] | None, previous_claimer: str | None, reason: str,
                  at: str, tier: str, meta: Meta) -> None:
        self.status = "dispatched" if team else "open"
        self.claimer = None
        self.claimed_at = None
        self.hours = None

    @event("Withdrawn", topic="gongzhi.wish.withdrawn.v1")
    def _withdrawn(self, reason: str, at: str, tier: str, meta: Meta) -> None:
        self.status = "withdrawn"

    @event("FlaggedOverdue", topic="gongzhi.wish.flagged_overdue.v1")
    def _flagged_overdue(self, community: str, wanted_by: str, at: str, tier: str,
                         meta: Meta) -> None:
        self.flagged = True
