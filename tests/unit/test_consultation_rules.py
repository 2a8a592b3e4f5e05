"""The consultation's threshold rules and its aggregate, pure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from fractions import Fraction

import pytest

from services.issues.domain.consultation import (
    Consultation,
    parse_quorum,
    tally,
    yes_needed,
)
from shared.errors import Forbidden, IllegalTransition, Invalid

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
META = {"actor": {"sub": "c-01", "role": "community_staff", "name": "范新华"}}
HOUSEHOLDS = [f"jjy102-b1-{n}" for n in range(101, 110)]  # nine households


def ballots(yes: int = 0, no: int = 0, abstain: int = 0) -> list[str]:
    return ["yes"] * yes + ["no"] * no + ["abstain"] * abstain


def consultation(rule: str = "two_thirds_cast", quorum: str | None = None,
                 allow_change: bool = True, eligible: list[str] = HOUSEHOLDS) -> Consultation:
    return Consultation.open(
        id=uuid.uuid4(), node="gl.xty.jjy102", issue_id=None, topic="后巷整治与车棚",
        form="council", convenor={"name": "范新华", "role": "说事理事会"},
        parties=[{"kind": "merchant", "name": "一楼商户"}, {"kind": "police", "name": "民警"}],
        proposals=[{"title": "拆除违建", "description": ""}, {"title": "修建车棚"}],
        eligible=eligible, rule=rule, quorum=quorum, allow_change=allow_change,
        fingerprint="f", at=T0, meta=META)


# -- the rules ----------------------------------------------------------------------------

@pytest.mark.parametrize(("choices", "passed"), [
    (ballots(yes=5, no=4), True),
    (ballots(yes=4, no=4), False),  # a tie is not more than half
    (ballots(yes=4, no=3, abstain=1), False),  # abstaining counts as cast: 4 of 8 is half
    (ballots(yes=5, no=3, abstain=1), True),
    ([], False),  # nobody voted: nothing passes
])
def test_simple_majority_is_strictly_more_than_half_of_ballots_cast(choices, passed) -> None:
    assert tally("simple_majority_cast", None, 20, choices)["passed"] is passed


@pytest.mark.parametrize(("choices", "passed"), [
    (ballots(yes=6, no=3), True),  # exactly two thirds passes (三分之二以上 includes it)
    (ballots(yes=5, no=3), False),  # 5/8 < 2/3
    (ballots(yes=2, no=1), True),
    (ballots(yes=6, abstain=3), True),
    (ballots(yes=6, no=2, abstain=2), False),  # 6/10: abstentions weigh against
    (ballots(yes=7, no=3), True),  # 7/10 > 2/3
])
def test_two_thirds_of_cast_includes_exactly_two_thirds(choices, passed) -> None:
    result = tally("two_thirds_cast", None, 100, choices)
    assert result["passed"] is passed
    assert result["cast"] == len(choices)


def test_two_thirds_of_eligible_counts_every_household_and_needs_its_quorum() -> None:
    # 124 households (姜家园102号): two thirds is 82.67, so 83 yes are needed.
    assert yes_needed("two_thirds_eligible", 90, 124) == 83
    assert tally("two_thirds_eligible", Fraction(1, 2), 124, ballots(yes=83))["passed"] is True
    assert tally("two_thirds_eligible", Fraction(1, 2), 124, ballots(yes=82, no=0))[
        "passed"] is False
    # 120 eligible: exactly 80 yes is exactly two thirds, and passes.
    assert tally("two_thirds_eligible", Fraction(2, 3), 120, ballots(yes=80))["passed"] is True
    # Unanimous among those who came, but 2/3 of all households never voted yes.
    short = tally("two_thirds_eligible", Fraction(1, 2), 120, ballots(yes=70))
    assert short["passed"] is False and short["quorum_met"] is True


def test_a_quorum_not_reached_fails_even_a_unanimous_vote() -> None:
    result = tally("two_thirds_eligible", Fraction(9, 10), 30, ballots(yes=26))
    assert result["yes"] >= result["yes_needed"] == 20
    assert result["quorum_needed"] == 27 and result["quorum_met"] is False
    assert result["passed"] is False
    # A cast rule with a quorum: the same.
    assert tally("simple_majority_cast", Fraction(1, 2), 30, ballots(yes=14))["passed"] is False
    assert tally("simple_majority_cast", Fraction(1, 2), 30, ballots(yes=15))["passed"] is True
    # An abstention is a ballot cast: it helps reach the quorum.
    assert tally("simple_majority_cast", Fraction(1, 2), 30,
                 ballots(yes=8, no=1, abstain=6))["passed"] is True


@pytest.mark.parametrize(("text", "value"), [("2/3", Fraction(2, 3)), ("0.5", Fraction(1, 2)),
                                             ("1", Fraction(1)), (None, None)])
def test_quorum_is_an_exact_fraction(text, value) -> None:
    assert parse_quorum(text) == value


@pytest.mark.parametrize("text", ["0", "1.5", "-1/2", "half", "1/0"])
def test_a_quorum_outside_zero_to_one_is_refused(text) -> None:
    with pytest.raises(Invalid, match="quorum"):
        parse_quorum(text)


# -- opening -------------------------------------------------------------------------------

@pytest.mark.parametrize(("over", "words"), [
    ({"rule": "unanimity"}, "not a threshold rule"),
    ({"rule": "two_thirds_eligible"}, "needs a quorum"),
    ({"eligible": []}, "at least one eligible household"),
    ({"eligible": ["a-1", "a-2", "a-1"]}, "listed twice: a-1"),
])
def test_opening_checks_the_rule_and_the_households(over, words) -> None:
    with pytest.raises(Invalid, match=words):
        consultation(**over)


def test_opening_numbers_the_proposals_and_keeps_the_quorum_exact() -> None:
    c = consultation(rule="two_thirds_eligible", quorum="0.5")
    assert list(c.proposals) == ["p1", "p2"]
    assert c.quorum == "1/2" and c.status == "open"
    assert c.add_proposal("安装监控", "", T0, META) == "p3"
    assert c.turnout() == {"p1": 0, "p2": 0, "p3": 0}


# -- voting --------------------------------------------------------------------------------

def test_a_changed_vote_replaces_the_earlier_one_and_says_so() -> None:
    c = consultation()
    h = HOUSEHOLDS[0]
    mine = frozenset({h})
    assert c.vote(h, "p1", "no", "r-1", T0, META, mine) is True
    assert c.vote(h, "p1", "yes", "r-1", T0, META, mine) is True
    assert c.vote(h, "p1", "yes", "r-1", T0, META, mine) is False  # the same again: no record
    casts = [e for e in c.collect_events() if type(e).__name__ == "VoteCast"]
    assert [(e.choice, e.replaces) for e in casts] == [("no", None), ("yes", "no")]
    assert c.turnout()["p1"] == 1
    assert c.close_voting(T0, META)["p1"]["yes"] == 1


def test_a_vote_cannot_change_when_the_consultation_forbids_it() -> None:
    c = consultation(allow_change=False)
    c.vote(HOUSEHOLDS[0], "p1", "no", None, T0, META)
    with pytest.raises(IllegalTransition, match="does not allow changing a vote"):
        c.vote(HOUSEHOLDS[0], "p1", "yes", None, T0, META)
    assert c.vote(HOUSEHOLDS[0], "p1", "no", None, T0, META) is False


def test_only_eligible_households_vote_on_known_proposals() -> None:
    c = consultation()
    with pytest.raises(Forbidden, match="'jjy102-b9-999' is not eligible"):
        c.vote("jjy102-b9-999", "p1", "yes", "r-1", T0, META)
    with pytest.raises(Invalid, match="no proposal 'p7' in this consultation; it has p1, p2"):
        c.vote(HOUSEHOLDS[0], "p7", "yes", "r-1", T0, META)


def test_a_household_votes_online_through_one_resident_account() -> None:
    c = consultation()
    h = HOUSEHOLDS[0]
    c.vote(h, "p1", "yes", "r-1", T0, META, frozenset({h}))
    with pytest.raises(Forbidden, match="another resident's account"):
        c.vote(h, "p1", "no", "r-2", T0, META, frozenset({h}))
    with pytest.raises(Forbidden, match="another resident's account"):
        c.vote(h, "p2", "no", "r-2", T0, META, frozenset({h}))
    assert c.vote(h, "p1", "no", None, T0, META) is True  # a paper ballot at the meeting


def test_an_online_ballot_counts_only_for_a_household_the_resident_is_verified_for() -> None:
    """The ballot stuffing of issue 11: one resident voting for every eligible household."""
    c = consultation()
    for h in HOUSEHOLDS[1:4]:
        with pytest.raises(Forbidden, match=f"not a verified member of household '{h}'"):
            c.vote(h, "p1", "yes", "r-1", T0, META, frozenset({HOUSEHOLDS[0]}))
    assert c.vote(HOUSEHOLDS[0], "p1", "yes", "r-1", T0, META, frozenset({HOUSEHOLDS[0]}))
    assert c.turnout()["p1"] == 1


def test_after_close_no_vote_and_no_new_proposal() -> None:
    c = consultation()
    c.close_voting(T0, META)
    with pytest.raises(IllegalTransition, match="voting closed"):
        c.vote(HOUSEHOLDS[0], "p1", "yes", None, T0, META)
    with pytest.raises(IllegalTransition, match="voting closed"):
        c.add_proposal("x", "", T0, META)
    with pytest.raises(IllegalTransition, match="voting closed"):
        c.close_voting(T0, META)


# -- concluding ----------------------------------------------------------------------------

def voted(yes_on_p1: int, yes_on_p2: int) -> Consultation:
    c = consultation()
    for n, h in enumerate(HOUSEHOLDS):
        c.vote(h, "p1", "yes" if n < yes_on_p1 else "no", None, T0, META)
        c.vote(h, "p2", "yes" if n < yes_on_p2 else "no", None, T0, META)
    return c


def test_only_a_closed_vote_concludes_and_only_passed_proposals_are_adopted() -> None:
    c = voted(yes_on_p1=6, yes_on_p2=5)  # 6/9 passes, 5/9 does not
    with pytest.raises(IllegalTransition, match="after its voting closed; this one is open"):
        c.conclude("x", [], [], T0, META)
    counts = c.close_voting(T0, META)
    assert (counts["p1"]["passed"], counts["p2"]["passed"]) == (True, False)
    with pytest.raises(IllegalTransition, match=r"p2 did not pass \(5 yes of 9 cast, 6 needed"):
        c.conclude("x", ["p1", "p2"], [], T0, META)
    with pytest.raises(Invalid, match="no proposal 'p9'"):
        c.conclude("x", ["p9"], [], T0, META)
    with pytest.raises(Invalid, match="not an assignee kind"):
        c.conclude("x", ["p1"], [{"kind": "mayor", "id": "m", "name": "", "task": "t"}], T0,
                   META)
    task = {"kind": "property_company", "id": "wy-01", "name": "物业", "task": "拆除披棚"}
    c.conclude("商户同意拆除违建", ["p1"], [task], T0, META)
    assert c.status == "concluded"
    assert c.conclusion == {"text": "商户同意拆除违建", "adopted": ["p1"], "assignments": [task],
                            "published_at": T0.isoformat()}
    with pytest.raises(IllegalTransition, match="concluded once"):
        c.conclude("again", [], [], T0, META)


def test_events_are_public_versioned_types() -> None:
    c = voted(yes_on_p1=9, yes_on_p2=9)
    c.add_proposal("安装监控", "", T0, META)
    c.close_voting(T0, META)
    c.conclude("ok", ["p1"], [], T0, META)
    events = c.collect_events()
    assert {type(e).TOPIC for e in events} == {
        "gongzhi.consultation.opened.v1", "gongzhi.consultation.vote_cast.v1",
        "gongzhi.consultation.proposal_added.v1", "gongzhi.consultation.voting_closed.v1",
        "gongzhi.consultation.concluded.v1",
    }
    assert len(events) == 1 + 18 + 1 + 1 + 1
    assert all(e.tier == "gl.xty.jjy102" and e.meta == META for e in events)


# -- weighed by floor area ------------------------------------------------------------------

def test_ballots_weighed_by_area_decide_by_square_metres_not_households() -> None:
    areas = {"a": "120.00", "b": "40.00", "c": "40.00", "d": "40.00"}
    c = Consultation.open(
        id=uuid.uuid4(), node="gl.xty.jjy102", issue_id=None, topic="车棚", form="council",
        convenor={"name": "范新华"}, parties=[], proposals=[{"title": "修建车棚"}],
        eligible=list(areas), rule="simple_majority_cast", quorum="1/2", allow_change=True,
        fingerprint="f", at=T0, meta=META, weight="area", areas=areas)
    c.vote("a", "p1", "yes", None, T0, META)
    c.vote("b", "p1", "no", None, T0, META)
    c.vote("c", "p1", "no", None, T0, META)
    result = c.close_voting(T0, META)["p1"]
    # One household of three says yes, but 120 of 200 m² is more than half of the area.
    assert (result["yes"], result["no"], result["passed"]) == (1, 2, True)
    assert result["area"]["cast"] == "200.00" and result["area"]["yes_needed"] == "100.01"
    assert result["area"]["quorum_needed"] == "120.00" and result["quorum_met"] is True


def test_weighing_by_area_needs_every_household_in_the_register() -> None:
    with pytest.raises(Invalid, match="not there: jjy102-b1-102"):
        consultation_with(weight="area", areas={HOUSEHOLDS[0]: "80"})


def consultation_with(**over: object) -> Consultation:
    return Consultation.open(
        id=uuid.uuid4(), node="gl.xty.jjy102", issue_id=None, topic="车棚", form="council",
        convenor={"name": "范新华"}, parties=[], proposals=[{"title": "修建车棚"}],
        eligible=HOUSEHOLDS, rule="two_thirds_cast", quorum=None, allow_change=True,
        fingerprint="f", at=T0, meta=META, **over)
