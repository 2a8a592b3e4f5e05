"""Read-model versions on a real PostgreSQL: a projection declaring a newer version than its
schema was built at is rebuilt into a fresh schema while the old one serves reads, swapped in,
once however many replicas start, and left alone on the next start.

The rebuild is held at its first batch by a gate the test opens, so "reads are served while
it runs" is observed, not hoped for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import asyncpg
import httpx
import pytest

from services.issues.bootstrap import create_app
from services.issues.projections.issue_list import IssueList
from shared import db
from shared.bus.envelope import Envelope
from shared.db import create_pool
from shared.projections.projection import Projection
from shared.projections.runner import ProjectionRunner, Superseded
from shared.settings import Settings
from tests.integration.conftest import issues_on
from tests.integration.test_projection_runner import (
    all_deliveries,
    consumers,
    issues,
    raise_many,
)
from tests.utils.city import BUILDING
from tests.utils.serve import serve
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

__all__ = ["issues"]  # the fixture, shared with the runner's tests

RAISED = "gongzhi.issue.raised.v1"
SCHEMA = "test_titles"


class TitlesV1(Projection):
    schema = SCHEMA
    streams = ("issues",)
    ddl = "CREATE TABLE IF NOT EXISTS {schema}.issues (id uuid PRIMARY KEY, node text NOT NULL);"

    async def apply(self, conn: asyncpg.Connection, schema: str,
                    events: Sequence[Envelope]) -> None:
        await conn.executemany(
            f"INSERT INTO {schema}.issues (id, node) VALUES ($1, $2)",
            [(e.subject, e.data["node"]) for e in events if e.type == RAISED])


class TitlesV2(Projection):
    """The next version: a column more, so the tables change and must be rebuilt."""

    schema = SCHEMA
    streams = ("issues",)
    version = 2
    ddl = ("CREATE TABLE IF NOT EXISTS {schema}.issues (id uuid PRIMARY KEY, node text NOT NULL,"
           " title text NOT NULL);")

    def __init__(self, gate: asyncio.Event | None = None) -> None:
        self.gate = gate  # holds the rebuild (never the live schema) until the test opens it

    async def apply(self, conn: asyncpg.Connection, schema: str,
                    events: Sequence[Envelope]) -> None:
        if self.gate is not None and "__rebuild" in schema:
            await self.gate.wait()
        await conn.executemany(
            f"INSERT INTO {schema}.issues (id, node, title) VALUES ($1, $2, $3)",
            [(e.subject, e.data["node"], e.data["title"]) for e in events if e.type == RAISED])


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(settings.database_url)
    yield p
    await p.close()


async def nodes(pool: asyncpg.Pool) -> dict[str, str]:
    return {str(r["id"]): r["node"] for r in await pool.fetch(
        f'SELECT id, node FROM "{SCHEMA}".issues')}


async def version(pool: asyncpg.Pool, schema: str = SCHEMA) -> int | None:
    return await pool.fetchval(f'SELECT version FROM "{schema}".schema_version')


async def schema_oid(pool: asyncpg.Pool, name: str) -> int | None:
    return await pool.fetchval("SELECT oid FROM pg_namespace WHERE nspname = $1", name)


async def built_at_v1(issues, pool: asyncpg.Pool, settings: Settings, n: int) -> dict:
    raise_many(issues, n)
    await ProjectionRunner(TitlesV1(), pool, consumers(settings)).catch_up()
    before = await nodes(pool)
    assert len(before) == n and await version(pool) == 1
    return before


async def test_a_new_version_is_rebuilt_beside_the_old_one_and_swapped_in(
    issues, pool, settings
) -> None:
    before = await built_at_v1(issues, pool, settings, 5)
    gate = asyncio.Event()
    live = ProjectionRunner(TitlesV2(gate), pool, consumers(settings))
    await live.prepare()
    assert live.built_version == 1 and live.stale
    # The old schema keeps its tables: nothing was altered in place.
    assert not await pool.fetchval(
        "SELECT EXISTS (SELECT 1 FROM information_schema.columns "
        "WHERE table_schema = $1 AND column_name = 'title')", SCHEMA)
    task = asyncio.create_task(live.run())
    try:
        await eventually(lambda: schema_oid(pool, f"{SCHEMA}__rebuild"), bool, timeout=60)
        # Rebuilding, held at its first batch: reads are still served, from version 1.
        assert live.rebuilding
        assert await nodes(pool) == before and await version(pool) == 1
        gate.set()
        await eventually(lambda: version(pool), lambda v: v == 2, timeout=60)
        assert await nodes(pool) == before  # the same rows, rebuilt
        titles = await pool.fetch(f'SELECT title FROM "{SCHEMA}".issues')
        assert sorted(r["title"] for r in titles) == [f"t{i}" for i in range(5)]
        assert await schema_oid(pool, f"{SCHEMA}__rebuild") is None
        # The live runner goes on following the new schema.
        await asyncio.to_thread(raise_many, issues, 1)
        await eventually(lambda: nodes(pool), lambda rows: len(rows) == 6, timeout=60)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert not live.rebuilding and live.built_version == 2

    # The next start finds the version current: same schema, nothing rebuilt.
    oid = await schema_oid(pool, SCHEMA)
    again = ProjectionRunner(TitlesV2(), pool, consumers(settings))
    await again.prepare()
    assert again.built_version == 2 and not again.stale
    assert await again.catch_up() == 0
    assert await schema_oid(pool, SCHEMA) == oid and len(await nodes(pool)) == 6


async def test_replicas_starting_together_rebuild_once(issues, pool, settings) -> None:
    before = await built_at_v1(issues, pool, settings, 4)
    gate = asyncio.Event()
    pools = [await create_pool(settings.database_url) for _ in range(3)]  # three processes
    try:
        replicas = [ProjectionRunner(TitlesV2(gate), p, consumers(settings)) for p in pools]
        for replica in replicas:
            await replica.prepare()
        tasks = [asyncio.create_task(r.upgrade()) for r in replicas]
        # All three are in `upgrade` before the rebuild (held by the gate) can finish.
        async def upgrading() -> list[bool]:
            return [r.rebuilding for r in replicas]

        await eventually(upgrading, all, timeout=60)
        gate.set()
        rebuilt = await asyncio.gather(*tasks)
    finally:
        for p in pools:
            await p.close()
    assert sorted(rebuilt) == [False, False, True]
    assert await version(pool) == 2 and await nodes(pool) == before


async def test_a_fresh_database_builds_at_the_declared_version(pool, settings) -> None:
    runner = ProjectionRunner(TitlesV2(), pool, consumers(settings))
    await runner.prepare()
    assert runner.built_version == 2 and not runner.stale and await version(pool) == 2
    assert await pool.fetchval(
        "SELECT EXISTS (SELECT 1 FROM information_schema.columns "
        "WHERE table_schema = $1 AND table_name = 'issues' AND column_name = 'title')", SCHEMA)


async def test_a_schema_from_before_versions_counts_as_version_1(issues, pool, settings) -> None:
    await built_at_v1(issues, pool, settings, 2)
    await pool.execute(f'DROP TABLE "{SCHEMA}".schema_version')  # as schemas were made
    v1 = ProjectionRunner(TitlesV1(), pool, consumers(settings))
    await v1.prepare()
    assert v1.built_version == 1 and not v1.stale
    v2 = ProjectionRunner(TitlesV2(), pool, consumers(settings))
    await v2.prepare()
    assert v2.stale
    assert await v2.upgrade() is True and await version(pool) == 2


async def test_older_code_applies_nothing_to_a_schema_a_newer_replica_swapped_in(
    issues, pool, settings
) -> None:
    """A rolling deployment: a replica of version 1 still runs when one of version 2 has
    rebuilt and swapped the schema in. The old one must not write its idea of the tables
    into the new ones (here it could not even: `title` is NOT NULL)."""
    await built_at_v1(issues, pool, settings, 2)
    old = ProjectionRunner(TitlesV1(), pool, consumers(settings))
    await old.prepare()
    assert not old.superseded
    assert await ProjectionRunner(TitlesV2(), pool, consumers(settings)).upgrade() is True
    oid = await schema_oid(pool, SCHEMA)
    raise_many(issues, 1)
    batch = await all_deliveries(settings)
    with pytest.raises(Superseded):
        await old.handle(batch)
    assert old.superseded
    assert await pool.fetchval(f'SELECT count(*) FROM "{SCHEMA}".dead_letters') == 0
    assert await old.catch_up() == 0  # and on its next start: not rebuilt back, nothing applied
    assert await schema_oid(pool, SCHEMA) == oid and await version(pool) == 2
    assert len(await nodes(pool)) == 2  # the newer replicas apply the third


async def test_a_real_read_model_at_version_1_is_brought_to_its_version(
    issues, pool, settings
) -> None:
    """The issue list as its schema was before its columns were folded into the CREATE."""
    raise_many(issues, 3)
    runner = ProjectionRunner(IssueList(), pool, consumers(settings))
    await runner.catch_up()
    await pool.execute('UPDATE "issues_issue_list".schema_version SET version = 1')
    rows = [tuple(r) for r in await pool.fetch(
        'SELECT * FROM "issues_issue_list".issues ORDER BY id')]
    assert len(rows) == 3
    again = ProjectionRunner(IssueList(), pool, consumers(settings))
    await again.prepare()
    assert again.stale
    assert await again.upgrade() is True
    assert await version(pool, "issues_issue_list") == IssueList.version == 2
    assert [tuple(r) for r in await pool.fetch(
        'SELECT * FROM "issues_issue_list".issues ORDER BY id')] == rows


async def test_a_service_restarted_on_older_schemas_rebuilds_them_and_keeps_answering(
    settings: Settings,
) -> None:
    """The whole service: its issue list and tier copy found at version 1 on start are
    rebuilt and swapped in while the list keeps answering with what it held."""
    district = bearer("district_staff", "km.guandu", sub="d-01")

    async def listed(api: httpx.AsyncClient) -> list[str]:
        r = await api.get("/v1/issues", headers=district)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    async with issues_on(settings) as api:
        raised = await api.post("/v1/issues", headers=bearer(
            "resident", "km.guandu.taihe.heping", sub="r-001"), json={
            "node": BUILDING, "title": "楼道堆放杂物", "category": "environment.garbage",
            "channel": "app"})
        assert raised.status_code == 201, raised.text
        before = await eventually(lambda: listed(api), lambda ids: len(ids) == 1, timeout=60)
    conn = await db.connect(settings.database_url)
    try:
        for schema in ("issues_issue_list", "issues_tier_tree"):
            await conn.execute(f'UPDATE "{schema}".schema_version SET version = 1')
    finally:
        await conn.close()

    async with serve(create_app(settings)) as api:
        assert await listed(api) == before  # from the first request on
        admin = bearer("admin", "km")

        async def versions() -> dict[str, tuple[int, bool]]:
            body = (await api.get("/v1/ops/status", headers=admin)).json()
            return {m["schema"]: (m["version"], m["rebuilding"]) for m in body["read_models"]}

        await eventually(versions, lambda v: v["issues_issue_list"] == (2, False)
                         and v["issues_tier_tree"] == (2, False), timeout=60)
        assert await listed(api) == before
