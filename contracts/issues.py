"""The events the issues service publishes."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from contracts import Payload, contract, upcaster

ASSIGNEE_KINDS = ("grid_worker", "building_head", "compound_head", "property_company",
                  "owners_committee", "volunteer_team", "community_staff", "department")


class Assignee(TypedDict):
    kind: str  # one of ASSIGNEE_KINDS
    id: str
    name: str


class Assignment(Assignee):
    """What a consultation's conclusion gives someone to do."""

    task: str


class CatalogItem(TypedDict):
    code: str  # <top>.<item>, e.g. environment.garbage
    name: str
    level: str  # the handling level
    departments: list[str]
    ack_hours: int | float
    resolve_hours: int | float
    attributes: NotRequired[list[dict[str, Any]]]  # Open311 attribute definitions


class CatalogTop(TypedDict):
    code: str
    name: str
    items: list[CatalogItem]


class Party(TypedDict):
    kind: str
    name: str
    department: NotRequired[str]  # a department party's code, when named


class Proposal(TypedDict):
    id: str
    title: str
    description: str


class ProposalTally(TypedDict, total=False):
    """One proposal's count at closing; weighed and civil_code_278 votes add their keys."""

    yes: int
    no: int
    abstain: int
    cast: int
    eligible: int
    quorum_needed: int
    quorum_met: bool
    yes_needed: int
    passed: bool
    weight: str
    area: dict[str, Any]
    matter: str
    participation: dict[str, Any]
    approval: dict[str, Any]


@contract("gongzhi.issue.raised.v1",
          "A resident, a hotline operator or a patrol raised a problem at a node.")
class IssueRaised(Payload):
    node: str
    title: str
    description: str
    category: str
    channel: str
    location: dict[str, Any] | None
    photos: list[str]
    reporter: str
    at: str | None = None
    attributes: dict[str, Any] | None = None


@contract("gongzhi.issue.triaged.v1",
          "The catalog routed the issue to its handling level and set its deadlines.")
class IssueTriaged(Payload):
    category: str
    level: str
    handling_node: str
    departments: list[str]
    ack_by: str
    resolve_by: str
    mode: str
    reason: str
    at: str


@contract("gongzhi.issue.classified.v1",
          "The issue was put in another category.")
class IssueClassified(Payload):
    category: str
    previous: str
    at: str | None = None


@contract("gongzhi.issue.acknowledged.v1",
          "The handling tier took the issue on.")
class IssueAcknowledged(Payload):
    note: str
    at: str | None = None


@contract("gongzhi.issue.assigned.v1",
          "The issue was assigned to someone to handle (a department, a team, a worker).",
          concerns_departments=True)
class IssueAssigned(Payload):
    assignee: Assignee
    note: str
    consultation_id: str | None = None  # when a consultation's conclusion assigned it
    at: str | None = None

    def departments_concerned(self) -> list[str]:
        a = self.assignee
        return [a["id"]] if a.get("kind") == "department" and a.get("id") else []


@contract("gongzhi.issue.progress_noted.v1",
          "Progress on the issue was noted, with photos.")
class IssueProgressNoted(Payload):
    note: str
    photos: list[str]
    at: str


@contract("gongzhi.issue.resolved.v2",
          "The issue was resolved; its reporters may now rate the outcome.")
class IssueResolved(Payload):
    """v2: `round`, `reporters` and `at` are always there. v1 left them out on events stored
    before they were added, and every consumer patched them its own way (`round` or 1, or
    the next round counted from its own rows; `reporters` or []; `at` or the stored time)."""

    resolution: str
    evidence: list[str]
    round: int  # 1, then +1 after each reopening
    reporters: list[str]  # the reporter and every follower: who may rate
    at: str


@upcaster("gongzhi.issue.resolved.v1", to=IssueResolved)
def _resolved_v1(data: dict[str, Any], stored_time: str) -> dict[str, Any]:
    # Rounds, reopenings and followers came in together (with `round` and `reporters` on
    # this event), so a v1 event without them resolved round 1. Its reporters are then
    # unknown here: [] adds none to the issue's reporter, which its raised event names.
    data.setdefault("round", 1)
    if data.get("reporters") is None:
        data["reporters"] = []
    if not data.get("at"):
        data["at"] = stored_time
    return data


