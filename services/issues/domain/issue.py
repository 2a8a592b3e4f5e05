"""The Issue aggregate: a resident's problem at one tier node, and what was done about it.

Each public method checks its rule first, then records one event; the `@event` methods only
change state. Event topics are the public CloudEvents types, versioned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event, register_topic

from contracts import upcast
from contracts.issues import IssueResolved
from services.issues.domain.triage import Route
from shared.domain import Meta, TieredAggregate
from shared.errors import IllegalTransition, Invalid
from shared.tiers import parent_of

CHANNELS = ("app", "hotline", "grid_patrol", "probe", "visit")
STATUSES = ("raised", "acknowledged", "assigned", "resolved", "reopened", "closed", "merged")
OPEN = ("raised", "acknowledged", "assigned", "reopened")
WORKING = ("acknowledged", "assigned", "reopened")  # someone has taken it on
ASSIGNEE_KINDS = (
    "grid_worker", "building_head", "compound_head", "property_company",
    "owners_committee", "volunteer_team", "community_staff", "department",
)
_RESOLVED_V1 = "gongzhi.issue.resolved.v1"  # still in the log; read as v2
_IDEMPOTENCY_NS = uuid5(NAMESPACE_URL, "https://gongzhi.dev/issues/idempotency")


class Issue(TieredAggregate):
    TOPIC = "gongzhi.issue"

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.issue.created.v1"  # required by eventsourcing; never emitted

    @staticmethod
    def id_for(reporter: str, idempotency_key: str) -> UUID:
        """A retried create with the same key finds the issue it already made."""
        return uuid5(_IDEMPOTENCY_NS, f"{reporter}\x1f{idempotency_key}")

    @event("Raised", topic="gongzhi.issue.raised.v1")
    def __init__(  # not keyword-only: eventsourcing ignores keyword-only defaults
        self,
        id: UUID,
        node: str,
        title: str,
        description: str,
        category: str,
        channel: str,
        location: dict[str, Any] | None,
        photos: list[str],
        contact_sealed: str | None,
        reporter: str,
        fingerprint: str,
        tier: str,
        meta: Meta,
        at: str | None = None,  # business time; absent on events stored before it was added
        attributes: dict[str, Any] | None = None,  # the category's extra answers, if any
    ) -> None:
        self.node = node
        self.title = title
        self.description = description
        self.category = category
        self.channel = channel
        self.location = location
        self.photos = photos
        self.contact_sealed = contact_sealed
        self.reporter = reporter
        self.fingerprint = fingerprint
        self.raised_at = at
        self.attributes = attributes or {}
        self.status = "raised"
        self.handling_node = node  # where it is handled; triage and escalation move it
        self.escalated_from: list[str] = []  # tiers that handed it up: they may still add notes
        self.level: str | None = None
        self.departments: list[str] = []
        self.ack_by: str | None = None
        self.resolve_by: str | None = None
        self.whistles: list[str] = []
        self.assignee: dict[str, str] | None = None
        self.assignees: list[dict[str, Any]] = []
        self.resolution: dict[str, Any] | None = None
        self.followers: list[str] = []  # reporters of issues merged into this one
        self.cosigners: list[str] = []  # residents who said "me too" (附议)
        self.merged_into: str | None = None
        self.round = 1  # the n-th time it is being resolved; a reopening starts the next
        self.reopenings = 0
        self.supervised: list[str] = []  # "acknowledge", "resolve:<round>", "unsatisfied:<round>"
        self.notes = 0

    @property
    def reporters(self) -> list[str]:
        """Everyone who raised this problem: who is told its outcome and may rate it."""
        return [self.reporter, *self.followers,
                *(c for c in self.cosigners if c not in self.followers)]

    @property
    def supervisor(self) -> str:
        """The tier above the one handling the issue: it supervises (督办) when it is late."""
        return parent_of(self.handling_node) or self.handling_node

    # -- commands -------------------------------------------------------------------------

    def triage(self, route: Route, category: str, reason: str, at: datetime,
               meta: Meta) -> None:
        """理事: route to the handling level and set the deadlines (again after a
        reclassification; the deadlines still run from when it was raised)."""
        self._require_status("triage", *OPEN)
        self._triaged(category=category, level=route.level, handling_node=route.handling_node,
                      departments=route.departments, ack_by=route.ack_by,
                      resolve_by=route.resolve_by, mode=route.mode, reason=reason,
                      at=at.isoformat(), tier=self.node, meta=meta)

    def classify(self, category: str, at: datetime, meta: Meta) -> None:
        self._require_status("classify", *OPEN)
        if category == self.category:
            raise IllegalTransition(f"the issue is already classified as '{category}'")
        self._classified(category=category, previous=self.category, at=at.isoformat(),
                         tier=self.node, meta=meta)

    def acknowledge(self, note: str, at: datetime, meta: Meta) -> None:
        self._require_status("acknowledge", "raised")
        self._acknowledged(note=note, at=at.isoformat(), tier=self.node, meta=meta)

    def assign(self, assignee: dict[str, str], note: str, at: datetime, meta: Meta,
               consultation_id: str | None = None) -> None:
        self._require_status("assign", *WORKING)
        if assignee.get("kind") not in ASSIGNEE_KINDS:
            raise Invalid(f"an assignee's kind is one of {', '.join(ASSIGNEE_KINDS)}",
                          field="assignee.kind")
        self._assigned(assignee=assignee, note=note, consultation_id=consultation_id,
                       at=at.isoformat(), tier=self.node, meta=meta)

    def note_progress(self, note: str, photos: list[str], at: datetime, meta: Meta) -> None:
        """干事: what was done so far, with photos, for the reporter and the tiers above."""
        self._require_status("add progress to", *WORKING)
        self._progress_noted(note=note, photos=photos, at=at.isoformat(), tier=self.node,
                             meta=meta)

    def resolve(self, resolution: str, evidence: list[str], at: datetime, meta: Meta) -> None:
        self._require_status("resolve", *WORKING)
        self._resolved(resolution=resolution, evidence=evidence, round=self.round,
                       reporters=self.reporters, at=at.isoformat(), tier=self.node, meta=meta)

    def escalate(self, to_node: str, reason: str, at: datetime, meta: Meta) -> None:
        """逐级上报: hand the issue to the tier directly above the one handling it."""
        self._require_status("escalate", *OPEN)
        above = parent_of(self.handling_node)
        if above is None:
            raise IllegalTransition(f"'{self.handling_node}' is the top tier; there is no "
                                    "tier above it to escalate to")
        if to_node != above:
            raise Invalid(f"escalation goes up tier by tier: the tier above "
                          f"'{self.handling_node}' is '{above}', not '{to_node}'", field="to")
        if not reason.strip():
            raise Invalid("say why the issue is beyond this tier", field="reason")
        self._escalated(to_node=to_node, from_node=self.handling_node, reason=reason,
                        at=at.isoformat(), tier=self.node, meta=meta)

    def mark_whistled(self, whistle_id: str, departments: list[str], at_node: str,
                      meta: Meta) -> bool:
        """Record a whistle blown for this issue; seeing the same whistle again is a no-op
        (the policy that calls this may be handed an event twice)."""
        if whistle_id in self.whistles:
            return False
        self._whistled(whistle_id=whistle_id, departments=departments, at_node=at_node,
                       tier=self.node, meta=meta)
        return True

    def close(self, note: str, at: datetime, meta: Meta) -> None:
        self._require_status("close", "resolved")
        self._closed(note=note, at=at.isoformat(), tier=self.node, meta=meta)

    def merge_into(self, survivor: Issue, at: datetime, meta: Meta) -> None:
        """The same problem at the same place, raised twice: this one closes into the
        survivor, whose outcome its reporters follow from now on."""
        if survivor.id == self.id:
            raise Invalid("an issue cannot be merged into itself", field="into")
        self._require_status("merge", *OPEN)
        survivor._require_status("merge into", *OPEN)
        if survivor.node != self.node:
            raise Invalid(f"only duplicates at the same place merge: this issue is at "
                          f"'{self.node}', the other at '{survivor.node}'", field="into")
        self._merged(into=str(survivor.id), at=at.isoformat(), tier=self.node, meta=meta)
        survivor._absorbed(duplicate_id=str(self.id), reporters=self.reporters,
                           at=at.isoformat(), tier=survivor.node, meta=meta)

    def cosign(self, resident: str, at: datetime, meta: Meta) -> bool:
        """A resident says "me too" (附议): they follow the issue from now on (told its
        outcome, may rate it) and count as one more person affected. Once per resident:
        someone already following records nothing (returns False)."""
        self._require_status("co-sign", *OPEN)
        if resident in self.reporters:
            return False
        self._cosigned(resident=resident, cosigners=len(self.cosigners) + 1,
                       at=at.isoformat(), tier=self.node, meta=meta)
        return True

    def reopen_after_rating(self, round: int, rating_id: str, resolve_by: str,
                            max_reopenings: int, at: datetime, meta: Meta) -> str | None:
        """An "unsatisfied" rating of this round's resolution reopens the issue, at most
        `max_reopenings` times; after that the tier above supervises it instead. A rating of
        an earlier round, or one heard twice, changes nothing. Returns what happened."""
        if round != self.round or self.status not in ("resolved", "closed"):
            return None
        if self.reopenings >= max_reopenings:
            return "supervised" if self._supervise("unsatisfied", None, at, meta) else None
        self._reopened(round=self.round + 1, rating_id=rating_id,
                       reason="居民评价不满意", resolve_by=resolve_by, at=at.isoformat(),
                       tier=self.node, meta=meta)
        return "reopened"

    def overdue_now(self, now: datetime) -> list[tuple[str, str]]:
        """Deadlines passed and not yet supervised: (kind, deadline) pairs."""
        due = []
        if (self.status == "raised" and self.ack_by and "acknowledge" not in self.supervised
                and now > datetime.fromisoformat(self.ack_by)):
            due.append(("acknowledge", self.ack_by))
        if (self.status in OPEN and self.resolve_by
                and f"resolve:{self.round}" not in self.supervised
                and now > datetime.fromisoformat(self.resolve_by)):
            due.append(("resolve", self.resolve_by))
        return due

    def supervise_overdue(self, now: datetime, meta: Meta) -> list[str]:
        """督办: one Supervised per missed deadline, however often the watcher asks."""
        return [kind for kind, deadline in self.overdue_now(now)
                if self._supervise(kind, deadline, now, meta)]

    # -- rules ----------------------------------------------------------------------------

    def _supervise(self, kind: str, deadline: str | None, at: datetime, meta: Meta) -> bool:
        key = kind if kind == "acknowledge" else f"{kind}:{self.round}"
        if key in self.supervised:
            return False
        self._supervised(kind=kind, deadline=deadline, supervisor=self.supervisor,
                         handling_node=self.handling_node, round=self.round,
                         at=at.isoformat(), tier=self.node, meta=meta)
        return True

    def _require_status(self, action: str, *allowed: str) -> None:
        if self.status not in allowed:
            raise IllegalTransition(
                f"cannot {action} an issue that is {self.status}; "
                f"it must be {' or '.join(allowed)}",
                current_status=self.status,
            )

    # -- events ---------------------------------------------------------------------------

    @event("Triaged", topic="gongzhi.issue.triaged.v1")
    def _triaged(self, category: str, level: str, handling_node: str, departments: list[str],
                 ack_by: str, resolve_by: str, mode: str, reason: str, at: str, tier: str,
                 meta: Meta) -> None:
        self.category = category
        self.level = level
        self.handling_node = handling_node
        self.departments = departments
        self.ack_by = ack_by
        self.resolve_by = resolve_by

    @event("Classified", topic="gongzhi.issue.classified.v1")
    def _classified(self, category: str, previous: str, tier: str, meta: Meta,
                    at: str | None = None) -> None:
        self.category = category

    @event("Acknowledged", topic="gongzhi.issue.acknowledged.v1")
    def _acknowledged(self, note: str, tier: str, meta: Meta, at: str | None = None) -> None:
        self.status = "acknowledged"

    @event("Assigned", topic="gongzhi.issue.assigned.v1")
    def _assigned(self, assignee: dict[str, str], note: str, tier: str, meta: Meta,
                  consultation_id: str | None = None, at: str | None = None) -> None:
        self.status = "assigned"
        self.assignee = assignee
        self.assignees.append({**assignee, "consultation_id": consultation_id})

    @event("ProgressNoted", topic="gongzhi.issue.progress_noted.v1")
    def _progress_noted(self, note: str, photos: list[str], at: str, tier: str,
                        meta: Meta) -> None:
        self.notes += 1

    class Resolved(TieredAggregate.Event):
        """v2 (contracts.issues.IssueResolved): round, reporters and at always set. The log
        still holds v1 events: their old topic resolves here, and eventsourcing upcasts
        their state by the contract's own upcaster when the issue is loaded."""

        TOPIC = IssueResolved.TYPE
        class_version = 2
        resolution: str
        evidence: list[str]
        round: int
        reporters: list[str]
        at: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(upcast(_RESOLVED_V1, state, state["timestamp"].isoformat())[1])

    @event(Resolved)
    def _resolved(self, resolution: str, evidence: list[str], round: int,
                  reporters: list[str], at: str, tier: str, meta: Meta) -> None:
        self.status = "resolved"
        self.resolution = {"text": resolution, "evidence": evidence, "round": round}

    @event("Reopened", topic="gongzhi.issue.reopened.v1")
    def _reopened(self, round: int, rating_id: str, reason: str, resolve_by: str, at: str,
                  tier: str, meta: Meta) -> None:
        self.status = "reopened"
        self.round = round
        self.reopenings += 1
        self.resolve_by = resolve_by

    @event("Escalated", topic="gongzhi.issue.escalated.v1")
    def _escalated(self, to_node: str, from_node: str, reason: str, tier: str,
                   meta: Meta, at: str | None = None) -> None:
        self.handling_node = to_node
        self.escalated_from.append(from_node)

    @event("Supervised", topic="gongzhi.issue.supervised.v1")
    def _supervised(self, kind: str, deadline: str | None, supervisor: str,
                    handling_node: str, round: int, at: str, tier: str, meta: Meta) -> None:
        self.supervised.append(kind if kind == "acknowledge" else f"{kind}:{round}")

    @event("Whistled", topic="gongzhi.issue.whistled.v1")
    def _whistled(self, whistle_id: str, departments: list[str], at_node: str, tier: str,
                  meta: Meta) -> None:
        self.whistles.append(whistle_id)

    @event("Merged", topic="gongzhi.issue.merged.v1")
    def _merged(self, into: str, at: str, tier: str, meta: Meta) -> None:
        self.status = "merged"
        self.merged_into = into

    @event("Absorbed", topic="gongzhi.issue.absorbed.v1")
    def _absorbed(self, duplicate_id: str, reporters: list[str], at: str, tier: str,
                  meta: Meta) -> None:
        self.followers.extend(r for r in reporters if r not in self.reporters)

    @event("Cosigned", topic="gongzhi.issue.cosigned.v1")
    def _cosigned(self, resident: str, cosigners: int, at: str, tier: str,
                  meta: Meta) -> None:
        self.cosigners.append(resident)

    @event("Closed", topic="gongzhi.issue.closed.v1")
    def _closed(self, note: str, tier: str, meta: Meta, at: str | None = None) -> None:
        self.status = "closed"


register_topic(_RESOLVED_V1, Issue.Resolved)  # type: ignore[attr-defined]

# The status each event leaves an issue in, by public type: read models that follow issues
# from their events use the aggregate's own rule instead of restating it.
STATUS_AFTER: dict[str, str] = {
    Issue.Raised.TOPIC: "raised",  # type: ignore[attr-defined]
    Issue.Acknowledged.TOPIC: "acknowledged",  # type: ignore[attr-defined]
    Issue.Assigned.TOPIC: "assigned",  # type: ignore[attr-defined]
    Issue.Resolved.TOPIC: "resolved",  # type: ignore[attr-defined]
    Issue.Reopened.TOPIC: "reopened",  # type: ignore[attr-defined]
    Issue.Closed.TOPIC: "closed",  # type: ignore[attr-defined]
    Issue.Merged.TOPIC: "merged",  # type: ignore[attr-defined]
}
