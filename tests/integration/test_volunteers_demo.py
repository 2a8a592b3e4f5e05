"""The demo city's volunteers: seeded through the volunteers Application, idempotently, and
alive once the service runs (the confirmed wishes' points credited by its policy)."""

from __future__ import annotations

from gongzhi.demo.seed import seed
from services.volunteers.bootstrap import create_app
from shared.settings import Settings
from tests.conftest import DATA_KEY
from tests.utils.serve import serve
from tests.utils.store import count_events
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

HUAYUE = "wn.huayin.yuemiao.huayue"
STAFF = bearer("community_staff", HUAYUE, sub="u-hy-huayue-c01")


async def test_the_demo_community_is_alive_and_seeding_again_changes_nothing(
        settings: Settings) -> None:
    first = seed(settings.database_url, DATA_KEY)
    assert first.volunteers == 7
    stored = count_events(settings.database_url, "volunteers")
    assert seed(settings.database_url, DATA_KEY).volunteers == 0
    assert count_events(settings.database_url, "volunteers") == stored

    async with serve(create_app(settings)) as api:
        seen = await eventually(
            lambda: api.get(f"/v1/tiers/{HUAYUE}/registrations", headers=STAFF),
            lambda r: r.status_code == 200 and len(r.json()["items"]) == 5, timeout=60)
        assert seen.json()["by_organisation"] == {"hy-tax": 2, "meituan-hy": 1}
        assert seen.json()["party_members"] == 4
        board = await eventually(
            lambda: api.get("/v1/tiers/wn.huayin/leaderboard", headers=STAFF),
            lambda r: r.status_code == 200 and len(r.json()["items"]) == 4, timeout=60)
        assert [(i["person"], i["points"]) for i in board.json()["items"]] == [
            ("p-hy-zhao", 20), ("p-hy-gao", 10), ("p-hy-rider1", 10), ("r-hy-lijie", 5)]
        rewards = await api.get("/v1/rewards", params={"node": f"{HUAYUE}.zhhsc"},
                                headers=STAFF)
        assert {r["code"] for r in rewards.json()} == {"rice-5kg", "haircut", "star-family"}
        # docs/volunteers.md's requests, as the member it names.
        member = bearer("party_member", HUAYUE, sub="p-hy-zhao")
        statement = await api.get("/v1/accounts/p-hy-zhao/statement", headers=member)
        assert (statement.json()["balance"], statement.json()["hours"]) == (20, 2)
        assert (await api.get("/v1/tiers/wn.huayin/leaderboard", headers=member)).is_success
        wishes = await api.get("/v1/wishes", params={"node": "wn.huayin"}, headers=bearer(
            "district_staff", "wn.huayin"))
        assert sorted(w["status"] for w in wishes.json()) == [
            "claimed", "confirmed", "confirmed", "open", "posted"]
