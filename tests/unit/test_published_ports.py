"""The ports a user is promised are the ports they get: `gongzhi up`'s defaults, the README
and docker-compose.yml name the same ones for the console and each service."""

from __future__ import annotations

import re
from pathlib import Path

from gongzhi.services import CONSOLE, SERVICES

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BASE = 8001  # `gongzhi up --base-port`


def compose_ports() -> dict[str, int]:
    published: dict[str, int] = {}
    service = None
    for line in (ROOT / "docker-compose.yml").read_text().splitlines():
        if m := re.match(r"^  ([a-z0-9-]+):\s*$", line):
            service = m.group(1)
        elif service and (m := re.search(r'ports: \["(\d+):\d+"\]', line)):
            published[service] = int(m.group(1))
    return published


def test_compose_publishes_the_ports_gongzhi_up_uses() -> None:
    published = compose_ports()
    for spec in (*SERVICES, CONSOLE):
        assert published.get(spec.name) == DEFAULT_BASE + spec.port_offset, spec.name


def test_the_readme_names_the_same_ports() -> None:
    readme = (ROOT / "README.md").read_text()
    for spec in (*SERVICES, CONSOLE):
        assert f"127.0.0.1:{DEFAULT_BASE + spec.port_offset}" in readme, spec.name
