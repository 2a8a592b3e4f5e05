"""Seed the demo city through grid's own Application (idempotent: a second run is a no-op):
its tier tree, its departments, and its people in their roles (三长两员) and a few
households with their verified residents (户), and its party organisations with each
compound's owners' committee and property company (一个中心 三方共治); then its party
members, volunteers, teams and rewards through the volunteers service's (seed_volunteers)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from gongzhi.demo.seed_volunteers import seed_volunteers
from services.grid.application import DepartmentSpec, GridApplication, NodeSpec
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


def demo_city() -> dict:
    return json.loads(CITY_FILE.read_text(encoding="utf-8"))


def seed(database_url: str, data_key: str) -> SeedReport:
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
    finally:
        grid.close()
    volunteers = seed_volunteers(database_url, city)
    return SeedReport(nodes.registered, departments, people.registered, volunteers)
