"""Every event a service stores is a public contract: an explicit, versioned type."""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path

import pytest
from eventsourcing.domain import Aggregate, CommandMethodDecorator

import contracts
from contracts.issues import IssueAssigned, IssueWhistled
from services.evaluation.domain.department_evaluation import DepartmentEvaluation
from services.evaluation.domain.kpi_rules import KpiRules
from services.evaluation.domain.rating import Rating
from services.evaluation.domain.survey import Survey
from services.grid.domain.department import Department
from services.grid.domain.household import Household
from services.grid.domain.node import Node
from services.grid.domain.party import CoGovernanceBody, PartyOrganisation
from services.grid.domain.patrol import Patrol
from services.grid.domain.person import Person
from services.grid.domain.whistle import Whistle
from services.issues.domain.catalog import Catalog
from services.issues.domain.consultation import Consultation
from services.issues.domain.issue import Issue
from services.volunteers.domain.account import Account, Reward
from services.volunteers.domain.activity import Activity
from services.volunteers.domain.team import Team
from services.volunteers.domain.volunteer import Organisation, Volunteer
from services.volunteers.domain.wish import Wish
from shared.bus.envelope import PRIVATE_FIELDS

AGGREGATES = [Issue, Catalog, Consultation, Node, Department, Whistle, Patrol, Person, Rating,
              DepartmentEvaluation, Survey, KpiRules, Volunteer, Organisation, Team, Wish,
              Activity, Account, Reward, Household, PartyOrganisation, CoGovernanceBody]
EVENTS_DOC = Path(__file__).parents[2] / "docs" / "events.md"

TYPE = re.compile(r"^gongzhi\.[a-z_]+\.[a-z_]+\.v[0-9]+$")


def event_classes(aggregate: type[Aggregate]) -> list[type]:
    return [
        v for k, v in vars(aggregate).items()
        if isinstance(v, type) and issubclass(v, aggregate.Event) and k not in ("Event", "Created")
    ]


@pytest.mark.parametrize("aggregate", AGGREGATES)
def test_every_event_has_a_versioned_public_type(aggregate: type[Aggregate]) -> None:
    classes = event_classes(aggregate)
    assert classes, "no events found"
    for cls in classes:
        assert TYPE.match(cls.TOPIC), f"{cls.__qualname__} has topic {cls.TOPIC!r}"


def test_types_are_unique_across_services() -> None:
    topics = [c.TOPIC for a in AGGREGATES for c in event_classes(a)]
    assert len(topics) == len(set(topics))


@pytest.mark.parametrize("aggregate", AGGREGATES)
def test_every_public_type_is_documented(aggregate: type[Aggregate]) -> None:
    """An integrator reads docs/events.md, not our code: an undocumented type is a contract
    nobody can rely on."""
    documented = EVENTS_DOC.read_text(encoding="utf-8")
    missing = [c.TOPIC for c in event_classes(aggregate) if f"`{c.TOPIC}`" not in documented]
    assert not missing, f"not in docs/events.md: {missing}"


# -- the contracts package: one typed payload per public type --------------------------------

# Kept in the service: the event store's bookkeeping, lifted into envelope attributes, and
# the fields that never leave it (shared/bus/envelope.py).
_NOT_PAYLOAD = {"originator_id", "originator_version", "timestamp", "originator_topic", "tier",
                "meta"} | PRIVATE_FIELDS


def public_fields(cls: type) -> dict[str, bool]:
    """The fields an aggregate's event publishes, each with whether it is optional (has a
    default in the `@event` method: old events lack it)."""
    method = next((v for v in vars(owner(cls)).values()
                   if isinstance(v, CommandMethodDecorator)
                   and (v.event_topic == cls.TOPIC or v.given_event_cls in cls.__mro__)),
                  None)
    params = inspect.signature(method.decorated_func).parameters if method else {}
    # An event class declared in the aggregate (to carry a class_version) has its fields on
    # a base that eventsourcing subclasses: collect them along the MRO.
    names = dict.fromkeys(n for k in reversed(cls.__mro__) if k.__module__ == cls.__module__
                          for n in vars(k).get("__annotations__", {}))
    return {name: name in params and params[name].default is not inspect.Parameter.empty
            for name in names if name not in _NOT_PAYLOAD}


def owner(cls: type) -> type[Aggregate]:
    return next(a for a in AGGREGATES if cls in event_classes(a))


ALL_EVENTS = [c for a in AGGREGATES for c in event_classes(a)]


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.TOPIC)
def test_every_event_has_a_contract_with_its_fields(cls: type) -> None:
    contract = contracts.REGISTRY.get(cls.TOPIC)
    assert contract is not None, f"no contract for {cls.TOPIC}"
    optional = {f.name: f.default is not dataclasses.MISSING
                for f in dataclasses.fields(contract.payload) if f.name != "actor"}
    assert optional == public_fields(cls), "the contract's fields (and which have defaults) " \
        "differ from the aggregate's event"
    assert contract.service == owner(cls).__module__.split(".")[1]
    assert contract.payload.TYPE == cls.TOPIC


def test_every_contract_is_an_event_some_aggregate_emits() -> None:
    emitted = {c.TOPIC for c in ALL_EVENTS}
    assert set(contracts.REGISTRY) - emitted == set()
    assert not emitted & set(contracts.UPCASTERS), "an upcast type is still emitted"


def test_every_payload_carries_its_actor() -> None:
    for c in contracts.REGISTRY.values():
        actor = next(f for f in dataclasses.fields(c.payload) if f.name == "actor")
        assert actor.default is None, c.type