@contract("gongzhi.issue.reopened.v1",
          "An unsatisfied rating reopened the issue for another round.")
class IssueReopened(Payload):
    round: int
    rating_id: str
    reason: str
    resolve_by: str
    at: str


@contract("gongzhi.issue.escalated.v1",
          "The issue was handed to the tier above.")
class IssueEscalated(Payload):
    to_node: str
    from_node: str
    reason: str
    at: str | None = None


@contract("gongzhi.issue.supervised.v1",
          "A deadline was missed or a rating unsatisfied: the tier above supervises.")
class IssueSupervised(Payload):
    kind: str
    deadline: str | None
    supervisor: str
    handling_node: str
    round: int
    at: str


@contract("gongzhi.issue.whistled.v1",
          "A whistle was blown for the issue, summoning departments.",
          concerns_departments=True)
class IssueWhistled(Payload):
    whistle_id: str
    departments: list[str]
    at_node: str

    def departments_concerned(self) -> list[str]:
        return list(self.departments)


@contract("gongzhi.issue.merged.v1",
          "The issue was a duplicate and merged into another.")
class IssueMerged(Payload):
    into: str
    at: str


@contract("gongzhi.issue.absorbed.v1",
          "The issue absorbed a duplicate, whose reporters now follow it.")
class IssueAbsorbed(Payload):
    duplicate_id: str
    reporters: list[str]
    at: str


@contract("gongzhi.issue.cosigned.v1",
          "A resident co-signed the issue (me too).")
class IssueCosigned(Payload):
    resident: str
    cosigners: int
    at: str


@contract("gongzhi.issue.closed.v1",
          "The issue was closed.")
class IssueClosed(Payload):
    note: str
    at: str | None = None


@contract("gongzhi.catalog.seeded.v1",
          "The category catalog was stored, with its first change.")
class CatalogSeeded(Payload):
    tops: list[CatalogTop]


@contract("gongzhi.catalog.item_set.v1",
          "A catalog category was added or changed.")
class CatalogItemSet(Payload):
    item: CatalogItem
    top_name: str | None  # for a new top category
    previous: CatalogItem | None
    reason: str


@contract("gongzhi.catalog.item_retired.v1",
          "A catalog category was retired.")
class CatalogItemRetired(Payload):
    code: str
    reason: str


@contract("gongzhi.consultation.opened.v1",
          "A consultation (forum, council, hearing ...) was opened.")
class ConsultationOpened(Payload):
    node: str
    issue_id: str | None
    topic: str
    form: str
    convenor: dict[str, str]
    parties: list[Party]
    proposals: list[Proposal]
    eligible: list[str]
    rule: str
    quorum: str | None
    allow_change: bool
    at: str
    weight: str | None = 'households'
    matter: str | None = None
    areas: dict[str, str] | None = None


@contract("gongzhi.consultation.proposal_added.v1",
          "A proposal was added to a consultation.")
class ConsultationProposalAdded(Payload):
    proposal: Proposal
    at: str


@contract("gongzhi.consultation.vote_cast.v1",
          "A household cast (or changed) its vote on a proposal.")
class ConsultationVoteCast(Payload):
    proposal: str
    household: str
    choice: str
    replaces: str | None
    ballot: str
    voter: str | None
    at: str


@contract("gongzhi.consultation.voting_closed.v1",
          "Voting closed, with the tally of every proposal.")
class ConsultationVotingClosed(Payload):
    tally: dict[str, ProposalTally]  # by proposal id
    at: str


@contract("gongzhi.consultation.concluded.v1",
          "The consultation's conclusion was published, with its assignments.")
class ConsultationConcluded(Payload):
    conclusion: str
    adopted: list[str]
    assignments: list[Assignment]
    issue_id: str | None
    published_at: str
    at: str
