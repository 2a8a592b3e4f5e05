"""The domain layer imports no infrastructure: every services/*/domain/*.py module, and the
pure modules they stand on, import only the standard library, `eventsourcing.domain`, a
short allow-list of pure first-party modules and their own service's domain package.

Imports are read from the source (AST), anywhere in a module (inside functions and
TYPE_CHECKING blocks too), and an allowed first-party module is followed: it must be pure
itself, and so must the packages that importing it runs (their __init__.py)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
DOMAIN_MODULES = sorted(ROOT.glob("services/*/domain/*.py"))
FIRST_PARTY = ("services", "shared", "gongzhi", "contracts")
THIRD_PARTY = {"eventsourcing.domain"}
# Pure first-party modules a domain module may use (each is checked in turn).
PURE = {"shared.domain", "shared.errors", "shared.tiers", "shared.roles",
        "services.evaluation.kpi.definitions",
        # The public event contracts: an aggregate names its event's type and upcasts
        # its stored older versions by them.
        "contracts", "contracts.issues", "contracts.grid", "contracts.evaluation",
        "contracts.volunteers"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_of(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def imports_of(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                package = module.split(".")
                package = package if is_package else package[:-1]
                package = package[:len(package) - node.level + 1]
                base = ".".join([*package, node.module] if node.module else package)
            else:
                base = node.module or ""
            if base == "__future__":
                continue
            found.add(base)
            # `from pkg import mod` may import a module: follow it when it is one.
            found.update(f"{base}.{a.name}" for a in node.names
                         if source_of(f"{base}.{a.name}") is not None)
    return found


def allowed(imported: str, importer: str) -> bool:
    top = imported.split(".")[0]
    if top in sys.stdlib_module_names:
        return True
    if top not in FIRST_PARTY:
        return any(imported == t or imported.startswith(f"{t}.") for t in THIRD_PARTY)
    if imported in PURE or imported in {"services", "shared"}:
        return True
    own = importer.split(".")
    if own[0] == "services" and len(own) > 2 and own[2] == "domain":
        package = ".".join(own[:3])  # its own service's domain package
        return imported == package or imported.startswith(f"{package}.")
    return False


def impurities(module: str, source: str, seen: set[str] | None = None) -> list[str]:
    """Every disallowed import reachable from `module`, as 'importer imports imported'."""
    seen = set() if seen is None else seen
    seen.add(module)
    path = source_of(module)
    is_package = path is not None and path.name == "__init__.py"
    bad: list[str] = []
    for imported in sorted(imports_of(ast.parse(source), module, is_package)):
        if not allowed(imported, module):
            bad.append(f"{module} imports {imported}")
            continue
        # Follow first-party modules, and the packages importing them runs.
        parts = imported.split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            found = source_of(name)
            if parts[0] in FIRST_PARTY and found is not None and name not in seen:
                bad += impurities(name, found.read_text(encoding="utf-8"), seen)
    return bad


def test_there_are_domain_modules_to_check() -> None:
    assert len(DOMAIN_MODULES) >= 20


@pytest.mark.parametrize("path", DOMAIN_MODULES, ids=lambda p: module_name(p))
def test_a_domain_module_imports_no_infrastructure(path: Path) -> None:
    assert impurities(module_name(path), path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("module", sorted(PURE))
def test_the_allowed_first_party_modules_are_pure(module: str) -> None:
    path = source_of(module)
    assert path is not None, f"{module} is in the allow-list but does not exist"
    assert impurities(module, path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("line, culprit", [
    ("from shared.eventstore import TieredAggregate", "shared.eventstore"),
    ("import asyncpg", "asyncpg"),
    ("from eventsourcing.application import Application", "eventsourcing.application"),
    ("from shared.auth import STAFF_ROLES", "shared.auth"),
    ("from services.grid.domain.node import Node", "services.grid.domain.node"),
    ("def later():\n    from shared import telemetry", "shared.telemetry"),
    ("from ..application import IssuesApplication", "services.issues.application"),
])
def test_the_check_catches_an_infrastructure_import(line: str, culprit: str) -> None:
    found = impurities("services.issues.domain.example", line)
    assert any(f.endswith(f" imports {culprit}") for f in found), found


def test_the_check_lets_a_module_use_its_own_domain_package_and_the_pure_ones() -> None:
    source = ("from datetime import datetime\nfrom eventsourcing.domain import event\n"
              "from shared.domain import Meta\nfrom shared.errors import Invalid\n"
              "from . import triage\nfrom services.issues.domain.issue import Issue\n")
    assert impurities("services.issues.domain.example", source) == []
