"""The issues Application: load an issue, ask it to act, save. Nothing else happens here.

Node existence is checked by the caller against the tier read model (an async query) before a
command reaches us; everything checkable from the issue itself is the aggregate's business.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.issues.application_consultations import ConsultationCommands
from services.issues.domain.catalog import Catalog, initial_catalog
from services.issues.domain.issue import Issue
from services.issues.domain.triage import Route, resolve_again_by, route
from services.issues.placement import Placement
from shared.clock import Clock, SystemClock
from shared.domain import Meta
from shared.errors import Conflict, NotFound
from shared.eventstore import ServiceApplication, history
from shared.sealing import Sealer


@dataclass(frozen=True)
class RaiseIssue:
    node: str
    title: str
    description: str
    category: str
    channel: str
    location: dict[str, Any] | None
    photos: list[str]
    contact: dict[str, str] | None
    attributes: dict[str, Any] | None = None  # checked against the category's definitions

    def fingerprint(self, sealer: Sealer) -> str:
        """What a retry must repeat exactly for its Idempotency-Key to stand. Keyed with the
        data key: the command holds the contact, and an unkeyed hash beside public fields
        gives a phone number away to brute force in a second."""
        # Without attributes a request hashes as it did before they existed.
        fields = {k: v for k, v in self.__dict__.items() if k != "attributes" or v}
        body = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
        return sealer.digest(body)


class IssuesApplication(ConsultationCommands, ServiceApplication):
    name = "issues"
    CATALOG_TTL = 5.0  # seconds another replica's catalog change may take to be seen here

    def __init__(self, *, sealer: Sealer, clock: Clock | None = None,
                 emergency_factor: float = 0.5, max_reopenings: int = 1,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sealer = sealer
        self.clock = clock or SystemClock()
        self.emergency_factor = emergency_factor
        self.max_reopenings = max_reopenings
        self._catalog: tuple[float, Catalog] | None = None
        self._catalog_lock = threading.Lock()

    # -- the catalog ----------------------------------------------------------------------

    def catalog(self) -> Catalog:
        """The category catalog, seeded from the data file the first time it is asked for,
        kept for a few seconds: raising an issue should not read the catalog's history."""
        cached = self._catalog
        if cached and time.monotonic() - cached[0] < self.CATALOG_TTL:
            return cached[1]
        # One thread refreshes; the others keep the catalog they have rather than queue
        # behind it (with the store down, each would wait out its own connect timeout).
        if not self._catalog_lock.acquire(blocking=cached is None):
            assert cached is not None
            return cached[1]
        try:
            if self._catalog and time.monotonic() - self._catalog[0] < self.CATALOG_TTL:
                return self._catalog[1]
            catalog = self._find_catalog()
            self._catalog = (time.monotonic(), catalog)
            return catalog
        finally:
            self._catalog_lock.release()

    def set_category(self, item: dict[str, Any], top_name: str | None, reason: str,
                     meta: Meta) -> Catalog:
        return self._change_catalog(lambda c: c.set_item(item, top_name, reason, meta))

    def retire_category(self, code: str, reason: str, meta: Meta) -> Catalog:
        return self._change_catalog(lambda c: c.retire_item(code, reason, meta))

    def catalog_history(self) -> list[dict[str, Any]]:
        """Empty until the first change: before it, the catalog is the data file's."""
        return history(self, Catalog.ID)

    # -- issues ---------------------------------------------------------------------------

    def raise_issue(
        self, cmd: RaiseIssue, *, reporter: str, meta: Meta, placement: Placement,
        idempotency_key: str | None = None,
    ) -> tuple[Issue, bool]:
        """Raise and triage in one transaction: from its first event the issue has a
        handling node and deadlines. Returns the issue and whether this call created it
        (False for a retry)."""
        issue_id = Issue.id_for(reporter, idempotency_key) if idempotency_key else uuid4()
        fingerprint = cmd.fingerprint(self.sealer)
        if idempotency_key and (earlier := self._find(issue_id)) is not None:
            return self._same_request(earlier, fingerprint), False
        rule = self.catalog().rule_for(cmd.category)
        now = self.clock.now()
        issue = Issue(
            id=issue_id,
            node=cmd.node,
            title=cmd.title,
            description=cmd.description,
            category=cmd.category,
            channel=cmd.channel,
            location=cmd.location,
            photos=cmd.photos,
            contact_sealed=self.sealer.seal(cmd.contact) if cmd.contact else None,
            reporter=reporter,
            fingerprint=fingerprint,
            tier=cmd.node,
            meta=meta,
            at=now.isoformat(),
            **({"attributes": cmd.attributes} if cmd.attributes else {}),
        )
        issue.triage(self._route(rule, placement, now), cmd.category, "按分类目录自动分派",
                     now, meta)
        try:
            self.save(issue)
        except IntegrityError:
            # The same key raced us from another request: theirs won, ours is the retry.
            return self._same_request(self.get_issue(issue_id), fingerprint), False
        return issue, True

    def classify(self, issue_id: UUID, category: str, placement: Placement,
                 meta: Meta) -> Issue:
        """A new category re-routes the issue by that category's rule."""
        rule = self.catalog().rule_for(category)

        def reclassify(issue: Issue) -> None:
            issue.classify(category, self.clock.now(), meta)
            issue.triage(self._route(rule, placement, self._since(issue)), category,
                         "重新分类", self.clock.now(), meta)
        return self._act(issue_id, reclassify)

    def triage(self, issue_id: UUID, level: str | None, reason: str, placement: Placement,
               meta: Meta) -> Issue:
        """理事 by a person: the category's routing, or another level with a reason."""
        def route(issue: Issue) -> None:
            rule = dict(self.catalog().rule_for(issue.category))
            if level:
                rule["level"] = level
            issue.triage(self._route(rule, placement, self._since(issue)), issue.category,
                         reason, self.clock.now(), meta)
        return self._act(issue_id, route)

    def acknowledge(self, issue_id: UUID, note: str, meta: Meta) -> Issue:
        return self._act(issue_id, lambda i: i.acknowledge(note, self.clock.now(), meta))

    def assign(self, issue_id: UUID, assignee: dict[str, str], note: str, meta: Meta) -> Issue:
        return self._act(issue_id, lambda i: i.assign(assignee, note, self.clock.now(), meta))

    def note_progress(self, issue_id: UUID, note: str, photos: list[str], meta: Meta) -> Issue:
        return self._act(issue_id,
                         lambda i: i.note_progress(note, photos, self.clock.now(), meta))

    def resolve(self, issue_id: UUID, resolution: str, evidence: list[str], meta: Meta) -> Issue:
        return self._act(issue_id,
                         lambda i: i.resolve(resolution, evidence, self.clock.now(), meta))

    def escalate(self, issue_id: UUID, to_node: str, reason: str, meta: Meta) -> Issue:
        return self._act(issue_id, lambda i: i.escalate(to_node, reason, self.clock.now(), meta))

    def merge(self, duplicate_id: UUID, survivor_id: UUID, meta: Meta) -> tuple[Issue, Issue]:
        """Both issues change in one transaction, or neither does."""
        pair, _ = self.change_and_save(
            lambda: (self.get_issue(duplicate_id), self.get_issue(survivor_id)),
            lambda p: p[0].merge_into(p[1], self.clock.now(), meta), "the issues")
        return pair

    def cosign(self, issue_id: UUID, resident: str, meta: Meta) -> tuple[Issue, bool]:
        """Returns the issue and whether a co-signature was recorded."""
        return self.change_and_save(lambda: self.get_issue(issue_id),
                                    lambda i: i.cosign(resident, self.clock.now(), meta),
                                    "the issue")

    def mark_whistled(self, issue_id: UUID, whistle_id: str, departments: list[str],
                      at_node: str, meta: Meta) -> Issue:
        return self._act(issue_id, lambda i: i.mark_whistled(whistle_id, departments, at_node,
                                                             meta))

    def reopen_after_rating(self, issue_id: UUID, round: int, rating_id: str,
                            placement: Placement, meta: Meta) -> str | None:
        def reopen(issue: Issue) -> str | None:
            now = self.clock.now()
            rule = self.catalog().rule_for(issue.category)
            return issue.reopen_after_rating(
                round, rating_id, resolve_again_by(rule, placement.mode, self.emergency_factor,
                                                   now),
                self.max_reopenings, now, meta)
        _, outcome = self.change_and_save(lambda: self.get_issue(issue_id), reopen, "the issue")
        return outcome

    def supervise_overdue(self, issue_id: UUID, meta: Meta) -> list[str]:
        _, kinds = self.change_and_save(
            lambda: self.get_issue(issue_id),
            lambda i: i.supervise_overdue(self.clock.now(), meta), "the issue")
        return kinds

    def close_issue(self, issue_id: UUID, note: str, meta: Meta) -> Issue:
        # Not `close`: Application.close() releases the database connections.
        return self._act(issue_id, lambda i: i.close(note, self.clock.now(), meta))

    def get_issue(self, issue_id: UUID) -> Issue:
        issue = self._find(issue_id)
        if issue is None:
            raise NotFound(f"no issue {issue_id}")
        return issue

    def history(self, issue_id: UUID) -> list[dict[str, Any]]:
        return history(self, issue_id)

    def contact_of(self, issue: Issue) -> dict[str, str] | None:
        return self.sealer.open(issue.contact_sealed) if issue.contact_sealed else None

    # -- helpers --------------------------------------------------------------------------

    def _route(self, rule: dict[str, Any], placement: Placement, since: datetime) -> Route:
        return route(rule, placement.ancestry, placement.mode, self.emergency_factor, since)

    def _since(self, issue: Issue) -> datetime:
        return datetime.fromisoformat(issue.raised_at) if issue.raised_at else self.clock.now()

    def _find(self, issue_id: UUID) -> Issue | None:
        try:
            return self.repository.get(issue_id)
        except AggregateNotFoundError:
            return None

    def _find_catalog(self) -> Catalog:
        """The stored catalog, or, until an administrator first changes it, the one the data
        file describes: reading the catalog never writes (its seed is stored with the first
        change, in the same transaction)."""
        try:
            return self.repository.get(Catalog.ID)
        except AggregateNotFoundError:
            seed = {"actor": {"sub": "gongzhi", "role": "system", "name": "分类目录初始化"}}
            return Catalog(id=Catalog.ID, tops=initial_catalog(), tier="", meta=seed)

    def _change_catalog(self, change: Callable[[Catalog], object]) -> Catalog:
        catalog, _ = self.change_and_save(self._find_catalog, change, "the catalog")
        with self._catalog_lock:
            self._catalog = (time.monotonic(), catalog)
        return catalog

    def _act(self, issue_id: UUID, change: Callable[[Issue], object]) -> Issue:
        issue, _ = self.change_and_save(lambda: self.get_issue(issue_id), change, "the issue")
        return issue

    @staticmethod
    def _same_request(issue: Issue, fingerprint: str) -> Issue:
        if issue.fingerprint != fingerprint:
            raise Conflict("this Idempotency-Key was already used for a different issue")
        return issue
