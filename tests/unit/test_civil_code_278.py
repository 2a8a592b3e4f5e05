"""Owners' decisions under 民法典 第278条, pure: every outcome is checked against the article
computed independently here, straight from the households' areas and the count of owners,
with the edges the article's words decide (以上 includes the number, 过半数 does not)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from services.issues.domain.consultation import Consultation, at_least, tally_278
from shared.errors import Invalid

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
META = {"actor": {"sub": "c-01", "role": "community_staff", "name": "范新华"}}

# Twelve households of 900 m². Eight take part with 600 m² (exactly two thirds of both);
# six approve with 450 m² (exactly three quarters of both, among those taking part).
YES = {"h01": "60", "h02": "65", "h03": "70", "h04": "75", "h05": "85", "h06": "95"}
NO = {"h07": "70", "h08": "80"}
AWAY = {"h09": "50", "h10": "70", "h11": "80", "h12": "100"}
AREAS = YES | NO | AWAY


def by_article(matter: str, areas: dict[str, str], ballots: dict[str, str]) -> bool:
    """Art. 278, read off the text: participation ≥ 2/3 of area and of owners; approval by
    ≥ 3/4 (major) or > 1/2 (ordinary) of the participating area and owners."""
    area = {h: Fraction(Decimal(a)) for h, a in areas.items()}
    total, owners = sum(area.values()), len(area)
    took_part = [h for h in ballots]
    approved = [h for h, c in ballots.items() if c == "yes"]
    part_area, part_owners = sum(area[h] for h in took_part), len(took_part)
    yes_area, yes_owners = sum(area[h] for h in approved), len(approved)
    if not (3 * part_area >= 2 * total and 3 * part_owners >= 2 * owners):
        return False
    if matter == "major":
        return 4 * yes_area >= 3 * part_area and 4 * yes_owners >= 3 * part_owners
    return 2 * yes_area > part_area and 2 * yes_owners > part_owners


def run(matter: str, ballots: dict[str, str], areas: dict[str, str] = AREAS) -> dict:
    return tally_278(matter, {h: Fraction(Decimal(a)) for h, a in areas.items()}, ballots)


def exact() -> dict[str, str]:
    return {h: "yes" for h in YES} | {h: "no" for h in NO}


def test_exactly_two_thirds_take_part_and_exactly_three_quarters_approve_a_major_matter() -> None:
    result = run("major", exact())
    assert result["passed"] is True is by_article("major", AREAS, exact())
    assert result["participation"] == {"owners": True, "area": True}
    assert result["approval"] == {"owners": True, "area": True}
    assert (result["quorum_needed"], result["yes_needed"]) == (8, 6)
    assert result["area"] == {"yes": "450.00", "no": "150.00", "abstain": "0.00",
                              "cast": "600.00", "eligible": "900.00",
                              "quorum_needed": "600.00", "yes_needed": "450.00"}


@pytest.mark.parametrize(("change", "why"), [
    ({"h01": "no"}, "approval"),  # 5 of 8 owners, 390 of 600 m²: under three quarters
    ({"h09": "no"}, "approval"),  # nine take part: 6 of 9 owners approve, under 3/4
    ({"h08": None}, "participation"),  # seven owners take part: under two thirds
])
def test_one_household_less_or_against_fails_a_major_matter(change, why) -> None:
    ballots = exact() | {h: c for h, c in change.items() if c}
    ballots = {h: c for h, c in ballots.items() if change.get(h, c) is not None}
    result = run("major", ballots)
    assert result["passed"] is False is by_article("major", AREAS, ballots)
    assert not all(result[why].values())


def test_two_thirds_of_owners_with_less_than_two_thirds_of_the_area_is_not_enough() -> None:
    # The eight smallest households take part: 8 of 12 owners, but 560 of 900 m² < 600.
    small = dict(sorted(AREAS.items(), key=lambda kv: Decimal(kv[1]))[:8])
    ballots = {h: "yes" for h in small}
    result = run("ordinary", ballots)
    assert result["participation"] == {"owners": True, "area": False}
    assert result["passed"] is False is by_article("ordinary", AREAS, ballots)


def test_a_developer_holding_most_of_the_area_cannot_decide_alone() -> None:
    areas = {"dev": "5000", **{f"o{n}": "50" for n in range(9)}}  # 10 owners, 5450 m²
    ballots = {"dev": "yes", **{f"o{n}": "no" for n in range(6)}}  # 7 of 10 take part
    result = run("ordinary", ballots, areas)
    assert result["approval"] == {"owners": False, "area": True}
    assert result["passed"] is False is by_article("ordinary", areas, ballots)


def test_an_ordinary_matter_needs_more_than_half_of_both_exactly_half_fails() -> None:
    half = {"h01": "yes", "h02": "yes", "h03": "yes", "h04": "yes",  # 270 m², 4 owners
            "h05": "no", "h06": "no", "h07": "no", "h08": "no"}      # 330 m², 4 owners
    assert run("ordinary", half)["approval"]["owners"] is False  # 4 of 8 is not more than half
    assert by_article("ordinary", AREAS, half) is False
    more = half | {"h05": "yes"}  # 5 of 8 owners, 355 of 600 m²
    assert run("ordinary", more)["passed"] is True is by_article("ordinary", AREAS, more)


def test_half_the_area_exactly_is_not_more_than_half() -> None:
    areas = {"a": "100", "b": "100", "c": "50", "d": "50"}
    ballots = {"a": "yes", "c": "yes", "d": "yes", "b": "no"}  # 3 of 4 owners, 200 of 300 m²
    assert run("ordinary", ballots, areas)["passed"] is True
    ballots = {"a": "yes", "b": "no", "c": "no", "d": "yes"}  # 150 of 300 m²: exactly half
    result = run("ordinary", ballots, areas)
    assert result["approval"] == {"owners": False, "area": False}
    assert result["area"]["yes_needed"] == "150.01"


def test_an_abstaining_owner_takes_part_but_does_not_approve() -> None:
    ballots = exact() | {"h07": "abstain"}
    result = run("major", ballots)
    assert (result["cast"], result["abstain"], result["passed"]) == (8, 1, True)
    ballots = exact() | {"h01": "abstain"}
    assert run("major", ballots)["passed"] is False is by_article("major", AREAS, ballots)


def test_areas_with_cents_stay_exact() -> None:
    areas = {"a": "33.33", "b": "33.33", "c": "33.34"}
    ballots = {"a": "yes", "b": "yes"}  # 66.66 of 100.00 m²: short of two thirds by a hair
    result = run("ordinary", ballots, areas)
    assert result["area"]["quorum_needed"] == "66.67"
    assert result["participation"]["area"] is False
    assert result["passed"] is False is by_article("ordinary", areas, ballots)


@pytest.mark.parametrize("seed", range(30))
def test_random_meetings_agree_with_the_article(seed: int) -> None:
    rng = random.Random(seed)
    areas = {f"h{n}": f"{rng.randint(3000, 15000) / 100:.2f}" for n in range(rng.randint(3, 15))}
    ballots = {h: rng.choice(["yes", "yes", "no", "abstain"]) for h in areas
               if rng.random() < 0.8}
    for matter in ("major", "ordinary"):
        assert run(matter, ballots, areas)["passed"] is by_article(matter, areas, ballots)


def test_at_least_is_the_smallest_step_reaching_the_share() -> None:
    assert at_least(Fraction(9), Fraction(2, 3)) == 6
    assert at_least(Fraction(8), Fraction(1, 2), strict=True) == 5
    assert at_least(Fraction(100), Fraction(2, 3), step=Fraction(1, 100)) == Fraction(6667, 100)


def opening(**over: object) -> Consultation:
    kwargs: dict = dict(
        id=uuid.uuid4(), node="km.guandu.taihe.heping", issue_id=None, topic="动用维修资金",
        form="council", convenor={"name": "范新华"}, parties=[],
        proposals=[{"title": "更换电梯"}], eligible=list(AREAS), rule="civil_code_278",
        quorum=None, allow_change=True, fingerprint="f", at=T0, meta=META, matter="major",
        areas=AREAS)
    kwargs.update(over)
    return Consultation.open(**kwargs)


@pytest.mark.parametrize(("over", "words"), [
    ({"matter": None}, "needs the matter"),
    ({"quorum": "1/2"}, "sets its own participation"),
    ({"weight": "area"}, "leave weight out"),
    ({"areas": {"h01": "60"}}, "not there: h02"),
    ({"rule": "two_thirds_cast"}, "only the civil_code_278 rule takes a matter"),
])
def test_an_owners_vote_that_breaks_a_rule_is_refused(over, words) -> None:
    with pytest.raises(Invalid, match=words):
        opening(**over)


def test_an_owners_vote_closes_with_the_articles_tally() -> None:
    c = opening()
    for h, choice in exact().items():
        c.vote(h, "p1", choice, None, T0, META)
    result = c.close_voting(T0, META)["p1"]
    assert result["passed"] is True and result["matter"] == "major"
    assert c.areas == AREAS
