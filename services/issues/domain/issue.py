"""The Issue aggregate: a resident's problem at one tier node, and what was done about it.

Each public method checks its rule first, then records one event; the `@event` methods only
change state. Event topics are the public CloudEvents types, versioned.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.errors import IllegalTransition, Invalid
from shared.eventstore import TieredAggregate

CHANNELS = ("app", "hotline", "grid_patrol", "probe", "visit")
STATUSES = ("raised", "acknowledged", "assigned", "resolved", "closed")
ASSIGNEE_KINDS = (
    "grid_worker", "building_head", "compound_head", "property_company",
    "owners_committee", "volunteer_team", "community_staff", "department",
)
_IDEMPOTENCY_NS = uuid5(NAMESPACE_URL, "https://gongzhi.dev/issues/idempotency")

Meta = dict[str, Any]


class Issue(TieredAggregate):
    TOPIC = "gongzhi.issue"

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.issue.created.v1"  # required by eventsourcing; never emitted

    @staticmethod
    def id_for(reporter: str, idempotency_key: str) -> UUID:
        """A retried create with the same key finds the issue it already made."""
        return uuid5(_IDEMPOTENCY_NS, f"{reporter}\x1f{idempotency_key}")

    @event("Raised", topic="gongzhi.issue.raised.v1")
    def __init__(
        self,
        *,
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
        self.status = "raised"
        self.handling_node = node  # where it is handled; escalation moves it up the tiers
        self.whistles: list[str] = []
        self.assignee: dict[str, str] | None = None
        self.resolution: dict[str, Any] | None = None

    # -- commands -------------------------------------------------------------------------

    def classify(self, category: str, meta: Meta) -> None:
        self._require_open("classify")
        if category == self.category:
            raise IllegalTransition(f"the issue is already classified as '{category}'")
        self._classified(category=category, previous=self.category, tier=self.node, meta=meta)

    def acknowledge(self, note: str, meta: Meta) -> None:
        self._require_status("acknowledge", "raised")
        self._acknowledged(note=note, tier=self.node, meta=meta)

    def assign(self, assignee: dict[str, str], note: str, meta: Meta) -> None:
        self._require_status("assign", "acknowledged", "assigned")
        self._assigned(assignee=assignee, note=note, tier=self.node, meta=meta)

    def resolve(self, resolution: str, evidence: list[str], meta: Meta) -> None:
        self._require_status("resolve", "acknowledged", "assigned")
        self._resolved(resolution=resolution, evidence=evidence, tier=self.node, meta=meta)

    def escalate(self, to_node: str, reason: str, meta: Meta) -> None:
        """逐级上报: hand the issue to a tier above the one handling it."""
        self._require_open("escalate")
        if not self.handling_node.startswith(to_node + "."):
            raise Invalid(
                f"escalation goes up the tiers: '{to_node}' is not above '{self.handling_node}'",
                field="to")
        self._escalated(to_node=to_node, from_node=self.handling_node, reason=reason,
                        tier=self.node, meta=meta)

    def mark_whistled(self, whistle_id: str, departments: list[str], at_node: str,
                      meta: Meta) -> bool:
        """Record a whistle blown for this issue; seeing the same whistle again is a no-op
        (the policy that calls this may be handed an event twice)."""
        if whistle_id in self.whistles:
            return False
        self._whistled(whistle_id=whistle_id, departments=departments, at_node=at_node,
                       tier=self.node, meta=meta)
        return True

    def close(self, note: str, meta: Meta) -> None:
        self._require_status("close", "resolved")
        self._closed(note=note, tier=self.node, meta=meta)

    # -- rules ----------------------------------------------------------------------------

    def _require_status(self, action: str, *allowed: str) -> None:
        if self.status not in allowed:
            raise IllegalTransition(
                f"cannot {action} an issue that is {self.status}; "
                f"it must be {' or '.join(allowed)}",
                current_status=self.status,
            )

    def _require_open(self, action: str) -> None:
        if self.status in ("resolved", "closed"):
            raise IllegalTransition(
                f"cannot {action} an issue that is {self.status}", current_status=self.status
            )

    # -- events ---------------------------------------------------------------------------

    @event("Classified", topic="gongzhi.issue.classified.v1")
    def _classified(self, category: str, previous: str, tier: str, meta: Meta) -> None:
        self.category = category

    @event("Acknowledged", topic="gongzhi.issue.acknowledged.v1")
    def _acknowledged(self, note: str, tier: str, meta: Meta) -> None:
        self.status = "acknowledged"

    @event("Assigned", topic="gongzhi.issue.assigned.v1")
    def _assigned(self, assignee: dict[str, str], note: str, tier: str, meta: Meta) -> None:
        self.status = "assigned"
        self.assignee = assignee

    @event("Resolved", topic="gongzhi.issue.resolved.v1")
    def _resolved(self, resolution: str, evidence: list[str], tier: str, meta: Meta) -> None:
        self.status = "resolved"
        self.resolution = {"text": resolution, "evidence": evidence}

    @event("Escalated", topic="gongzhi.issue.escalated.v1")
    def _escalated(self, to_node: str, from_node: str, reason: str, tier: str,
                   meta: Meta) -> None:
        self.handling_node = to_node

    @event("Whistled", topic="gongzhi.issue.whistled.v1")
    def _whistled(self, whistle_id: str, departments: list[str], at_node: str, tier: str,
                  meta: Meta) -> None:
        self.whistles.append(whistle_id)

    @event("Closed", topic="gongzhi.issue.closed.v1")
    def _closed(self, note: str, tier: str, meta: Meta) -> None:
        self.status = "closed"


# The status each event leaves an issue in, by public type: read models that follow issues
# from their events use the aggregate's own rule instead of restating it.
STATUS_AFTER: dict[str, str] = {
    Issue.Raised.TOPIC: "raised",  # type: ignore[attr-defined]
    Issue.Acknowledged.TOPIC: "acknowledged",  # type: ignore[attr-defined]
    Issue.Assigned.TOPIC: "assigned",  # type: ignore[attr-defined]
    Issue.Resolved.TOPIC: "resolved",  # type: ignore[attr-defined]
    Issue.Closed.TOPIC: "closed",  # type: ignore[attr-defined]
}
