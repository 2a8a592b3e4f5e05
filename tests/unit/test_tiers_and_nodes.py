"""Tier paths and where nodes may be placed."""

from __future__ import annotations

import pytest

from services.grid.domain.node import check_placement
from shared.errors import Invalid
from shared.tiers import ancestors_and_self, is_valid_path, is_within


def test_paths() -> None:
    assert is_valid_path("km.guandu.taihe.heping.g03.y017.b02.u1")
    for bad in ("", "KM", "km..guandu", "km.1st", "km.guandu.", "a.b.c.d.e.f.g.h.i"):
        assert not is_valid_path(bad), bad
    assert ancestors_and_self("a.b.c") == ["a", "a.b", "a.b.c"]
    assert is_within("a.b.c", "a.b") and is_within("a.b", "a.b") and not is_within("a.bc", "a.b")


@pytest.mark.parametrize(("path", "level", "parent_level"), [
    ("km", "city", None),
    ("km.guandu", "district", "city"),
    ("km.guandu.taihe.heping.y017", "compound", "community"),  # no grids: levels skipped
    ("km.guandu.taihe.heping.g03.b02", "building", "grid"),
    ("km.guandu.taihe.heping.g03.y017.b02.u1", "unit", "building"),
])
def test_legal_placements(path: str, level: str, parent_level: str | None) -> None:
    check_placement(path, level, parent_level)


@pytest.mark.parametrize(("path", "level", "parent_level", "reason"), [
    ("km.guandu", "district", None, "does not exist"),
    ("guandu", "district", None, "must be a city"),
    ("km.guandu", "city", "city", "cannot sit under"),
    ("km.x.y", "building", "building", "cannot sit under"),
    ("km.x.u1", "unit", "compound", "must sit under a building"),
    ("km.x.b1", "building", "street", "must sit under"),
    ("km.x", "ward", "city", "unknown level"),
])
def test_illegal_placements(path: str, level: str, parent_level: str | None, reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        check_placement(path, level, parent_level)


def test_a_grid_only_divides_a_community() -> None:
    with pytest.raises(Invalid, match="must sit under a community"):
        check_placement("km.guandu.g01", "grid", "district")
