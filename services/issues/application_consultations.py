"""Consultations (议事): the commands IssuesApplication inherits.

A mixin rather than a service of its own, because a conclusion on an issue assigns that issue
in the same transaction (the issue's own rules decide whether it may be assigned now). The
inheriting Application provides `repository`, `save`, `change_and_save`, `clock` and
`get_issue`.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from copy import deepcopy
from dataclasses import asdict, dataclass
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, project_aggregate
from eventsourcing.persistence import IntegrityError

from services.issues.domain.consultation import Consultation
from services.issues.domain.issue import Issue
from shared.clock import Clock
from shared.domain import Meta
from shared.errors import Conflict, IllegalTransition, Invalid, NotFound
from shared.eventstore import history
from shared.tiers import is_within

T = TypeVar("T")
# Households vote at once at a meeting, all on one consultation: in this process its commands
# take turns (a striped lock per consultation id), so they do not conflict with each other
# and spend their retries; only another replica's writes can still make one reload.
_TURNS = [threading.Lock() for _ in range(64)]


def _turn(cid: UUID) -> threading.Lock:
    return _TURNS[cid.int % len(_TURNS)]


class _Recent:
    """The consultations this process saved last: the next command fast-forwards one by the
    events stored since, instead of replaying thousands of ballots. A command takes its entry
    out, so one that fails never leaves a half-changed aggregate behind."""

    def __init__(self, size: int = 32) -> None:
        self._items: dict[UUID, Consultation] = {}
        self._size = size
        self._lock = threading.Lock()

    def take(self, cid: UUID) -> Consultation | None:
        with self._lock:
            return self._items.pop(cid, None)

    def node_of(self, cid: UUID) -> str | None:
        with self._lock:
            found = self._items.get(cid)
        return found.node if found else None

    def put(self, consultation: Consultation) -> None:
        with self._lock:
            self._items[consultation.id] = consultation
            while len(self._items) > self._size:
                self._items.pop(next(iter(self._items)))


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
    weight: str | None = None
    matter: str | None = None
    areas: dict[str, str] | None = None  # from the household register, when weighed by area

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
            meta=meta, weight=cmd.weight, matter=cmd.matter, areas=cmd.areas)
        try:
            self.save(consultation)
        except IntegrityError:  # the same key raced us: theirs won, ours is the retry
            return self._same_opening(self.get_consultation(cid), fingerprint), False
        return consultation, True

    def add_proposal(self, cid: UUID, title: str, description: str,
                     meta: Meta) -> Consultation:
        consultation, _ = self._on_consultation(
            cid, lambda c: c.add_proposal(title, description, self.clock.now(), meta))
        return consultation

    def cast_vote(self, cid: UUID, household: str, proposal: str, choice: str,
                  resident: str | None, meta: Meta,
                  member_of: frozenset[str] = frozenset()) -> bool:
        """`resident` is the resident account voting online; None for a paper ballot.
        `member_of`: the households the register has the resident verified for.
        Returns whether a ballot was recorded (False: it repeated the counted one)."""
        _, recorded = self._on_consultation(
            cid, lambda c: c.vote(household, proposal, choice, resident, self.clock.now(),
                                  meta, member_of), copy=False)
        return recorded is not False  # None: a retry of the ballot its key already recorded

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

        with _turn(cid):
            (consultation, _), _ = self.change_and_save(
                lambda: (self.get_consultation(cid), self.get_issue(UUID(issue_id))),
                conclude_and_assign, "the consultation or its issue")
        return consultation

    def get_consultation(self, cid: UUID) -> Consultation:
        consultation = self._find_consultation(cid)
        if consultation is None:
            raise NotFound(f"no consultation {cid}")
        return consultation

    def consultation_node(self, cid: UUID) -> str:
        """Where a consultation meets (it never moves), for access checks on every ballot."""
        return self._recent_consultations.node_of(cid) or self.get_consultation(cid).node

    def consultation_history(self, cid: UUID) -> list[dict[str, Any]]:
        return history(self, cid)  # type: ignore[arg-type]

    # -- helpers --------------------------------------------------------------------------

    def _find_consultation(self, cid: UUID) -> Consultation | None:
        try:
            found = self.repository.get(cid)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Consultation) else None

    @property
    def _recent_consultations(self) -> _Recent:
        recent = self.__dict__.get("_recent")
        return recent if recent is not None else self.__dict__.setdefault("_recent", _Recent())

    def _on_consultation(self, cid: UUID, change: Callable[[Consultation], T],
                         copy: bool = True) -> tuple[Consultation, T]:
        """Change and save in this consultation's turn. The saved aggregate stays in the
        recent ones; the caller gets a copy to read at leisure (unless it needs none)."""
        recent = self._recent_consultations

        def latest() -> Consultation:
            cached = recent.take(cid)
            if cached is None:
                return self.get_consultation(cid)
            newer = self.repository.event_store.get(cid, gt=cached.version)
            return project_aggregate(cached, newer)

        with _turn(cid):
            consultation, result = self.change_and_save(latest, change, "the consultation")
            recent.put(consultation)
        return (deepcopy(consultation) if copy else consultation), result

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
