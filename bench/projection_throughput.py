"""Events per second through a projection on the embedded transport, beside the same
machine's ceiling measured in the same run: reading (and decoding) the same notification log
with no processing at all.

    python -m bench.projection_throughput [--events 20000] [--batch 500]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import threading
import time

from bench.common import database, machine
from services.issues.application import IssuesApplication, RaiseIssue
from services.issues.placement import Placement
from services.issues.projections.issue_list import IssueList
from services.issues.projections.tier_summary import TierSummary
from shared.bus.embedded import EmbeddedConsumer
from shared.db import create_pool
from shared.eventstore import open_application
from shared.projections.runner import ProjectionRunner
from shared.sealing import Sealer

META = {"actor": {"sub": "bench", "role": "admin", "name": ""}}
NODES = [f"km.guandu.s{s}.c{c}.g{g}" for s in range(4) for c in range(5) for g in range(3)]


def write_events(url: str, raises: int) -> int:
    """Raise issues from 16 threads (sharing transactions), acknowledging every third."""
    app = open_application(IssuesApplication, url,
                           sealer=Sealer(base64.urlsafe_b64encode(os.urandom(32)).decode()))
    per_thread = raises // 16

    def work(t: int) -> None:
        for i in range(per_thread):
            cmd = RaiseIssue(node=NODES[(t * per_thread + i) % len(NODES)], title=f"t{i}",
                             description="", category="safety", channel="app", location=None,
                             photos=[], contact=None)
            issue, _ = app.raise_issue(cmd, reporter="r", meta=META,
                                       placement=Placement.by_depth(cmd.node))
            if i % 3 == 0:
                app.acknowledge(issue.id, "", META)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    total = app.recorder.max_notification_id()
    app.close()
    return total


async def _nothing_stored() -> dict[str, int]:
    return {}


async def main(raises: int, batch: int) -> None:
    url = database()
    print(f"machine: {machine()}")
    t = time.perf_counter()
    events = write_events(url, raises)
    print(f"wrote {events} events in {time.perf_counter() - t:.1f} s "
          f"({events / (time.perf_counter() - t):.0f}/s through the batching writer)")

    def consumers(streams: tuple[str, ...]) -> EmbeddedConsumer:
        return EmbeddedConsumer(url, streams, batch_size=batch)

    t = time.perf_counter()
    seen = 0
    async for deliveries in consumers(("issues",)).batches(_nothing_stored, follow=False):
        for d in deliveries:
            d.decode()
        seen += len(deliveries)
    ceiling = seen / (time.perf_counter() - t)
    print(f"  {'ceiling: read + decode the log':<34} {ceiling:8.0f} events/s")
    pool = await create_pool(url)
    for projection in (TierSummary(), IssueList()):
        runner = ProjectionRunner(projection, pool, consumers)
        t = time.perf_counter()
        applied = await runner.catch_up()
        rate = applied / (time.perf_counter() - t)
        print(f"  {projection.schema:<34} {rate:8.0f} events/s   "
              f"ratio to ceiling {rate / ceiling:.2f}")
    await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000, help="issues raised")
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.batch))
