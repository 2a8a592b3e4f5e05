"""An activity a community publishes (a clean-up, a health check, a lecture) with a number
of slots. Sign-ups never exceed the slots: a concurrent sign-up that loses the race reloads
and finds the activity full. Attendance, recorded by staff, turns into hours (and, through
the time bank, points), once per person.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.volunteers.domain.rules import MAX_HOURS, id_for
from shared.domain import Meta, TieredAggregate
from shared.errors import Conflict, IllegalTransition, Invalid


class Activity(TieredAggregate):
    TOPIC = "gongzhi.activity"

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.activity.created.v1"  # required by eventsourcing; never emitted

    @staticmethod
    def id_for(publisher: str, idempotency_key: str) -> UUID:
        return id_for("activity", publisher, idempotency_key)

    @classmethod
    def publish(cls, *, id: UUID, node: str, title: str, starts_at: datetime, hours: float,
                slots: int, at: datetime, meta: Meta) -> Activity:
        if not title.strip():
            raise Invalid("an activity needs a title", field="title")
        if not 0 < hours <= MAX_HOURS:
            raise Invalid(f"hours are more than 0 and at most {MAX_HOURS:g}", field="hours")
        if not 1 <= slots <= 10000:
            raise Invalid("slots are between 1 and 10000", field="slots")
        return cls(id=id, node=node, title=title.strip(), starts_at=starts_at.isoformat(),
                   hours=hours, slots=slots, at=at.isoformat(), tier=node, meta=meta)

    @event("Published", topic="gongzhi.activity.published.v1")
    def __init__(self, *, id: UUID, node: str, title: str, starts_at: str, hours: float,
                 slots: int, at: str, tier: str, meta: Meta) -> None:
        self.node = node
        self.title = title
        self.starts_at = starts_at
        self.hours = hours
        self.slots = slots
        self.participants: list[str] = []
        self.attended: list[str] = []

    def sign_up(self, person: str, at: datetime, meta: Meta) -> None:
        if person in self.participants:
            raise Conflict(f"{person} has already signed up", person=person)
        if len(self.participants) >= self.slots:
            raise IllegalTransition(f"'{self.title}' is full: all {self.slots} slots are taken",
                                    slots=self.slots)
        self._signed_up(person=person, at=at.isoformat(), tier=self.node, meta=meta)

    def cancel_sign_up(self, person: str, reason: str, at: datetime, meta: Meta) -> None:
        """A participant who cannot come frees their slot (not once their attendance is
        recorded)."""
        if person not in self.participants:
            raise IllegalTransition(f"{person} has not signed up for '{self.title}'",
                                    person=person)
        if person in self.attended:
            raise IllegalTransition(f"{person}'s attendance is already recorded")
        self._sign_up_cancelled(person=person, reason=reason, at=at.isoformat(),
                                tier=self.node, meta=meta)

    def record_attendance(self, person: str, hours: float, at: datetime, meta: Meta) -> None:
        if person not in self.participants:
            raise IllegalTransition(f"{person} did not sign up for '{self.title}'",
                                    person=person)
        if person in self.attended:
            raise Conflict(f"{person}'s attendance is already recorded", person=person)
        if not 0 < hours <= self.hours:
            raise Invalid(f"hours attended are more than 0 and at most the activity's "
                          f"{self.hours:g}", field="hours")
        self._attended(person=person, hours=hours, at=at.isoformat(), tier=self.node,
                       meta=meta)

    @event("SignedUp", topic="gongzhi.activity.signed_up.v1")
    def _signed_up(self, person: str, at: str, tier: str, meta: Meta) -> None:
        self.participants.append(person)

    @event("SignUpCancelled", topic="gongzhi.activity.sign_up_cancelled.v1")
    def _sign_up_cancelled(self, person: str, reason: str, at: str, tier: str,
                           meta: Meta) -> None:
        self.participants.remove(person)

    @event("Attended", topic="gongzhi.activity.attended.v1")
    def _attended(self, person: str, hours: float, at: str, tier: str, meta: Meta) -> None:
        self.attended.append(person)
