"""Every event a service stores is a public contract: an explicit, versioned type."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from eventsourcing.domain import Aggregate

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