def _row(type_: str) -> str:
    return next((line for line in EVENTS_DOC.read_text(encoding="utf-8").splitlines()
                 if line.startswith(f"| `{type_}` |")), "")


@pytest.mark.parametrize("type_", sorted(contracts.REGISTRY))
def test_docs_row_names_every_field_of_the_contract(type_: str) -> None:
    """docs/events.md is what integrators read: its row of a type names every field the
    contract has (actor is said once for all)."""
    row = _row(type_)
    assert row, f"docs/events.md has no row for {type_}"
    data = row.split(" | ")[-1]
    missing = [f for f in contracts.REGISTRY[type_].fields
               if f != "actor" and not re.search(rf"\b{f}\b", data)]
    assert not missing, f"the docs row of {type_} does not name {missing}"


def test_departments_concerned_as_the_docs_say() -> None:
    """Every whistle event, an issue assigned to a department and an issue whistled concern
    departments; nothing else does, whatever `department` field it has."""
    flagged = {t for t, c in contracts.REGISTRY.items() if c.concerns_departments}
    assert flagged == {t for t in contracts.REGISTRY if t.startswith("gongzhi.whistle.")} | {
        IssueAssigned.TYPE, IssueWhistled.TYPE}
    for t, c in contracts.REGISTRY.items():
        if not c.concerns_departments:
            assert c.payload.departments_concerned is contracts.Payload.departments_concerned, t
    to_team = {"kind": "volunteer_team", "id": "t1", "name": "红马甲"}
    to_police = {"kind": "department", "id": "km-gaj", "name": "公安局"}
    assert IssueAssigned(assignee=to_team, note="").departments_concerned() == []
    assert IssueAssigned(assignee=to_police, note="").departments_concerned() == ["km-gaj"]


class _Env:
    def __init__(self, type_: str, data: dict, time: str = "2026-05-01T08:00:00+00:00") -> None:
        self.type, self.data, self.time = type_, data, time


def test_a_payload_ignores_unknown_fields_and_defaults_absent_optional_ones() -> None:
    p = contracts.payload(_Env(IssueAssigned.TYPE, {
        "assignee": {"kind": "grid_worker", "id": "w1", "name": "王"}, "note": "",
        "added_later": 1, "actor": {"sub": "s1", "role": "community_staff", "name": "李"}}))
    assert isinstance(p, IssueAssigned)
    assert p.consultation_id is None and p.at is None
    assert p.actor == {"sub": "s1", "role": "community_staff", "name": "李"}
    assert IssueAssigned.of(_Env(IssueAssigned.TYPE, {"assignee": to_worker(), "note": ""}))


def to_worker() -> dict[str, str]:
    return {"kind": "grid_worker", "id": "w1", "name": "王"}


def test_a_payload_missing_a_required_field_or_of_an_unknown_type_is_refused() -> None:
    with pytest.raises(contracts.ContractError, match="assignee"):
        contracts.payload(_Env(IssueAssigned.TYPE, {"note": ""}))
    with pytest.raises(contracts.ContractError, match="no contract"):
        contracts.payload(_Env("gongzhi.issue.unheard_of.v1", {}))
    with pytest.raises(contracts.ContractError):
        IssueWhistled.of(_Env(IssueAssigned.TYPE, {"assignee": to_worker(), "note": ""}))


ROOT = Path(__file__).parents[2]
# Where envelopes are made and their business time read; aggregates declare their topics.
_MAY_READ_DATA = {"shared/bus/envelope.py"}
_DATA_READ = re.compile(r"\.data\[|\.data\.get\(")
_TYPE_LITERAL = re.compile(r"[\"']gongzhi\.[a-z_]+\.[a-z_]+\.v[0-9]+[\"']")


def _consumer_sources() -> list[Path]:
    return [p for d in ("services", "shared", "gongzhi", "console")
            for p in sorted((ROOT / d).rglob("*.py")) if "/domain/" not in p.as_posix()]


def test_consumers_read_typed_payloads_and_name_types_by_their_contracts() -> None:
    """No consumer reads `e.data[...]` or matches a type string it spelled itself: what an
    event holds, its defaults and its upcasting live in its contract."""
    found = []
    for path in _consumer_sources():
        rel = path.relative_to(ROOT).as_posix()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _DATA_READ.search(line) and rel not in _MAY_READ_DATA:
                found.append(f"{rel}:{n}: {line.strip()}")
            if _TYPE_LITERAL.search(line):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert not found, "\n".join(found)


def test_a_v1_message_an_older_relay_published_is_read_as_v2() -> None:
    """The relay publishes current versions; a v1 message already on a topic is upcast when
    it is decoded, so no consumer ever matches an old type."""
    from contracts.issues import IssueResolved
    from shared.bus.cloudevents import from_kafka

    headers = [("ce_specversion", b"1.0"), ("ce_id", b"i-1/5"), ("ce_source", b"/gongzhi/issues"),
               ("ce_type", b"gongzhi.issue.resolved.v1"), ("ce_subject", b"i-1"),
               ("ce_time", b"2026-03-01T09:30:00+00:00"), ("ce_seq", b"5")]
    e = from_kafka(headers, b'{"resolution": "ok", "evidence": []}')
    assert e.type == IssueResolved.TYPE
    p = IssueResolved.of(e)
    assert (p.round, p.reporters, p.at) == (1, [], "2026-03-01T09:30:00+00:00")
