"""The household aggregate (户), pure: floor area, residents linked and verified, moves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.grid.domain.household import Household, parse_area
from shared.errors import Conflict, IllegalTransition, Invalid

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
META = {"actor": {"sub": "c-01", "role": "community_staff", "name": ""}}
U1 = "km.guandu.taihe.heping.g03.y017.b02.u1"


def household(code: str = "y017-b02-101", area: object = "89.5") -> Household:
    return Household.register(code=code, node=U1, level="unit", area=area, at=T0, meta=META)


@pytest.mark.parametrize(("area", "words"), [
    ("0", "more than 0"), ("-5", "more than 0"), ("100001", "at most"), ("abc", "not a number"),
    ("89.505", "more than two decimals"), ("NaN", "more than 0"),
])
def test_a_floor_area_is_positive_square_metres_with_two_decimals(area, words) -> None:
    with pytest.raises(Invalid, match=words):
        parse_area(area)


def test_a_household_sits_in_a_unit_or_a_building() -> None:
    assert household().area == "89.50"
    with pytest.raises(Invalid, match="is a compound"):
        Household.register(code="x-1", node="km.a", level="compound", area=50, at=T0, meta=META)
    with pytest.raises(Invalid, match="not a household id"):
        household(code="Room 301")


def test_a_resident_counts_only_once_verified_and_leaving_is_kept() -> None:
    h = household()
    h.link("r-1", "owner", T0, META)
    assert h.verified_members() == []
    with pytest.raises(Conflict, match="already linked"):
        h.link("r-1", "tenant", T0, META)
    h.verify("r-1", T0, META)
    assert h.verified_members() == ["r-1"]
    with pytest.raises(Conflict, match="already verified"):
        h.verify("r-1", T0, META)
    with pytest.raises(IllegalTransition, match="not linked"):
        h.verify("r-2", T0, META)
    h.unlink("r-1", "卖房搬走", T0, META, moved_to=None)
    assert h.verified_members() == []
    types = [type(e).__name__ for e in h.collect_events()]
    assert types == ["Registered", "ResidentLinked", "ResidentVerified", "ResidentLeft"]


def test_the_same_area_again_changes_nothing() -> None:
    h = household()
    assert h.change_area("89.50", "复核", T0, META) is False
    assert h.change_area("92", "房产证", T0, META) is True and h.area == "92.00"
    with pytest.raises(Invalid, match="say why"):
        h.change_area("93", " ", T0, META)
