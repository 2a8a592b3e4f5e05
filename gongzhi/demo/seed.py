"""Seed the demo city through grid's own Application (idempotent: a second run is a no-op):
its tier tree, its departments, its people in their roles (三长两员) with a console login
each (their staff id, with the development password `gongzhi-demo`), a few
households with their verified residents (户), and its party organisations with each
compound's owners' committee and property company (一个中心 三方共治); then its party
members, volunteers, teams and rewards through the volunteers service's (seed_volunteers)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gongzhi.demo.seed_volunteers import seed_volunteers
from services.grid.application import DepartmentSpec, GridApplication, NodeSpec
from services.grid.signin import store
from services.grid.signin.passwords import DEMO_PASSWORD, hash_password
from shared.eventstore import open_application
from shared.sealing import Sealer

CITY_FILE = Path(__file__).with_name("city.json")
HOUSEHOLDS_FILE = Path(__file__).with_name("households.json")
PARTY_FILE = Path(__file__).with_name("party.json")
SEEDER = {"actor": {"sub": "gongzhi-demo", "role": "admin", "name": "演示数据"}}


@dataclass(frozen=True)
class SeedReport:
    nodes: int
    departments: int
    people: int
    volunteers: int = 0
    logins: int = 0


# A few accounts `gongzhi up` shows, to sign in to the console with.
DEMO_LOGINS = (
    ("u-km-heping-g03", "grid worker, 和平路社区 g03"),
    ("u-km-heping-c01", "community staff and information officer (two roles: pick one)"),
    ("u-km-taihe-01", "street staff, 太和街道"),
    ("u-km-gaj-01", "department staff, 官渡 police (km-gaj)"),
    ("u-km-guandu-01", "district leader, 官渡区"),
)


def demo_city() -> dict:
    return json.loads(CITY_FILE.read_text(encoding="utf-8"))


def seed(database_url: str, data_key: str, env: str = "development") -> SeedReport:
    """Refuses in production: the demo's accounts share a published password."""
    if env == "production":
        raise RuntimeError("the demo city's accounts have a published password, which "
                           "production refuses: start without the demo (--no-demo)")
    city = demo_city()
    grid = open_application(GridApplication, database_url, sealer=Sealer(data_key))
    try:
        nodes = grid.register_nodes(
            [NodeSpec(n["path"], n["level"], n["name"]) for n in city["nodes"]], SEEDER)
        departments = grid.register_departments(
            [DepartmentSpec(d["code"], d["name"], d["kind"], d["categories"], d["jurisdiction"])
             for d in city["departments"]], SEEDER)
        people = grid.seed_people(city["staff"], SEEDER)
        households = json.loads(HOUSEHOLDS_FILE.read_text(encoding="utf-8"))["households"]
        grid.seed_households(households, SEEDER)
        party = json.loads(PARTY_FILE.read_text(encoding="utf-8"))
        grid.seed_party(party["organisations"], party["bodies"], SEEDER)
        logins = seed_logins(database_url, sorted({p["id"] for p in city["staff"]}),
                             grid.clock.now())
    finally:
        grid.close()
    volunteers = seed_volunteers(database_url, city)
    return SeedReport(nodes.registered, departments, people.registered, volunteers, logins)


def seed_logins(database_url: str, staff_ids: list[str], at: datetime | None = None) -> int:
    """Each demo person signs in with their staff id and DEMO_PASSWORD; anyone who already
    has a login keeps it. One hash serves them all: it is the same published password, and
    fifty-odd argon2 hashes would slow `gongzhi up` by seconds for nothing."""
    return store.seed_logins(database_url, [(s, s.lower()) for s in staff_ids],
                             hash_password(DEMO_PASSWORD), at or datetime.now(UTC),
                             SEEDER["actor"]["sub"])
