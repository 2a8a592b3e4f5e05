"""The volunteers service's aggregates, pure: registration, teams, the wish flow, activities
and the time bank's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.volunteers.domain.account import Account, Reward
from services.volunteers.domain.activity import Activity
from services.volunteers.domain.rules import points_for_hours
from services.volunteers.domain.team import Team
from services.volunteers.domain.volunteer import Organisation, Volunteer
from services.volunteers.domain.wish import Wish
from shared.errors import Conflict, IllegalTransition, Invalid

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
META = {"actor": {"sub": "t", "role": "admin", "name": ""}}
HOME = "wn.huayin.yuemiao.huayue.zhhsc"
COMMUNITY = "wn.huayin.yuemiao.huayue"


def volunteer(person: str = "p-1", kind: str = "in_service_party_member",
              organisation: str | None = "hy-tax") -> Volunteer:
    return Volunteer.register(person=person, name="李建国", kind=kind, home=HOME,
                              community=COMMUNITY, organisation=organisation, skills=[],
                              availability=[], at=NOW, meta=META)


def wish(hours_ahead: int = 24) -> Wish:
    return Wish.post(id=uuid4(), node=HOME, community=COMMUNITY, poster="r-1", kind="repair",
                     text="修水龙头", wanted_by=NOW + timedelta(hours=hours_ahead), at=NOW,
                     meta=META)


def events(aggregate: object) -> list[str]:
    return [type(e).TOPIC for e in aggregate.collect_events()]  # type: ignore[attr-defined]


# -- registration ---------------------------------------------------------------------------

def test_double_registration_names_home_and_employer() -> None:
    v = volunteer()
    assert (v.community, v.organisation, v.is_party_member) == (COMMUNITY, "hy-tax", True)
    assert v.id == Volunteer.id_for("p-1")


@pytest.mark.parametrize(("kind", "organisation", "field"), [
    ("in_service_party_member", None, "organisation"),
    ("retired_party_member", "hy-tax", "organisation"),
    ("astronaut", None, "kind"),
])
def test_registration_refusals_name_the_field(kind: str, organisation: str | None,
                                              field: str) -> None:
    with pytest.raises(Invalid) as refused:
        volunteer(kind=kind, organisation=organisation)
    assert refused.value.extra["field"] == field


def test_moves_and_deregistration_keep_history() -> None:
    v = volunteer()
    v.move(f"{COMMUNITY}.jyc", COMMUNITY, "搬家", NOW, META)
    assert not v.update_profile([], [], NOW, META)  # nothing changed, no event
    v.deregister("调离华阴", NOW, META)
    assert events(v) == ["gongzhi.volunteer.registered.v1", "gongzhi.volunteer.moved.v1",
                         "gongzhi.volunteer.deregistered.v1"]
    with pytest.raises(IllegalTransition, match="deregistered"):
        v.update_profile(["理发"], ["sat"], NOW, META)


def test_an_organisation_keeps_its_commitments() -> None:
    o = Organisation.register(code="hy-tax", name="税务局", node=COMMUNITY,
                              commitments=["政策宣讲"], at=NOW, meta=META)
    assert o.set_commitments(["政策宣讲", "结对帮扶"], NOW, META)
    assert not o.set_commitments(["政策宣讲", "结对帮扶"], NOW, META)
    assert o.commitments == ["政策宣讲", "结对帮扶"]


# -- teams ----------------------------------------------------------------------------------

def test_a_team_has_its_leader_among_its_members() -> None:
    t = Team.form(node=HOME, code="v1", name="先锋队", kind="vanguard", leader="p-1", at=NOW,
                  meta=META)
    t.add_member("p-2", NOW, META)
    with pytest.raises(Conflict):
        t.add_member("p-2", NOW, META)
    with pytest.raises(IllegalTransition, match="leads"):
        t.remove_member("p-1", "r", NOW, META)
    t.change_leader("p-2", NOW, META)
    t.remove_member("p-1", "工作调动", NOW, META)
    assert (t.leader, t.members) == ("p-2", ["p-2"])


# -- wishes ---------------------------------------------------------------------------------

def test_the_wish_flow() -> None:
    w = wish()
    w.dispatch({"id": "t", "name": "先锋队"}, NOW, META)
    w.claim("p-1", NOW, META)
    with pytest.raises(IllegalTransition, match="already claimed by p-1"):
        w.claim("p-2", NOW, META)
    with pytest.raises(IllegalTransition, match="only p-1"):
        w.fulfil("p-2", 1, "", NOW, META)
    with pytest.raises(Invalid):
        w.fulfil("p-1", 0, "", NOW, META)
    w.fulfil("p-1", 2, "", NOW, META)
    with pytest.raises(IllegalTransition, match="posted"):
        w.confirm("r-2", "", NOW, META)
    w.confirm("r-1", "", NOW, META)
    with pytest.raises(IllegalTransition, match="confirmed"):
        w.confirm("r-1", "", NOW, META)
    assert events(w)[-1] == "gongzhi.wish.confirmed.v1"
    assert (w.status, w.hours, w.claimer) == ("confirmed", 2, "p-1")


def test_a_wish_is_claimed_only_once_dispatched_or_opened() -> None:
    w = wish()
    with pytest.raises(IllegalTransition, match="posted"):
        w.claim("p-1", NOW, META)
    w.dispatch(None, NOW, META)
    assert w.status == "open"


def test_a_wish_wanted_in_the_past_is_refused() -> None:
    with pytest.raises(Invalid, match="wanted_by"):
        wish(hours_ahead=0)


def test_an_unclaimed_wish_is_flagged_once_after_its_date() -> None:
    w = wish(hours_ahead=2)
    assert not w.flag_if_overdue(NOW + timedelta(hours=1), META)
    assert w.flag_if_overdue(NOW + timedelta(hours=3), META)
    assert not w.flag_if_overdue(NOW + timedelta(hours=4), META)
    claimed = wish(hours_ahead=2)
    claimed.dispatch(None, NOW, META)
    claimed.claim("p-1", NOW, META)
    assert not claimed.flag_if_overdue(NOW + timedelta(hours=3), META)


# -- activities -----------------------------------------------------------------------------

def test_an_activity_never_overbooks_and_counts_attendance_once() -> None:
    a = Activity.publish(id=uuid4(), node=HOME, title="义诊", starts_at=NOW, hours=2, slots=1,
                         at=NOW, meta=META)
    a.sign_up("r-1", NOW, META)
    with pytest.raises(IllegalTransition, match="full"):
        a.sign_up("r-2", NOW, META)
    with pytest.raises(Invalid, match="at most"):
        a.record_attendance("r-1", 3, NOW, META)
    a.record_attendance("r-1", 2, NOW, META)
    with pytest.raises(Conflict, match="already recorded"):
        a.record_attendance("r-1", 2, NOW, META)


# -- the time bank --------------------------------------------------------------------------

def account(person: str = "p-1") -> Account:
    return Account.open(person, HOME, META)


def test_a_source_is_credited_once() -> None:
    a = account()
    assert a.credit("wish", "w-1", 20, 2, HOME, None, "心愿", NOW, META)
    assert not a.credit("wish", "w-1", 20, 2, HOME, None, "心愿", NOW, META)
    assert a.credit("activity", "w-1", 5, 0.5, HOME, None, "活动", NOW, META)
    assert a.balance == 25
    assert (points_for_hours(2), points_for_hours(1.25), points_for_hours(0.01)) == (20, 13, 1)


def test_redemption_never_overdraws_nor_takes_stock_below_zero() -> None:
    a = account()
    a.credit("civic_act", "c-1", 10, 0, HOME, None, "", NOW, META)
    rice = Reward.offer(node=COMMUNITY, code="rice", name="大米", kind="goods", points=15,
                        stock=1, at=NOW, meta=META)
    with pytest.raises(Conflict, match="balance of p-1 is 10 points") as refused:
        a.redeem("r-1", rice, NOW, META)
    assert refused.value.extra["balance"] == 10
    soap = Reward.offer(node=COMMUNITY, code="soap", name="肥皂", kind="goods", points=5,
                        stock=1, at=NOW, meta=META)
    a.redeem("r-2", soap, NOW, META)
    soap.hand_out("r-2", "p-1", NOW, META)
    with pytest.raises(IllegalTransition, match="out of stock"):
        soap.hand_out("r-3", "p-1", NOW, META)
    assert (a.balance, soap.stock, a.made("r-2", f"reward:{soap.id}")) == (5, 0, True)
    with pytest.raises(Conflict, match="different request"):
        a.made("r-2", f"reward:{rice.id}")


def test_a_gift_is_two_sides_and_the_books_balance() -> None:
    giver, taker = account("p-1"), account("p-2")
    giver.credit("civic_act", "c-1", 30, 0, HOME, None, "", NOW, META)
    giver.give("g-1", taker, 12, "谢谢", NOW, META)
    with pytest.raises(Conflict, match="18 points"):
        giver.give("g-2", taker, 19, "", NOW, META)
    with pytest.raises(Invalid):
        giver.give("g-3", giver, 1, "", NOW, META)
    moved = [e for a in (giver, taker) for e in a.collect_events()]
    credits = sum(e.points for e in moved if type(e).__name__ in ("Credited", "GiftReceived"))
    debits = sum(e.points for e in moved if type(e).__name__ in ("Redeemed", "GiftSent"))
    assert (credits, debits) == (42, 12)
    assert credits == debits + giver.balance + taker.balance


def test_a_disputed_wish_goes_out_again_with_the_claim_cleared() -> None:
    w = wish()
    w.dispatch({"id": "t", "name": "先锋队"}, NOW, META)
    w.claim("p-1", NOW, META)
    with pytest.raises(IllegalTransition, match="claimed"):
        w.reopen("r", NOW, META)
    w.fulfil("p-1", 1, "", NOW, META)
    w.dispute("r-1", "没修好", NOW, META)
    w.reopen("换人再修", NOW, META)
    assert (w.status, w.claimer, w.hours) == ("dispatched", None, None)
    w.claim("p-2", NOW, META)
    assert w.claimer == "p-2"


def test_a_cancelled_sign_up_frees_its_slot() -> None:
    a = Activity.publish(id=uuid4(), node=HOME, title="义诊", starts_at=NOW, hours=2, slots=1,
                         at=NOW, meta=META)
    a.sign_up("r-1", NOW, META)
    a.cancel_sign_up("r-1", "临时有事", NOW, META)
    a.sign_up("r-2", NOW, META)
    with pytest.raises(IllegalTransition, match="has not signed up"):
        a.cancel_sign_up("r-1", "", NOW, META)
    a.record_attendance("r-2", 2, NOW, META)
    with pytest.raises(IllegalTransition, match="already recorded"):
        a.cancel_sign_up("r-2", "", NOW, META)
