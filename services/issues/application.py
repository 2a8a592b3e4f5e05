"""The issues Application: load an issue, ask it to act, save. Nothing else happens here.

Node existence is checked by the caller against the tier read model (an async query) before a
command reaches us; everything checkable from the issue itself is the aggregate's business.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.issues.application_consultations import ConsultationCommands
from services.issues.domain.issue import Issue, Meta
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

    def fingerprint(self) -> str:
        """What a retry must repeat exactly for its Idempotency-Key to stand."""
        body = json.dumps(self.__dict__, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(body.encode()).hexdigest()


class IssuesApplication(ConsultationCommands, ServiceApplication):
    name = "issues"

    def __init__(self, *, sealer: Sealer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sealer = sealer

    def raise_issue(
        self, cmd: RaiseIssue, *, reporter: str, meta: Meta, idempotency_key: str | None = None
    ) -> tuple[Issue, bool]:
        """Returns the issue and whether this call created it (False for a retry)."""
        issue_id = Issue.id_for(reporter, idempotency_key) if idempotency_key else uuid4()
        fingerprint = cmd.fingerprint()
        if idempotency_key and (earlier := self._find(issue_id)) is not None:
            return self._same_request(earlier, fingerprint), False
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
        )
        try:
            self.save(issue)
        except IntegrityError:
            # The same key raced us from another request: theirs won, ours is the retry.
            return self._same_request(self.get_issue(issue_id), fingerprint), False
        return issue, True

    def classify(self, issue_id: UUID, category: str, meta: Meta) -> Issue:
        return self._act(issue_id, lambda i: i.classify(category, meta))

    def acknowledge(self, issue_id: UUID, note: str, meta: Meta) -> Issue:
        return self._act(issue_id, lambda i: i.acknowledge(note, meta))

    def assign(self, issue_id: UUID, assignee: dict[str, str], note: str, meta: Meta) -> Issue:
        return self._act(issue_id, lambda i: i.assign(assignee, note, meta))

    def resolve(self, issue_id: UUID, resolution: str, evidence: list[str], meta: Meta) -> Issue:
        return self._act(issue_id, lambda i: i.resolve(resolution, evidence, meta))

    def escalate(self, issue_id: UUID, to_node: str, reason: str, meta: Meta) -> Issue:
        return self._act(issue_id, lambda i: i.escalate(to_node, reason, meta))

    def mark_whistled(self, issue_id: UUID, whistle_id: str, departments: list[str],
                      at_node: str, meta: Meta) -> Issue:
        return self._act(issue_id, lambda i: i.mark_whistled(whistle_id, departments, at_node,
                                                             meta))

    def close_issue(self, issue_id: UUID, note: str, meta: Meta) -> Issue:
        # Not `close`: Application.close() releases the database connections.
        return self._act(issue_id, lambda i: i.close(note, meta))

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

    def _find(self, issue_id: UUID) -> Issue | None:
        try:
            return self.repository.get(issue_id)
        except AggregateNotFoundError:
            return None

    def _act(self, issue_id: UUID, change: Callable[[Issue], object]) -> Issue:
        issue, _ = self.change_and_save(lambda: self.get_issue(issue_id), change, "the issue")
        return issue

    @staticmethod
    def _same_request(issue: Issue, fingerprint: str) -> Issue:
        if issue.fingerprint != fingerprint:
            raise Conflict("this Idempotency-Key was already used for a different issue")
        return issue
