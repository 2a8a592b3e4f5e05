"""A cross-service reaction that fails for a passing reason is retried until it succeeds; one
parked for good is replayed by an operator exactly once (`gongzhi dead-letters`)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path

import asyncpg
import pytest

from contracts.evaluation import RatingIssueRated
from services.grid.application import GridApplication, NodeSpec
from services.issues.application import IssuesApplication
from services.issues.projections import TIER_TREE
from services.issues.reactions import RATED
from shared.bus.envelope import Delivery
from shared.bus.transports import consumers_for
from shared.db import create_pool
from shared.eventstore import open_application
from shared.projections.runner import ProjectionRunner
from shared.sealing import Sealer
from shared.settings import Settings
from tests.conftest import DATA_KEY
from tests.integration.test_policies import ACTOR, issues_app, raise_at_km_a
from tests.utils.city import SMALL_CITY, SYSTEM
from tests.utils.contract_events import envelope_of
from tests.utils.store import count_events

NEW_NODE = "km.guandu.taihe.heping.g05"  # registered in grid; the issues copy learns it late


@dataclass
class World:
    settings: Settings
    pool: asyncpg.Pool
    issues: IssuesApplication
    grid: GridApplication
    copy: ProjectionRunner  # the issues service's copy of grid's tier tree

    async def runner(self, *, patience: float = 600.0) -> ProjectionRunner:
        runner = ProjectionRunner(RATED.bind(self.issues), self.pool,
                                  consumers_for(self.settings, self.settings.database_url,
                                                "issues_policy_rated"), patience=patience)
        await runner.prepare()
        return runner

    async def resolved_issue(self) -> uuid.UUID:
        issue = await raise_at_km_a(self.issues)
        self.issues.acknowledge(issue.id, "", {"actor": ACTOR})
        self.issues.resolve(issue.id, "done", [], {"actor": ACTOR})
        return issue.id


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[World]:
    grid = open_application(GridApplication, settings.database_url, sealer=Sealer(DATA_KEY))
    grid.register_nodes(SMALL_CITY, SYSTEM)
    issues = issues_app(settings)
    pool = await create_pool(settings.database_url)
    copy = ProjectionRunner(TIER_TREE, pool, consumers_for(settings, settings.database_url,
                                                           TIER_TREE.schema))
    await copy.catch_up()
    grid.register_nodes([NodeSpec(NEW_NODE, "grid", "第五网格")], SYSTEM)  # not copied yet
    try:
        yield World(settings, pool, issues, grid, copy)
    finally:
        await pool.close()
        issues.close()
        grid.close()


def rated_unsatisfied(issue_id: uuid.UUID, node: str) -> Delivery:
    envelope = envelope_of(RatingIssueRated(
        issue_id=str(issue_id), round=1, rater="r", verdict="unsatisfied", comment="",
        node=node, handling_node=node, category="safety", at="2026-11-23T09:00:00+00:00",
        actor=ACTOR), tier=node)
    return Delivery("evaluation", 1, lambda: envelope)


async def test_a_rating_waits_for_the_tier_copy_then_reopens_the_issue(world: World) -> None:
    issue_id = await world.resolved_issue()
    runner = await world.runner()
    reacting = asyncio.create_task(runner.handle([rated_unsatisfied(issue_id, NEW_NODE)]))
    await asyncio.sleep(1.0)  # retried, with backoff, while the copy does not know the node
    assert not reacting.done()
    assert world.issues.get_issue(issue_id).status == "resolved"
    await world.copy.catch_up()  # the copy catches up with grid
    await asyncio.wait_for(reacting, timeout=15)
    reopened = world.issues.get_issue(issue_id)
    assert (reopened.status, reopened.reopenings) == ("reopened", 1)
    assert await world.pool.fetchval(
        "SELECT count(*) FROM issues_policy_rated.dead_letters") == 0


async def test_a_parked_reaction_is_replayed_exactly_once(world: World, tmp_path: Path) -> None:
    issue_id = await world.resolved_issue()
    runner = await world.runner(patience=0.5)  # gives up on the missing node quickly: parked
    await runner.handle([rated_unsatisfied(issue_id, NEW_NODE)])
    letter = await world.pool.fetchrow(
        "SELECT id, state, error FROM issues_policy_rated.dead_letters")
    assert letter["state"] == "parked" and "not caught up" in letter["error"]
    await world.copy.catch_up()  # the cause is fixed; an operator replays it

    def cli(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "gongzhi.cli", "dead-letters", *args,
             "--home", str(tmp_path)], capture_output=True, text=True, check=True,
            env={"DATABASE_URL": world.settings.database_url, "PATH": "/usr/bin:/bin"},
        ).stdout

    listed = cli("list")
    assert '"schema": "issues_policy_rated"' in listed and '"state": "parked"' in listed
    events_before = count_events(world.settings.database_url, "issues")
    assert "replay" in cli("replay", "issues_policy_rated", str(letter["id"]))
    assert await runner.replay_requested() == 1  # the running service applies it
    assert cli("replay", "issues_policy_rated", str(letter["id"])).strip().endswith("replayed")
    assert await runner.replay_requested() == 0
    assert await runner.replay(letter["id"]) == "replayed"  # the API's path: no effect again
    reopened = world.issues.get_issue(issue_id)
    assert (reopened.status, reopened.reopenings) == ("reopened", 1)
    assert count_events(world.settings.database_url, "issues") == events_before + 1
    # Dropping it now changes nothing: it stays replayed, and nothing is parked any more.
    assert cli("drop", "issues_policy_rated", str(letter["id"])).strip().endswith("replayed")


async def test_operators_see_and_replay_parked_messages_over_the_api(issues_api) -> None:
    from tests.integration.test_issues_api import COMMUNITY, raise_issue
    from tests.utils.tokens import bearer

    admin = bearer("admin", "km")
    assert (await issues_api.get("/v1/ops/dead-letters", headers=COMMUNITY)).status_code == 403
    assert (await issues_api.get("/v1/ops/dead-letters", headers=admin)).json() == []
    issue = await raise_issue(issues_api)
    for act, body in (("acknowledge", {}), ("resolve", {"resolution": "已清理"})):
        r = await issues_api.post(f"/v1/issues/{issue['id']}/{act}", json=body,
                                  headers=COMMUNITY)
        assert r.status_code == 200, r.text
    # A rating the reaction once parked (say, before a fix), kept with its message.
    rating = rated_unsatisfied(uuid.UUID(issue["id"]), issue["node"]).decode()
    pool = issues_api._transport.app.state.pool  # type: ignore[attr-defined]
    await pool.execute(
        "INSERT INTO issues_policy_rated.dead_letters (stream, position, error, attempts, "
        "message) VALUES ('evaluation', 7, 'Boom: a bug since fixed', 3, $1)",
        json.dumps(asdict(rating)))
    [letter] = (await issues_api.get("/v1/ops/dead-letters", headers=admin)).json()
    assert (letter["read_model"], letter["type"]) == ("issues_policy_rated", rating.type)
    url = f"/v1/ops/dead-letters/issues_policy_rated/{letter['id']}/replay"
    for _ in range(2):  # the second replay finds it replayed and does nothing
        r = await issues_api.post(url, headers=admin)
        assert (r.status_code, r.json()["state"]) == (200, "replayed")
    got = (await issues_api.get(f"/v1/issues/{issue['id']}", headers=COMMUNITY)).json()
    assert (got["status"], got["reopenings"]) == ("reopened", 1)
    assert (await issues_api.post("/v1/ops/dead-letters/issues_policy_rated/999/replay",
                                  headers=admin)).status_code == 404
    assert (await issues_api.get("/v1/ops/dead-letters", headers=admin)).json() == []
