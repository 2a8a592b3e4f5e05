"""A functional department (城管, 公安, 住建 …): what it handles, where, and how it is told.

Its webhook registrations live here too, as events, so a department's subscriptions have a
history and survive any rebuild; the signing secret is sealed like any personal detail.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain import Meta, TieredAggregate
from shared.errors import Conflict, Invalid, NotFound
from shared.tiers import is_within

_DEPT_NS = uuid5(NAMESPACE_URL, "https://gongzhi.dev/grid/departments")

class Department(TieredAggregate):
    TOPIC = "gongzhi.department"

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.department.created.v1"  # required by eventsourcing; never emitted

    @staticmethod
    def id_for(code: str) -> UUID:
        return uuid5(_DEPT_NS, code)

    @event("Registered", topic="gongzhi.department.registered.v1")
    def __init__(
        self, *, id: UUID, code: str, name: str, kind: str,
        categories: list[str], jurisdiction: list[str], tier: str, meta: Meta,
    ) -> None:
        self.code = code
        self.name = name
        self.kind = kind
        self.categories = categories
        self.jurisdiction = jurisdiction
        self.webhooks: dict[str, dict[str, str]] = {}

    def covers(self, node: str) -> bool:
        return any(is_within(node, area) for area in self.jurisdiction)

    def require_jurisdiction(self, node: str) -> None:
        if not self.covers(node):
            raise Invalid(
                f"department {self.code} has no jurisdiction at '{node}' "
                f"(it covers {', '.join(self.jurisdiction)})", department=self.code)

    def register_webhook(self, hook_id: str, url: str, secret_sealed: str, meta: Meta) -> None:
        if any(h["url"] == url for h in self.webhooks.values()):
            raise Conflict(f"{url} is already registered for {self.code}")
        self._webhook_registered(hook_id=hook_id, department=self.code, url=url,
                                 secret_sealed=secret_sealed, tier=self.jurisdiction[0], meta=meta)

    def remove_webhook(self, hook_id: str, meta: Meta) -> None:
        if hook_id not in self.webhooks:
            raise NotFound(f"no webhook {hook_id} for {self.code}")
        self._webhook_removed(hook_id=hook_id, tier=self.jurisdiction[0], meta=meta)

    @event("WebhookRegistered", topic="gongzhi.department.webhook_registered.v1")
    def _webhook_registered(self, hook_id: str, department: str, url: str, secret_sealed: str,
                            tier: str, meta: Meta) -> None:
        self.webhooks[hook_id] = {"url": url, "secret_sealed": secret_sealed}

    @event("WebhookRemoved", topic="gongzhi.department.webhook_removed.v1")
    def _webhook_removed(self, hook_id: str, tier: str, meta: Meta) -> None:
        del self.webhooks[hook_id]
