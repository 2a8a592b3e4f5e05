"""The party organisation on the tier tree, and each compound's co-governance bodies
(一个中心 三方共治).

Party organisations sit on nodes, one of each kind per node, each with a secretary: the
street working committee (街道党工委), the community party committee (社区党委), the
compound branch (小区党支部, "the centre"), the building party group (楼栋党小组) and the
party-member household (党员中心户). A compound's co-governance bodies are its owners'
committee (业主委员会, with its term) and its property company (物业服务企业, with its
contract period). Changes of secretary, re-elections, new contracts and dissolutions are
events, so "who was the branch secretary in May" and "which company ran the compound in 2023"
are the streams' history, kept like roles.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain import Meta, TieredAggregate
from shared.errors import IllegalTransition, Invalid

_NS = uuid5(NAMESPACE_URL, "https://gongzhi.dev/grid/party")

# Each kind of organisation, the node levels it sits at, and its name in the field.
PARTY_KINDS: dict[str, tuple[frozenset[str], str]] = {
    "street_working_committee": (frozenset({"street"}), "街道党工委"),
    "community_committee": (frozenset({"community"}), "社区党委"),
    "compound_branch": (frozenset({"compound"}), "小区党支部"),
    "building_group": (frozenset({"building"}), "楼栋党小组"),
    "member_household": (frozenset({"building", "unit"}), "党员中心户"),
}
BODY_KINDS = {"owners_committee": "业主委员会", "property_company": "物业服务企业"}


def _check_secretary(secretary: dict[str, str]) -> dict[str, str]:
    name = (secretary.get("name") or "").strip()
    if not name:
        raise Invalid("a secretary needs a name", field="secretary.name")
    return {"name": name, "person": secretary.get("person") or ""}


class PartyOrganisation(TieredAggregate):
    TOPIC = "gongzhi.party_organisation"

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.party_organisation.created.v1"  # required by eventsourcing; never emitted

    @staticmethod
    def id_for(node: str, kind: str) -> UUID:
        return uuid5(_NS, f"organisation\x1f{node}\x1f{kind}")

    @classmethod
    def establish(cls, *, node: str, level: str, kind: str, name: str,
                  secretary: dict[str, str], at: datetime, meta: Meta) -> PartyOrganisation:
        if kind not in PARTY_KINDS:
            raise Invalid(f"a party organisation's kind is one of {', '.join(PARTY_KINDS)}",
                          field="kind")
        levels, label = PARTY_KINDS[kind]
        if level not in levels:
            raise Invalid(f"a {label} ({kind}) sits at a {' or '.join(sorted(levels))}, but "
                          f"'{node}' is a {level}", field="node")
        if not name.strip():
            raise Invalid("a party organisation needs a name", field="name")
        return cls(id=cls.id_for(node, kind), node=node, kind=kind, name=name.strip(),
                   secretary=_check_secretary(secretary), at=at.isoformat(), tier=node,
                   meta=meta)

    @event("Established", topic="gongzhi.party_organisation.established.v1")
    def __init__(self, *, id: UUID, node: str, kind: str, name: str,
                 secretary: dict[str, str], at: str, tier: str, meta: Meta) -> None:
        self.node = node
        self.kind = kind
        self.name = name
        self.secretary = secretary
        self.secretary_since = at
        self.established_at = at
        self.active = True

    def change_secretary(self, secretary: dict[str, str], reason: str, at: datetime,
                         meta: Meta) -> None:
        self._require_active("change the secretary of")
        secretary = _check_secretary(secretary)
        if secretary == self.secretary:
            raise IllegalTransition(f"{secretary['name']} is already the secretary")
        if not reason.strip():
            raise Invalid("say why the secretary changes", field="reason")
        self._secretary_changed(node=self.node, kind=self.kind, secretary=secretary,
                                previous=self.secretary, previous_since=self.secretary_since,
                                reason=reason.strip(), at=at.isoformat(), tier=self.node,
                                meta=meta)

    def dissolve(self, reason: str, at: datetime, meta: Meta) -> None:
        self._require_active("dissolve")
        if not reason.strip():
            raise Invalid("say why the organisation is dissolved", field="reason")
        self._dissolved(node=self.node, kind=self.kind, reason=reason.strip(),
                        at=at.isoformat(), tier=self.node, meta=meta)

    def _require_active(self, doing: str) -> None:
        if not self.active:
            raise IllegalTransition(f"cannot {doing} {self.name}: it was dissolved")

    @event("SecretaryChanged", topic="gongzhi.party_organisation.secretary_changed.v1")
    def _secretary_changed(self, node: str, kind: str, secretary: dict[str, str],
                           previous: dict[str, str], previous_since: str, reason: str,
                           at: str, tier: str, meta: Meta) -> None:
        self.secretary = secretary
        self.secretary_since = at

    @event("Dissolved", topic="gongzhi.party_organisation.dissolved.v1")
    def _dissolved(self, node: str, kind: str, reason: str, at: str, tier: str, meta: Meta) -> None:
        self.active = False


def _check_term(term_from: date, term_to: date) -> None:
    if term_to <= term_from:
        raise Invalid(f"a term ends ({term_to.isoformat()}) after it begins "
                      f"({term_from.isoformat()})", field="term_to")


class CoGovernanceBody(TieredAggregate):
    """A compound's owners' committee or property company, with its current term."""

    TOPIC = "gongzhi.co_governance_body"

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.co_governance_body.created.v1"  # required by eventsourcing; never emitted

    @staticmethod
    def id_for(node: str, kind: str) -> UUID:
        return uuid5(_NS, f"body\x1f{node}\x1f{kind}")

    @classmethod
    def form(cls, *, node: str, level: str, kind: str, name: str, term_from: date,
             term_to: date, contact: str, at: datetime, meta: Meta) -> CoGovernanceBody:
        if kind not in BODY_KINDS:
            raise Invalid(f"a co-governance body is one of {', '.join(BODY_KINDS)}",
                          field="kind")
        if level != "compound":
            raise Invalid(f"a {BODY_KINDS[kind]} serves a compound, but '{node}' is a {level}",
                          field="node")
        if not name.strip():
            raise Invalid("a body needs a name", field="name")
        _check_term(term_from, term_to)
        return cls(id=cls.id_for(node, kind), node=node, kind=kind, name=name.strip(),
                   term_from=term_from.isoformat(), term_to=term_to.isoformat(),
                   contact=contact.strip(), at=at.isoformat(), tier=node, meta=meta)

    @event("Formed", topic="gongzhi.co_governance_body.formed.v1")
    def __init__(self, *, id: UUID, node: str, kind: str, name: str, term_from: str,
                 term_to: str, contact: str, at: str, tier: str, meta: Meta) -> None:
        self.node = node
        self.kind = kind
        self.name = name
        self.term_from = term_from
        self.term_to = term_to
        self.contact = contact
        self.active = True

    def renew(self, name: str, term_from: date, term_to: date, contact: str, reason: str,
              at: datetime, meta: Meta) -> None:
        """A re-election (换届) or a new contract, possibly with another company."""
        _check_term(term_from, term_to)
        if term_from.isoformat() < self.term_from:
            raise Invalid(f"a new term begins after the current one began ({self.term_from})",
                          field="term_from")
        if not name.strip():
            raise Invalid("a body needs a name", field="name")
        if not reason.strip():
            raise Invalid("say why: re-election, new contract, another company",
                          field="reason")
        self._renewed(node=self.node, kind=self.kind, name=name.strip(),
                      term_from=term_from.isoformat(), term_to=term_to.isoformat(),
                      contact=contact.strip(),
                      previous={"name": self.name, "term_from": self.term_from,
                                "term_to": self.term_to},
                      reason=reason.strip(), at=at.isoformat(), tier=self.node, meta=meta)

    def end(self, reason: str, at: datetime, meta: Meta) -> None:
        if not self.active:
            raise IllegalTransition(f"{self.name} has already ended")
        if not reason.strip():
            raise Invalid("say why it ends", field="reason")
        self._ended(node=self.node, kind=self.kind, reason=reason.strip(), at=at.isoformat(),
                    tier=self.node, meta=meta)

    @event("Renewed", topic="gongzhi.co_governance_body.renewed.v1")
    def _renewed(self, node: str, kind: str, name: str, term_from: str, term_to: str, contact: str,
                 previous: dict[str, str], reason: str, at: str, tier: str,
                 meta: Meta) -> None:
        self.name = name
        self.term_from = term_from
        self.term_to = term_to
        self.contact = contact
        self.active = True

    @event("Ended", topic="gongzhi.co_governance_body.ended.v1")
    def _ended(self, node: str, kind: str, reason: str, at: str, tier: str, meta: Meta) -> None:
        self.active = False
