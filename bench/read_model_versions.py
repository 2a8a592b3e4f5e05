"""What a read model's new version costs: the automatic rebuild and swap of the issue list
(beside a plain catch-up from zero of the same log), the reads served from the old schema
while it runs, and the version check every batch now makes (catch-up with and without it, in
small batches where a dearer positions query shows most).

    python -m bench.read_model_versions [--events 6000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from bench.common import database, machine
from bench.projection_throughput import write_events
from services.issues.projections.issue_list import IssueList
from shared.bus.embedded import EmbeddedConsumer
from shared.db import create_pool
from shared.projections.runner import ProjectionRunner

LIST = ('SELECT id, title, status FROM "issues_issue_list".issues WHERE node LIKE $1 '
        "ORDER BY raised_at DESC, id DESC LIMIT 20")


def consumers(url: str, batch: int):
    return lambda streams: EmbeddedConsumer(url, streams, batch_size=batch)


async def main(raises: int) -> None:
    url = database()
    print(f"machine: {machine()}")
    events = write_events(url, raises)
    print(f"{events} events in the issues log")
    pool = await create_pool(url)

    t = time.perf_counter()
    await ProjectionRunner(IssueList(), pool, consumers(url, 500)).catch_up()
    plain = time.perf_counter() - t
    print(f"  {'catch-up from zero (batches of 500)':<44} {plain:6.2f} s "
          f"{events / plain:8.0f} events/s")

    # As a deployment finds it: the schema built at the version before.
    await pool.execute('UPDATE "issues_issue_list".schema_version SET version = 1')
    runner = ProjectionRunner(IssueList(), pool, consumers(url, 500))
    await runner.prepare()
    latencies: list[float] = []
    failed: list[str] = []

    async def read_meanwhile() -> None:
        while True:
            t = time.perf_counter()
            try:
                await pool.fetch(LIST, "km.guandu.s1%")
                latencies.append(time.perf_counter() - t)
            except Exception as exc:  # counted: a read the swap broke would show here
                failed.append(f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(0.01)

    reader = asyncio.create_task(read_meanwhile())
    t = time.perf_counter()
    await runner.upgrade()
    upgrade = time.perf_counter() - t
    reader.cancel()
    print(f"  {'automatic rebuild + swap (upgrade)':<44} {upgrade:6.2f} s "
          f"{events / upgrade:8.0f} events/s   ratio to catch-up {plain / upgrade:.2f}")
    q = statistics.quantiles(latencies, n=100)
    print(f"  reads meanwhile: {len(latencies)} answered, {len(failed)} failed "
          f"{sorted(set(failed))[:3]}, p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms")

    for checked in (False, True, False, True):
        await pool.execute('DROP SCHEMA "issues_issue_list" CASCADE')
        runner = ProjectionRunner(IssueList(), pool, consumers(url, 50))
        if not checked:  # what this version added to the positions' query, left out
            async def unchecked(conn, streams, *, check_version=False,
                                positions=runner._stored_positions):
                return await positions(conn, streams)
            runner._stored_positions = unchecked  # type: ignore[method-assign]
        t = time.perf_counter()
        await runner.catch_up()
        took = time.perf_counter() - t
        label = "with" if checked else "without"
        print(f"  {f'catch-up, batches of 50, {label} version check':<44} {took:6.2f} s "
              f"{events / took:8.0f} events/s")
    await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=6000, help="issues raised")
    asyncio.run(main(parser.parse_args().events))
