"""The Person aggregate's rules (roles fit node levels, no double holding, no relief of what
is not held), without any I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from eventsourcing.application import Application

from services.grid.domain.node import Node
from services.grid.domain.person import ROLE_LEVELS, ROLES, Person, check_role
from services.issues.domain.issue import Issue
from shared.errors import Conflict, IllegalTransition, Invalid
from shared.roles import STAFF_ROLES
from tests.unit.test_event_contracts import TYPE, event_classes

META = {"actor": {"sub": "c-01", "role": "community_staff", "name": "张秀英"}}
G03 = "km.guandu.taihe.heping.g03"
T0 = datetime(2024, 3, 1, 1, 0, tzinfo=UTC)


def li_juan() -> Person:
    return Person.register(staff_id="u-km-heping-g03", name="李娟",
                           home="km.guandu.taihe.heping", contact_sealed=None, meta=META)


def test_roles_are_the_staff_roles_and_department_staff() -> None:
    assert set(ROLES) == {*STAFF_ROLES, "department_staff"} == set(ROLE_LEVELS)


@pytest.mark.parametrize(("role", "level"), [
    ("grid_worker", "grid"), ("compound_head", "compound"), ("building_head", "building"),
    ("unit_head", "unit"), ("info_officer", "community"), ("info_officer", "grid"),
    ("info_officer", "compound"), ("community_staff", "community"),
    ("street_staff", "street"), ("district_staff", "district"), ("city_staff", "city"),
])
def test_each_role_fits_its_levels(role: str, level: str) -> None:
    check_role(role, "km.x", level, None)


@pytest.mark.parametrize(("role", "level"), [
    ("grid_worker", "community"), ("grid_worker", "compound"), ("compound_head", "building"),
    ("building_head", "unit"), ("unit_head", "building"), ("info_officer", "building"),
    ("info_officer", "street"), ("community_staff", "grid"), ("street_staff", "district"),
    ("district_staff", "city"), ("city_staff", "district"),
])
def test_a_role_at_the_wrong_level_is_refused(role: str, level: str) -> None:
    with pytest.raises(Invalid, match=f"a {role} serves at .* but 'km.x' is a {level}"):
        check_role(role, "km.x", level, None)


@pytest.mark.parametrize("level", ["city", "district", "street", "community", "unit"])
def test_department_staff_serve_anywhere_with_a_department(level: str) -> None:
    check_role("department_staff", "km.x", level, "km-cgj")
    with pytest.raises(Invalid, match="need a department code"):
        check_role("department_staff", "km.x", level, None)
    with pytest.raises(Invalid, match="need a department code"):
        check_role("department_staff", "km.x", level, "城管局")


def test_other_roles_name_no_department_and_unknown_roles_are_refused() -> None:
    with pytest.raises(Invalid, match="only department staff name a department"):
        check_role("grid_worker", G03, "grid", "km-cgj")
    with pytest.raises(Invalid, match="unknown role 'mayor'"):
        check_role("mayor", "km", "city", None)


def test_assign_relieve_and_assign_again_records_each_step() -> None:
    p = li_juan()
    p.assign("grid_worker", G03, "grid", None, T0, META)
    assert p.roles == [{"role": "grid_worker", "node": G03, "department": None,
                        "since": T0.isoformat()}]
    p.relieve("grid_worker", G03, "调任", T0 + timedelta(days=90), META)
    assert p.roles == []
    p.assign("grid_worker", G03, "grid", None, T0 + timedelta(days=200), META)
    events = p.collect_events()
    assert [type(e).TOPIC for e in events] == [
        "gongzhi.person.registered.v1", "gongzhi.person.role_assigned.v1",
        "gongzhi.person.role_relieved.v1", "gongzhi.person.role_assigned.v1"]
    assert [e.tier for e in events] == ["km.guandu.taihe.heping", G03, G03, G03]
    assert events[2].reason == "调任" and events[2].at == (T0 + timedelta(days=90)).isoformat()


def test_the_same_role_at_the_same_node_is_held_once() -> None:
    p = li_juan()
    p.assign("grid_worker", G03, "grid", None, T0, META)
    with pytest.raises(Conflict, match="already grid_worker at"):
        p.assign("grid_worker", G03, "grid", None, T0, META)
    p.assign("grid_worker", "km.guandu.taihe.heping.g04", "grid", None, T0, META)  # another grid
    p.assign("info_officer", G03, "grid", None, T0, META)  # another role at the same grid
    assert len(p.roles) == 3


def test_relieving_a_role_not_held_is_refused() -> None:
    p = li_juan()
    with pytest.raises(IllegalTransition, match="is not grid_worker at"):
        p.relieve("grid_worker", G03, "调任", T0, META)
    p.assign("grid_worker", G03, "grid", None, T0, META)
    with pytest.raises(Invalid, match="before it began"):
        p.relieve("grid_worker", G03, "调任", T0 - timedelta(days=1), META)
    with pytest.raises(Invalid, match="say why"):
        p.relieve("grid_worker", G03, "  ", T0, META)
    assert len(p.collect_events()) == 2  # registered, assigned: nothing from the refusals


def test_registration_checks_the_staff_id_and_name() -> None:
    with pytest.raises(Invalid, match="not a staff id"):
        Person.register(staff_id="李娟", name="李娟", home="km", contact_sealed=None, meta=META)
    with pytest.raises(Invalid, match="needs a name"):
        Person.register(staff_id="u-1", name=" ", home="km", contact_sealed=None, meta=META)
    assert Person.id_for("u-1") == Person.id_for("u-1") != Person.id_for("U-1")


def test_an_update_that_changes_nothing_records_nothing() -> None:
    p = li_juan()
    p.collect_events()
    p.update(META, name="李娟")
    p.update(META, contact_sealed=None, contact_changed=True)  # erasing what is not there
    assert p.collect_events() == []
    p.update(META, name="李 娟", contact_sealed="gz1:x", contact_changed=True)
    (e,) = p.collect_events()
    assert e.changed == ["name", "contact"] and p.name == "李 娟" and p.contact_sealed == "gz1:x"


def test_roles_replay_from_the_stored_events() -> None:
    app = Application()
    p = li_juan()
    p.assign("grid_worker", G03, "grid", None, T0, META)
    p.assign("department_staff", "km.guandu", "district", "km-cgj", T0, META)
    p.relieve("grid_worker", G03, "调任", T0 + timedelta(days=1), META)
    app.save(p)
    again = app.repository.get(p.id)
    assert again.roles == p.roles == [{"role": "department_staff", "node": "km.guandu",
                                       "department": "km-cgj", "since": T0.isoformat()}]


def test_every_person_event_has_a_versioned_public_type() -> None:
    topics = [cls.TOPIC for cls in event_classes(Person)]
    assert sorted(topics) == [
        "gongzhi.person.registered.v1", "gongzhi.person.role_assigned.v1",
        "gongzhi.person.role_relieved.v1", "gongzhi.person.updated.v1"]
    assert all(TYPE.match(t) for t in topics)
    others = {cls.TOPIC for agg in (Node, Issue) for cls in event_classes(agg)}
    assert not others & set(topics)
