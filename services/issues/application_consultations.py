"""Consultations (议事): the commands IssuesApplication inherits.

A mixin rather than a service of its own, because a conclusion on an issue assigns that issue
in the same transaction (the issue's own rules decide whether it may be assigned now). The
inheriting Application provides `repository`, `save`, `change_and_save`, `clock` and
`get_issue`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.issues.domain.consultation import Consultation, Meta
from services.issues.domain.issue import Issue
from shared.clock import Clock
from shared.errors import Conflict, IllegalTransition, Invalid, NotFound
from shared.eventstore import history
from shared.tiers import is_within

T = TypeVar("T")


@dataclass(frozen=True)
class OpenConsultation:
    node: str
    issue_id: UUID | None
    topic: str
    form: str
    convenor: dict[str, str]
    parties: list[dict[str, str]]
    proposals: list[dict[str, str]]
    eligible: list[str]
    rule: str
    quorum: str | None
    allow_change: bool

    def fingerprint(self) -> str:
        """What a retry must repeat exactly for its Idempotency-Key to stand."""
        body = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(body.encode()).hexdigest()


class ConsultationCommands:
    repository: Any
    save: Callable[..., Any]
    change_and_save: Callable[..., Any]
    clock: Clock
    get_issue: Callable[[UUID], Issue]

    def open_consultation(self, cmd: OpenConsultation, *, convenor: str, meta: Meta,
                          idempotency_key: str | None = None) -> tuple[Consultation, bool]:
        """Returns the consultation and whether this call opened it (False for a retry)."""
        cid = Consultation.id_for(convenor, idempotency_key) if idempotency_key else uuid4()
        fingerprint = cmd.fingerprint()
        if idempotency_key and (earlier := self._find_consultation(cid)) is not None:
            return self._same_opening(earlier, fingerprint), False
        if cmd.issue_id is not None:
            self._require_issue_here(cmd.issue_id, cmd.node)
        consultation = Consultation.open(
            id=cid, node=cmd.node, issue_id=str(cmd.issue_id) if cmd.issue_id else None,
            topic=cmd.topic, form=cmd.form, convenor=cmd.convenor, parties=cmd.parties,
            proposals=cmd.proposals, eligible=cmd.eligible, rule=cmd.rule, quorum=cmd.quorum,
            allow_change=cmd.allow_change, fingerprint=fingerprint, at=self.clock.now(),
            meta=meta)
        try:
            self.save(consultation)
        except IntegrityError:  # the same key raced us: theirs won, ours is the retry
            return self._same_opening(self.get_consultation(cid), fingerprint), False
        return consultation, True

    def add_proposal(self, cid: UUID, title: str, description: str,
                     meta: Meta) -> tuple[Consultation, str]:
        return self._on_consultation(
            cid, lambda c: c.add_proposal(title, description, self.clock.now(), meta))

    def cast_vote(self, cid: UUID, household: str, proposal: str, choice: str,
                  resident: str | None, meta: Meta) -> tuple[Consultation, bool]:
        """`resident` is the resident account voting online; None for a paper ballot."""
        return self._on_consultation(
            cid, lambda c: c.vote(household, proposal, choice, resident, self.clock.now(),
                                  meta))

    def close_voting(self, cid: UUID, meta: Meta) -> Consultation:
        consultation, _ = self._on_consultation(
            cid, lambda c: c.close_voting(self.clock.now(), meta))
        return consultation

    def conclude(self, cid: UUID, conclusion: str, adopted: list[str],
                 assignments: list[dict[str, str]], meta: Meta) -> Consultation:
        """Publish the conclusion; on an issue, each assignment assigns the issue too, in
        the same transaction, or nothing is written."""
        issue_id = self.get_consultation(cid).issue_id
        if issue_id is None:
            consultation, _ = self._on_consultation(
                cid, lambda c: c.conclude(conclusion, adopted, assignments, self.clock.now(),
                                          meta))
            return consultation

        def conclude_and_assign(pair: tuple[Consultation, Issue]) -> None:
            consultation, issue = pair
            now = self.clock.now()
            consultation.conclude(conclusion, adopted, assignments, now, meta)
            for a in assignments:
                try:
                    issue.assign({k: a[k] for k in ("kind", "id", "name")}, a["task"], now,
                                 meta, consultation_id=str(cid))
                except IllegalTransition as exc:
                    raise IllegalTransition(
                        f"the conclusion assigns issue {issue_id}, but {exc.detail}",
                        **exc.extra) from None

        (consultation, _), _ = self.change_and_save(
            lambda: (self.get_consultation(cid), self.get_issue(UUID(issue_id))),
            conclude_and_assign, "the consultation or its issue")
        return consultation

    def get_consultation(self, cid: UUID) -> Consultation:
        consultation = self._find_consultation(cid)
        if consultation is None:
            raise NotFound(f"no consultation {cid}")
        return consultation

    def consultation_history(self, cid: UUID) -> list[dict[str, Any]]:
        return history(self, cid)  # type: ignore[arg-type]

    # -- helpers --------------------------------------------------------------------------

    def _find_consultation(self, cid: UUID) -> Consultation | None:
        try:
            found = self.repository.get(cid)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Consultation) else None

    def _on_consultation(self, cid: UUID,
                         change: Callable[[Consultation], T]) -> tuple[Consultation, T]:
        return self.change_and_save(lambda: self.get_consultation(cid), change,
                                    "the consultation")

    def _require_issue_here(self, issue_id: UUID, node: str) -> None:
        issue = self.get_issue(issue_id)
        if not isinstance(issue, Issue):
            raise NotFound(f"no issue {issue_id}")
        if not is_within(issue.node, node):
            raise Invalid(f"issue {issue_id} is at '{issue.node}', outside '{node}': a "
                          "consultation on an issue meets at its node or above",
                          field="issue_id")
        if issue.status in ("closed", "merged"):
            raise IllegalTransition(f"issue {issue_id} is {issue.status}; there is nothing "
                                    "left to deliberate on it", current_status=issue.status)

    @staticmethod
    def _same_opening(earlier: Consultation, fingerprint: str) -> Consultation:
        if earlier.fingerprint != fingerprint:
            raise Conflict("this Idempotency-Key was already used for a different consultation")
        return earlier
