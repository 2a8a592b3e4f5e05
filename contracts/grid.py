"""The events the grid service publishes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from contracts import Payload, contract


class PatrolProblem(TypedDict):
    title: str
    category: str
    description: str
    node: str
    raise_issue: bool  # the issues service raises an issue for it


class Secretary(TypedDict):
    name: str
    person: str  # their person id, or "" when not a registered person


class BodyTerm(TypedDict):
    name: str
    term_from: str
    term_to: str


@contract("gongzhi.node.registered.v1",
          "A tier node was registered.")
class NodeRegistered(Payload):
    path: str
    level: str
    name: str
    parent: str | None


@contract("gongzhi.node.renamed.v1",
          "A tier node was renamed.")
class NodeRenamed(Payload):
    name: str
    previous: str


@contract("gongzhi.node.mode_switched.v1",
          "A tier node switched between daily and emergency mode.")
class NodeModeSwitched(Payload):
    mode: str
    reason: str


@contract("gongzhi.node.retired.v1",
          "A tier node was retired.")
class NodeRetired(Payload):
    reason: str


@contract("gongzhi.department.registered.v1",
          "A department was registered with its categories and jurisdiction.")
class DepartmentRegistered(Payload):
    code: str
    name: str
    kind: str
    categories: list[str]
    jurisdiction: list[str]


@contract("gongzhi.department.webhook_registered.v1",
          "A department registered a webhook.")
class DepartmentWebhookRegistered(Payload):
    hook_id: str
    department: str
    url: str


@contract("gongzhi.department.webhook_removed.v1",
          "A department removed a webhook.")
class DepartmentWebhookRemoved(Payload):
    hook_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DepartmentPart(Payload):
    """A whistle event about one summoned department's part: it concerns that department."""

    department: str

    def departments_concerned(self) -> list[str]:
        return [self.department]


@contract("gongzhi.whistle.blown.v1",
          "A street blew the whistle, summoning departments by deadlines.",
          concerns_departments=True)
class WhistleBlown(Payload):
    node: str
    situation: str
    title: str
    issue_id: str | None
    departments: list[str]
    summons: dict[str, str]
    mode: str
    at: str

    def departments_concerned(self) -> list[str]:
        return list(self.departments)


@contract("gongzhi.whistle.department_reported.v1",
          "A summoned department reported in.",
          concerns_departments=True)
class WhistleDepartmentReported(DepartmentPart):
    at: str
    late: bool
    note: str
    late_minutes: int | None = None


@contract("gongzhi.whistle.department_completed.v1",
          "A summoned department completed its part.",
          concerns_departments=True)
class WhistleDepartmentCompleted(DepartmentPart):
    at: str
    outcome: str


@contract("gongzhi.whistle.overdue.v1",
          "A summoned department missed its deadline.",
          concerns_departments=True)
class WhistleOverdue(DepartmentPart):
    deadline: str
    supervisor: str
    at: str


@contract("gongzhi.whistle.closed.v1",
          "The whistle was closed.",
          concerns_departments=True)
class WhistleClosed(Payload):
    at: str
    departments: list[str]

    def departments_concerned(self) -> list[str]:
        return list(self.departments)


@contract("gongzhi.patrol.logged.v1",
          "A grid worker logged a patrol and the problems found.")
class PatrolLogged(Payload):
    node: str
    worker: str
    households_visited: int
    problems: list[PatrolProblem]
    note: str
    at: str


@contract("gongzhi.person.registered.v1",
          "A staff member was registered.")
class PersonRegistered(Payload):
    staff_id: str
    name: str
    home: str


@contract("gongzhi.person.updated.v1",
          "A staff member's details changed.")
class PersonUpdated(Payload):
    staff_id: str
    name: str
    changed: list[str]


@contract("gongzhi.person.role_assigned.v1",
          "A staff member was given a role at a node.")
class PersonRoleAssigned(Payload):
    staff_id: str
    role: str
    node: str
    department: str | None
    at: str


@contract("gongzhi.person.role_relieved.v1",
          "A staff member was relieved of a role.")
class PersonRoleRelieved(Payload):
    staff_id: str
    role: str
    node: str
    department: str | None
    reason: str
    at: str


@contract("gongzhi.household.registered.v1",
          "A household was registered with its area.")
class HouseholdRegistered(Payload):
    code: str
    node: str
    area: str
    at: str


@contract("gongzhi.household.area_changed.v1",
          "A household's area was corrected.")
class HouseholdAreaChanged(Payload):
    household: str
    area: str
    previous: str
    reason: str
    at: str


@contract("gongzhi.household.resident_linked.v1",
          "A resident linked their account to a household (pending).")
class HouseholdResidentLinked(Payload):
    household: str
    resident: str
    relation: str
    moved_from: str | None
    at: str


@contract("gongzhi.household.resident_verified.v1",
          "A resident's link to a household was verified.")
class HouseholdResidentVerified(Payload):
    household: str
    resident: str
    relation: str
    at: str


@contract("gongzhi.household.resident_left.v1",
          "A resident left a household.")
class HouseholdResidentLeft(Payload):
    household: str
    resident: str
    relation: str
    was_verified: bool
    reason: str
    moved_to: str | None
    at: str


@contract("gongzhi.party_organisation.established.v1",
          "A party organisation was established at a node.")
class PartyOrganisationEstablished(Payload):
    node: str
    kind: str
    name: str
    secretary: Secretary
    at: str


@contract("gongzhi.party_organisation.secretary_changed.v1",
          "A party organisation's secretary changed.")
class PartyOrganisationSecretaryChanged(Payload):
    node: str
    kind: str
    secretary: Secretary
    previous: Secretary
    previous_since: str
    reason: str
    at: str


@contract("gongzhi.party_organisation.dissolved.v1",
          "A party organisation was dissolved.")
class PartyOrganisationDissolved(Payload):
    node: str
    kind: str
    reason: str
    at: str


@contract("gongzhi.co_governance_body.formed.v1",
          "An owners' committee or property company took office at a compound.")
class CoGovernanceBodyFormed(Payload):
    node: str
    kind: str
    name: str
    term_from: str
    term_to: str
    contact: str
    at: str


@contract("gongzhi.co_governance_body.renewed.v1",
          "A co-governance body was renewed or replaced.")
class CoGovernanceBodyRenewed(Payload):
    node: str
    kind: str
    name: str
    term_from: str
    term_to: str
    contact: str
    previous: BodyTerm
    reason: str
    at: str


@contract("gongzhi.co_governance_body.ended.v1",
          "A co-governance body's term ended.")
class CoGovernanceBodyEnded(Payload):
    node: str
    kind: str
    reason: str
    at: str
