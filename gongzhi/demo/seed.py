"""Seed the demo city through grid's own Application (idempotent: a second run is a no-op)."""

from __future__ import annotations

import json
from pathlib import Path

from services.grid.application import GridApplication, ImportReport, NodeSpec
from shared.eventstore import open_application

CITY_FILE = Path(__file__).with_name("city.json")
SEEDER = {"actor": {"sub": "gongzhi-demo", "role": "admin", "name": "演示数据"}}


def demo_city() -> dict:
    return json.loads(CITY_FILE.read_text(encoding="utf-8"))


def seed(database_url: str) -> ImportReport:
    grid = open_application(GridApplication, database_url)
    try:
        specs = [NodeSpec(n["path"], n["level"], n["name"]) for n in demo_city()["nodes"]]
        return grid.register_nodes(specs, SEEDER)
    finally:
        grid.close()
