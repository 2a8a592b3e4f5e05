"""Party organisations on tier nodes and compounds' co-governance bodies, pure."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.grid.domain.party import CoGovernanceBody, PartyOrganisation
from shared.errors import IllegalTransition, Invalid

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
META = {"actor": {"sub": "t", "role": "admin", "name": ""}}
ZHHSC = "wn.huayin.yuemiao.huayue.zhhsc"


def branch() -> PartyOrganisation:
    return PartyOrganisation.establish(node=ZHHSC, level="compound", kind="compound_branch",
                                       name="小区党支部", secretary={"name": "白玉琴"}, at=NOW,
                                       meta=META)


@pytest.mark.parametrize(("kind", "level"), [("compound_branch", "community"),
                                             ("community_committee", "compound"),
                                             ("member_household", "compound")])
def test_an_organisation_sits_at_its_level(kind: str, level: str) -> None:
    with pytest.raises(Invalid, match="sits at"):
        PartyOrganisation.establish(node=ZHHSC, level=level, kind=kind, name="x",
                                    secretary={"name": "y"}, at=NOW, meta=META)


def test_secretaries_change_with_history_until_dissolved() -> None:
    o = branch()
    with pytest.raises(IllegalTransition, match="already the secretary"):
        o.change_secretary({"name": "白玉琴"}, "换届", NOW, META)
    o.change_secretary({"name": "王秀珍", "person": "p-hy-wang"}, "换届选举", NOW, META)
    o.dissolve("小区合并", NOW, META)
    with pytest.raises(IllegalTransition, match="dissolved"):
        o.change_secretary({"name": "x"}, "r", NOW, META)
    assert [type(e).TOPIC for e in o.collect_events()] == [
        "gongzhi.party_organisation.established.v1",
        "gongzhi.party_organisation.secretary_changed.v1",
        "gongzhi.party_organisation.dissolved.v1"]


def test_a_body_serves_a_compound_for_a_term_and_renews() -> None:
    with pytest.raises(Invalid, match="serves a compound"):
        CoGovernanceBody.form(node="wn.huayin", level="district", kind="owners_committee",
                              name="x", term_from=date(2023, 1, 1), term_to=date(2028, 1, 1),
                              contact="", at=NOW, meta=META)
    with pytest.raises(Invalid, match="term ends"):
        CoGovernanceBody.form(node=ZHHSC, level="compound", kind="owners_committee", name="x",
                              term_from=date(2023, 1, 1), term_to=date(2022, 1, 1),
                              contact="", at=NOW, meta=META)
    b = CoGovernanceBody.form(node=ZHHSC, level="compound", kind="property_company",
                              name="中海物业", term_from=date(2024, 1, 1),
                              term_to=date(2026, 12, 31), contact="", at=NOW, meta=META)
    with pytest.raises(Invalid, match="begins after"):
        b.renew("x", date(2023, 1, 1), date(2027, 1, 1), "", "r", NOW, META)
    b.renew("华山物业", date(2027, 1, 1), date(2029, 12, 31), "", "业主大会选聘新物业", NOW, META)
    assert (b.name, b.term_from) == ("华山物业", "2027-01-01")
    b.end("业主自管", NOW, META)
    with pytest.raises(IllegalTransition, match="already ended"):
        b.end("r", NOW, META)
