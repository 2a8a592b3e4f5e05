"""A person who serves in a community (双报到), and an organisation its party members report
from.

An in-service party member registers twice over: with the community where they live (home,
a community or a node beneath it) and with their employer organisation, which registers too,
with the commitments it makes to the community it is paired with (共建). Resident, mobile and
retired party members, residents' volunteers and couriers (new-employment groups, 移动探头)
register with their home only. Skills, availability, moves and deregistration are events, so
the stream is the history.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.volunteers.domain.rules import id_for, is_code, is_person
from shared.domain import Meta, TieredAggregate
from shared.errors import IllegalTransition, Invalid

PARTY_KINDS = ("in_service_party_member", "resident_party_member", "mobile_party_member",
               "retired_party_member")
KINDS = (*PARTY_KINDS, "resident_volunteer", "courier")
# The token role each kind acts under.
ROLE_OF_KIND = {**dict.fromkeys(PARTY_KINDS, "party_member"),
                "resident_volunteer": "volunteer", "courier": "courier"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _check_profile(skills: list[str], availability: list[str]) -> None:
    if len(skills) > 20 or any(not s.strip() or len(s) > 30 for s in skills):
        raise Invalid("skills are up to 20 short words like '理发' or '水电维修'",
                      field="skills")
    unknown = [d for d in availability if d not in WEEKDAYS]
    if unknown:
        raise Invalid(f"availability names days among {', '.join(WEEKDAYS)}, not "
                      f"{', '.join(unknown)}", field="availability")


class Volunteer(TieredAggregate):
    TOPIC = "gongzhi.volunteer"

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.volunteer.created.v1"  # required by eventsourcing; never emitted

    @staticmethod
    def id_for(person: str) -> UUID:
        return id_for("volunteer", person)

    @classmethod
    def register(cls, *, person: str, name: str, kind: str, home: str, community: str,
                 organisation: str | None, skills: list[str], availability: list[str],
                 at: datetime, meta: Meta) -> Volunteer:
        if not is_person(person):
            raise Invalid(f"'{person}' is not a person id", field="person")
        if not name.strip():
            raise Invalid("a volunteer needs a name", field="name")
        if kind not in KINDS:
            raise Invalid(f"kind is one of {', '.join(KINDS)}", field="kind")
        if kind == "in_service_party_member" and not organisation:
            raise Invalid("an in-service party member reports with their employer "
                          "organisation too (双报到): name it", field="organisation")
        if organisation and kind not in ("in_service_party_member", "courier"):
            raise Invalid(f"only in-service party members and couriers name an organisation, "
                          f"not a {kind}", field="organisation")
        _check_profile(skills, availability)
        return cls(id=cls.id_for(person), person=person, name=name.strip(), kind=kind,
                   home=home, community=community, organisation=organisation, skills=skills,
                   availability=availability, at=at.isoformat(), tier=home, meta=meta)

    @event("Registered", topic="gongzhi.volunteer.registered.v1")
    def __init__(self, *, id: UUID, person: str, name: str, kind: str, home: str,
                 community: str, organisation: str | None, skills: list[str],
                 availability: list[str], at: str, tier: str, meta: Meta) -> None:
        self.person = person
        self.name = name
        self.kind = kind
        self.home = home
        self.community = community
        self.organisation = organisation
        self.skills = skills
        self.availability = availability
        self.registered_at = at
        self.active = True

    @property
    def is_party_member(self) -> bool:
        return self.kind in PARTY_KINDS

    def require_active(self, doing: str) -> None:
        if not self.active:
            raise IllegalTransition(f"{self.person} has deregistered and may not {doing}")

    def update_profile(self, skills: list[str], availability: list[str], at: datetime,
                       meta: Meta) -> bool:
        self.require_active("change their skills")
        _check_profile(skills, availability)
        if skills == self.skills and availability == self.availability:
            return False
        self._profile_updated(person=self.person, skills=skills, availability=availability,
                              at=at.isoformat(), tier=self.home, meta=meta)
        return True

    def move(self, home: str, community: str, reason: str, at: datetime, meta: Meta) -> None:
        self.require_active("move")
        if home == self.home:
            raise IllegalTransition(f"{self.person} already lives at '{home}'")
        if not reason.strip():
            raise Invalid("say why they move", field="reason")
        self._moved(person=self.person, from_home=self.home, from_community=self.community,
                    home=home, community=community, reason=reason.strip(), at=at.isoformat(),
                    tier=home, meta=meta)

    def deregister(self, reason: str, at: datetime, meta: Meta) -> None:
        self.require_active("deregister again")
        if not reason.strip():
            raise Invalid("say why they deregister", field="reason")
        self._deregistered(person=self.person, reason=reason.strip(), community=self.community,
                           at=at.isoformat(), tier=self.home, meta=meta)

    @event("ProfileUpdated", topic="gongzhi.volunteer.profile_updated.v1")
    def _profile_updated(self, person: str, skills: list[str], availability: list[str],
                         at: str, tier: str, meta: Meta) -> None:
        self.skills = skills
        self.availability = availability

    @event("Moved", topic="gongzhi.volunteer.moved.v1")
    def _moved(self, person: str, from_home: str, from_community: str, home: str, community: str,
               reason: str, at: str, tier: str, meta: Meta) -> None:
        self.home = home
        self.community = community

    @event("Deregistered", topic="gongzhi.volunteer.deregistered.v1")
    def _deregistered(self, person: str, reason: str, community: str, at: str, tier: str,
                      meta: Meta) -> None:
        self.active = False


class Organisation(TieredAggregate):
    """An employer unit (机关、企事业单位) whose in-service party members report to a
    community, paired with it (共建) by commitments: what the unit undertakes to do there."""

    TOPIC = "gongzhi.organisation"

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.organisation.created.v1"  # required by eventsourcing; never emitted

    @staticmethod
    def id_for(code: str) -> UUID:
        return id_for("organisation", code)

    @classmethod
    def register(cls, *, code: str, name: str, node: str, commitments: list[str],
                 at: datetime, meta: Meta) -> Organisation:
        if not is_code(code):
            raise Invalid(f"'{code}' is not an organisation code (lowercase letters, digits, "
                          "'-', '_')", field="code")
        if not name.strip():
            raise Invalid("an organisation needs a name", field="name")
        _check_commitments(commitments)
        return cls(id=cls.id_for(code), code=code, name=name.strip(), node=node,
                   commitments=commitments, at=at.isoformat(), tier=node, meta=meta)

    @event("Registered", topic="gongzhi.organisation.registered.v1")
    def __init__(self, *, id: UUID, code: str, name: str, node: str, commitments: list[str],
                 at: str, tier: str, meta: Meta) -> None:
        self.code = code
        self.name = name
        self.node = node
        self.commitments = commitments

    def set_commitments(self, commitments: list[str], at: datetime, meta: Meta) -> bool:
        _check_commitments(commitments)
        if commitments == self.commitments:
            return False
        self._commitments_set(code=self.code, commitments=commitments, previous=self.commitments,
                              at=at.isoformat(), tier=self.node, meta=meta)
        return True

    @event("CommitmentsSet", topic="gongzhi.organisation.commitments_set.v1")
    def _commitments_set(self, code: str, commitments: list[str], previous: list[str],
                         at: str, tier: str, meta: Meta) -> None:
        self.commitments = commitments


def _check_commitments(commitments: list[str]) -> None:
    if len(commitments) > 20 or any(not c.strip() or len(c) > 200 for c in commitments):
        raise Invalid("commitments are up to 20 lines of up to 200 characters",
                      field="commitments")
