"""A team at a tier node: a party members' vanguard team (党员先锋队), a residents' volunteer
team (志愿服务队) or a red-vest team (红马甲), with a leader and members.

Wishes are dispatched to a team, and issues assigned to one; only its members may take them.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.volunteers.domain.rules import id_for, is_code
from shared.domain import Meta, TieredAggregate
from shared.errors import Conflict, IllegalTransition, Invalid

TEAM_KINDS = ("vanguard", "volunteer", "red_vest")


class Team(TieredAggregate):
    TOPIC = "gongzhi.team"

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.team.created.v1"  # required by eventsourcing; never emitted

    @staticmethod
    def id_for(node: str, code: str) -> UUID:
        return id_for("team", node, code)

    @classmethod
    def form(cls, *, node: str, code: str, name: str, kind: str, leader: str,
             at: datetime, meta: Meta) -> Team:
        if not is_code(code):
            raise Invalid(f"'{code}' is not a team code (lowercase letters, digits, '-', '_')",
                          field="code")
        if kind not in TEAM_KINDS:
            raise Invalid(f"a team's kind is one of {', '.join(TEAM_KINDS)}", field="kind")
        if not name.strip():
            raise Invalid("a team needs a name", field="name")
        return cls(id=cls.id_for(node, code), node=node, code=code, name=name.strip(),
                   kind=kind, leader=leader, at=at.isoformat(), tier=node, meta=meta)

    @event("Formed", topic="gongzhi.team.formed.v1")
    def __init__(self, *, id: UUID, node: str, code: str, name: str, kind: str, leader: str,
                 at: str, tier: str, meta: Meta) -> None:
        self.node = node
        self.code = code
        self.name = name
        self.kind = kind
        self.leader = leader
        self.members = [leader]

    def has_member(self, person: str) -> bool:
        return person in self.members

    def add_member(self, person: str, at: datetime, meta: Meta) -> None:
        if self.has_member(person):
            raise Conflict(f"{person} is already a member of {self.name}", person=person)
        self._member_joined(person=person, at=at.isoformat(), tier=self.node, meta=meta)

    def remove_member(self, person: str, reason: str, at: datetime, meta: Meta) -> None:
        if not self.has_member(person):
            raise IllegalTransition(f"{person} is not a member of {self.name}", person=person)
        if person == self.leader:
            raise IllegalTransition(f"{person} leads {self.name}; name another leader first",
                                    person=person)
        if not reason.strip():
            raise Invalid("say why they leave the team", field="reason")
        self._member_left(person=person, reason=reason.strip(), at=at.isoformat(),
                          tier=self.node, meta=meta)

    def change_leader(self, person: str, at: datetime, meta: Meta) -> None:
        if person == self.leader:
            raise IllegalTransition(f"{person} already leads {self.name}")
        if not self.has_member(person):
            raise IllegalTransition(f"the leader is chosen among the members; {person} is "
                                    f"not one of {self.name}", person=person)
        self._leader_changed(person=person, previous=self.leader, at=at.isoformat(),
                             tier=self.node, meta=meta)

    @event("MemberJoined", topic="gongzhi.team.member_joined.v1")
    def _member_joined(self, person: str, at: str, tier: str, meta: Meta) -> None:
        self.members.append(person)

    @event("MemberLeft", topic="gongzhi.team.member_left.v1")
    def _member_left(self, person: str, reason: str, at: str, tier: str, meta: Meta) -> None:
        self.members.remove(person)

    @event("LeaderChanged", topic="gongzhi.team.leader_changed.v1")
    def _leader_changed(self, person: str, previous: str, at: str, tier: str,
                        meta: Meta) -> None:
        self.leader = person
