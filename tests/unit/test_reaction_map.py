"""Each service's reaction map is the one place that says who reacts to what: every type it
names is a public contract, every handler says what it does, and the docs' tables are
generated from it (a stale table fails here)."""

from __future__ import annotations

from pathlib import Path

import pytest

import contracts
from gongzhi import docs
from gongzhi.services import SERVICES
from shared.reactions import ReactionMap

MAPS = docs.reaction_maps()


def test_every_service_has_a_map() -> None:
    assert [m.service for m in MAPS] == [s.name for s in SERVICES]


@pytest.mark.parametrize("rmap", MAPS, ids=lambda m: m.service)
def test_every_mapped_type_is_a_public_contract(rmap: ReactionMap) -> None:
    for reaction in rmap.reactions:
        unknown = set(reaction.on) - set(contracts.REGISTRY)
        assert not unknown, f"{reaction.schema} reacts to types no contract defines: {unknown}"
        assert all(contracts.REGISTRY[t].service == reaction.stream for t in reaction.on), \
            f"{reaction.schema} follows {reaction.stream}, whose log lacks some of its types"


@pytest.mark.parametrize("rmap", MAPS, ids=lambda m: m.service)
def test_every_reaction_is_its_service_s_and_says_what_it_does(rmap: ReactionMap) -> None:
    for reaction in rmap.reactions:
        assert reaction.schema.startswith(f"{rmap.service}_"), reaction.schema
        assert reaction.on, f"{reaction.schema} reacts to nothing"
        for handler in reaction.on.values():
            assert docs._does(handler), f"{handler.__qualname__} has no docstring"


def test_reactions_keep_schemas_of_their_own() -> None:
    schemas = [r.schema for m in MAPS for r in m.reactions]
    assert len(schemas) == len(set(schemas))


def test_the_committed_tables_are_what_the_code_says() -> None:
    assert docs.main(["--check"]) == 0, "run `python -m gongzhi.docs` and commit the result"


def test_a_table_that_drifted_from_the_code_is_caught(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    committed = docs.ARCHITECTURE.read_text(encoding="utf-8")
    row = next(line for line in committed.splitlines() if "`issues_policy_rated`" in line)
    drifted = tmp_path / "architecture.md"
    drifted.write_text(committed.replace(row, row.replace("evaluation", "grid")),
                       encoding="utf-8")
    monkeypatch.setattr(docs, "ARCHITECTURE", drifted)
    assert docs.main(["--check"]) == 1
    assert docs.main([]) == 0  # regenerated …
    assert drifted.read_text(encoding="utf-8") == committed  # … it says what the code says


def test_the_map_quoted_in_the_docs_is_the_code() -> None:
    page = (docs.ROOT / "docs" / "reactions.md").read_text(encoding="utf-8")
    quoted = page.split("```python\n", 1)[1].split("```", 1)[0]
    code = (docs.ROOT / "services" / "issues" / "reactions.py").read_text(encoding="utf-8")
    assert quoted.strip() and quoted in code
