"""A reaction killed between its new events and its position commits neither; on restart it
happens exactly once (issue 14 §4). And a batch whose commands raced each other is applied
event by event, each once; events a reaction ignores still move its position on."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from services.grid.application import GridApplication
from services.issues.application import IssuesApplication
from services.volunteers.application import VolunteersApplication
from services.volunteers.reactions import SERVICE
from shared.bus.envelope import Delivery, Envelope
from shared.db import create_pool
from shared.eventstore import open_application
from shared.projections.runner import ProjectionRunner
from shared.sealing import Sealer
from shared.settings import Settings
from tests.conftest import DATA_KEY
from tests.integration.test_policies import issues_app
from tests.utils.city import SMALL_CITY, SYSTEM
from tests.utils.crashing_reaction import patrol_runner
from tests.utils.store import count_events, stored_events
from tests.utils.wait import eventually

ROOT = Path(__file__).parents[2]
GRID_WORKER = {"actor": {"sub": "w-g03", "role": "grid_worker", "name": "网格员"}}
PROBLEMS = [{"title": "楼道堆物", "category": "safety", "node": "km.guandu.taihe.heping.g03",
             "raise_issue": True},
            {"title": "路灯不亮", "category": "safety", "node": "km.guandu.taihe.heping.g03",
             "raise_issue": True}]


async def position(pool, schema: str, stream: str) -> int | None:
    return await pool.fetchval(f'SELECT position FROM "{schema}".tracking WHERE stream = $1',
                               stream)


def log_patrol(settings: Settings) -> int:
    """Grid's log holds the small city and one patrol with two problems to raise; returns
    the patrol's position in grid's log."""
    grid = open_application(GridApplication, settings.database_url, sealer=Sealer(DATA_KEY))
    try:
        grid.register_nodes(SMALL_CITY, SYSTEM)
        grid.log_patrol("km.guandu.taihe.heping.g03", "w-g03", 12, PROBLEMS, "", GRID_WORKER)
        return grid.recorder.max_notification_id()
    finally:
        grid.close()


async def kill_then_restart(settings: Settings, patrol: tuple[str, int], tmp_path: Path) -> None:
    """The patrol reaction is killed after inserting its events; then restarted. `patrol` is
    where the patrol sits in the stream the reaction follows (stream, position)."""
    issues: IssuesApplication = issues_app(settings)
    pool = await create_pool(settings.database_url)
    stream, at = patrol
    try:
        marker = tmp_path / "inserted"
        died = subprocess.run(
            [sys.executable, "-m", "tests.utils.crashing_reaction", str(marker),
             settings.model_dump_json()], cwd=ROOT, capture_output=True, text=True,
            timeout=120)
        assert died.returncode == -signal.SIGKILL, died.stderr
        assert marker.read_text() == "4"  # two issues, raised and triaged: inserted, then killed
        # Neither the events nor the patrol's position survived the kill.
        assert count_events(settings.database_url, "issues") == 0
        assert (await position(pool, "issues_policy_patrols", stream) or -1) < at

        runner = patrol_runner(issues, pool, settings)  # the service restarted
        assert await runner.catch_up() > 0
        assert await runner.catch_up() == 0  # nothing left: the position came with the events
        topics = [e[2] for e in stored_events(settings.database_url, "issues")]
        assert topics.count("gongzhi.issue.raised.v1") == 2 and len(topics) == 4
        assert await position(pool, "issues_policy_patrols", stream) >= at
    finally:
        await pool.close()
        issues.close()


async def test_a_reaction_killed_after_its_events_commits_nothing_then_happens_once(
        settings: Settings, tmp_path: Path) -> None:
    at = log_patrol(settings)
    await kill_then_restart(settings, ("grid", at), tmp_path)


def confirmed(person: str, hours: float) -> Envelope:
    wish = str(uuid.uuid4())
    return Envelope(id=f"{wish}/5", source="/gongzhi/volunteers",
                    type="gongzhi.wish.confirmed.v1", subject=wish,
                    time="2026-11-23T09:00:00+00:00", seq=5, tier="km.guandu.taihe.heping",
                    data={"volunteer": person, "hours": hours, "team": None, "note": "",
                          "at": "2026-11-23T09:00:00+08:00"})


async def test_a_batch_whose_credits_race_is_applied_event_by_event_each_once(
        settings: Settings) -> None:
    """Two wishes of one new volunteer in one batch: each credit opens the same account, a
    conflict only seen when the batch's events are inserted; the batch is rolled back and
    retried one by one. A third event the reaction ignores still moves its position on."""
    volunteers = open_application(VolunteersApplication, settings.database_url)
    pool = await create_pool(settings.database_url)
    try:
        runner = ProjectionRunner(SERVICE.bind(volunteers), pool, lambda _: None)
        await runner.prepare()
        ignored = Envelope(id="x/1", source="/gongzhi/volunteers", type="gongzhi.wish.posted.v1",
                           subject=str(uuid.uuid4()), time="2026-11-23T09:00:00+00:00", seq=1,
                           tier="km", data={"node": "km", "community": "km", "poster": "r",
                                            "kind": "help", "text": "", "wanted_by": "",
                                            "at": "2026-11-23T09:00:00+08:00"})
        batch = [confirmed("p-1", 2), confirmed("p-1", 1), ignored]
        await runner.handle([Delivery("volunteers", n, lambda e=e: e)
                             for n, e in enumerate(batch, start=1)])
        assert volunteers.get_account("p-1").balance == 30  # 2 h and 1 h at 10 points an hour
        credits = [e for e in stored_events(settings.database_url, "volunteers")
                   if e[2] == "gongzhi.account.credited.v1"]
        assert len(credits) == 2
        assert await position(pool, SERVICE.schema, "volunteers") == 3
        assert await pool.fetchval(f"SELECT count(*) FROM {SERVICE.schema}.dead_letters") == 0
    finally:
        await pool.close()
        volunteers.close()


async def test_a_reaction_waiting_too_long_for_the_log_s_lock_is_retried_not_parked(
        settings: Settings) -> None:
    """A reaction inserts its events under the log's table lock, like every writer; held
    past the lock timeout by a long writer, the reaction is retried, not parked (even by a
    runner that parks at the first real failure) and credits once when the lock is free."""
    volunteers = open_application(VolunteersApplication, settings.database_url)
    volunteers.recorder.datastore.lock_timeout = 1  # seconds; 5 in service
    pool = await create_pool(settings.database_url)
    writer = await pool.acquire()
    try:
        runner = ProjectionRunner(SERVICE.bind(volunteers), pool, lambda _: None,
                                  dead_letter_after=1)
        await runner.prepare()
        tx = writer.transaction()
        await tx.start()
        await writer.execute('LOCK TABLE volunteers.volunteers_events IN EXCLUSIVE MODE')
        reacting = asyncio.create_task(
            runner.handle([Delivery("volunteers", 1, lambda: confirmed("p-2", 1))]))
        await eventually(lambda: pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE 'LOCK TABLE%volunteers_events%'"), lambda n: n > 0)
        await asyncio.sleep(2.5)  # past the 1 s lock timeout: at least one attempt failed
        await tx.rollback()
        await asyncio.wait_for(reacting, timeout=30)
        assert volunteers.get_account("p-2").balance == 10
        assert await pool.fetchval(f"SELECT count(*) FROM {SERVICE.schema}.dead_letters") == 0
        assert await position(pool, SERVICE.schema, "volunteers") == 1
    finally:
        await pool.release(writer)
        await pool.close()
        volunteers.close()
