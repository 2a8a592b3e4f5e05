"""Read-model schemas change by version, never in place: every projection's and reaction's
ddl (and the runner's own tables) only creates tables and indexes; a change is a new
`version`, rebuilt into a fresh schema and swapped in (docs/operations.md). Reactions are
never rebuilt."""

from __future__ import annotations

import importlib
import re

import pytest

from shared.projections.projection import Projection
from shared.projections.runner import RUNNER_DDL
from shared.reactions import Reaction, ReactionProjection

SERVICES = ("issues", "grid", "volunteers", "evaluation")
CREATES = re.compile(r"^CREATE (UNIQUE )?(TABLE|INDEX) IF NOT EXISTS ", re.IGNORECASE)


def every_projection_class() -> list[type[Projection]]:
    for service in SERVICES:  # a service's bootstrap imports its read models and reactions
        importlib.import_module(f"services.{service}.bootstrap")
    found: list[type[Projection]] = []
    todo = list(Projection.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return [c for c in found if c.__module__.split(".")[0] in ("services", "shared")
            and c is not ReactionProjection]  # its ddl is each reaction's, below


def every_reaction() -> list[Reaction]:
    return [r for service in SERVICES for r in importlib.import_module(
        f"services.{service}.reactions").REACTIONS.reactions]


def statements(ddl: str) -> list[str]:
    """The ddl's statements, comments dropped, whitespace folded."""
    text = re.sub(r"--[^\n]*", "", ddl)
    return [" ".join(s.split()) for s in text.split(";") if s.strip()]


def test_every_service_projection_and_reaction_is_found() -> None:
    names = {c.__name__ for c in every_projection_class()}
    assert {"IssueList", "ResidentFeed", "TierTree", "KpiFacts"} <= names
    assert len(names) >= 20
    assert {r.schema for r in every_reaction()} >= {"grid_webhooks", "issues_policy_rated"}


@pytest.mark.parametrize("cls", every_projection_class(), ids=lambda c: c.__name__)
def test_a_ddl_only_creates(cls: type[Projection]) -> None:
    for statement in statements(cls.ddl):
        assert CREATES.match(statement), f"{cls.__name__}: {statement!r}"
    assert isinstance(cls.version, int) and cls.version >= 1


@pytest.mark.parametrize("reaction", every_reaction(), ids=lambda r: r.schema)
def test_a_reactions_ddl_only_creates(reaction: Reaction) -> None:
    for statement in statements(reaction.ddl):
        assert CREATES.match(statement), f"{reaction.schema}: {statement!r}"


def test_the_runners_own_tables_are_only_created() -> None:
    for statement in statements(RUNNER_DDL):
        assert CREATES.match(statement), statement


@pytest.mark.parametrize("ddl", [
    "CREATE TABLE IF NOT EXISTS {schema}.t (a int);\n"
    "ALTER TABLE {schema}.t ADD COLUMN IF NOT EXISTS b text;",
    "CREATE TABLE IF NOT EXISTS {schema}.t (a int); DROP INDEX IF EXISTS {schema}.t_a;",
    "CREATE TABLE {schema}.t (a int);",  # fails on the second start: not idempotent
])
def test_the_check_refuses_what_changes_a_schema_in_place(ddl: str) -> None:
    assert not all(CREATES.match(s) for s in statements(ddl))


def test_reactions_are_never_rebuilt_and_read_models_are() -> None:
    for reaction in every_reaction():
        assert reaction.bind().rebuildable is False, reaction.schema
    for service in SERVICES:  # what `gongzhi rebuild` offers
        for read_model in importlib.import_module(f"services.{service}.bootstrap").PROJECTIONS:
            assert read_model.rebuildable is True, read_model.schema
