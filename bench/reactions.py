"""Patrols per second through the issues service's patrol reaction (each patrol raises one
issue: raised + triaged), on the embedded transport: the reaction as it runs now (its events
held and inserted in the runner's transaction with its position) beside the way it ran
before (each command saved through the batching writer, the position recorded after, in a
second transaction), and the ceiling of reading and decoding the same log.

    python -m bench.reactions [--patrols 2000] [--batch 500]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import threading
import time
from collections.abc import Sequence

from bench.common import database, machine
from services.grid.application import GridApplication, NodeSpec
from services.issues.application import IssuesApplication
from services.issues.placement import Placement
from services.issues.reactions import PATROLS
from shared.bus.embedded import EmbeddedConsumer
from shared.bus.envelope import Envelope
from shared.db import create_pool
from shared.eventstore import open_application
from shared.projections.runner import ProjectionRunner
from shared.reactions import Reacting, ReactionProjection
from shared.sealing import Sealer

META = {"actor": {"sub": "bench", "role": "grid_worker", "name": ""}}
GRIDS = [f"km.guandu.s{s}.c{c}.g{g}" for s in range(2) for c in range(3) for g in range(3)]


def key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def log_patrols(url: str, patrols: int) -> int:
    """A small tree, then `patrols` patrols from 8 threads, each with one problem to raise."""
    grid = open_application(GridApplication, url, sealer=Sealer(key()))
    tree = ["km", "km.guandu", *{g.rsplit(".", 2)[0] for g in GRIDS},
            *{g.rsplit(".", 1)[0] for g in GRIDS}, *GRIDS]
    levels = ["city", "district", "street", "community", "grid"]
    grid.register_nodes([NodeSpec(p, levels[p.count(".")], p) for p in tree], META)
    per_thread = patrols // 8

    def work(t: int) -> None:
        for i in range(per_thread):
            node = GRIDS[(t * per_thread + i) % len(GRIDS)]
            grid.log_patrol(node, "w-bench", 3, [{"title": f"p{t}-{i}", "category": "safety",
                                                  "node": node, "raise_issue": True}],
                            "", META)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    total = grid.recorder.max_notification_id()
    grid.close()
    return total


async def by_depth(_conn: object, node: str) -> Placement:
    return Placement.by_depth(node)


class SavedApart(ReactionProjection):
    """The reaction as it ran before: each command stores its events through the batching
    writer, in its own transaction; the runner records the position afterwards."""

    async def apply(self, conn: object, schema: str, events: Sequence[Envelope]) -> None:
        reacting = Reacting(self.app, conn, schema, self.deps)
        for e in events:
            if (handler := self.reaction.on.get(e.type)) is not None:
                await handler(reacting, e)


async def run(patrols: int, batch: int, projection: type[ReactionProjection]) -> float:
    url = database()
    log_patrols(url, patrols)
    issues = open_application(IssuesApplication, url, sealer=Sealer(key()))
    pool = await create_pool(url)
    try:
        runner = ProjectionRunner(projection(PATROLS, issues, {"place": by_depth}), pool,
                                  lambda streams: EmbeddedConsumer(url, streams,
                                                                   batch_size=batch))
        t = time.perf_counter()
        await runner.catch_up()
        elapsed = time.perf_counter() - t
        raised = issues.recorder.max_notification_id() or 0
        assert raised == 2 * patrols, f"{raised} events for {patrols} patrols"
        return patrols / elapsed
    finally:
        await pool.close()
        issues.close()


async def _nothing_stored() -> dict[str, int]:
    return {}


async def ceiling(patrols: int, batch: int) -> float:
    url = database()
    events = log_patrols(url, patrols)
    t = time.perf_counter()
    async for deliveries in EmbeddedConsumer(url, ("grid",), batch_size=batch).batches(
            _nothing_stored, follow=False):
        for d in deliveries:
            d.decode()
    return events / (time.perf_counter() - t)


async def main(patrols: int, batch: int) -> None:
    print(f"machine: {machine()}")
    top = await ceiling(patrols, batch)
    print(f"  {'ceiling: read + decode the log':<44} {top:8.0f} events/s")
    for name, projection in (("one transaction (events + position)", ReactionProjection),
                             ("before: writer, then position apart", SavedApart)):
        rate = await run(patrols, batch, projection)
        print(f"  {name:<44} {rate:8.0f} patrols/s ({2 * rate:.0f} events/s written), "
              f"ratio to ceiling {rate / top:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--patrols", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(main(args.patrols, args.batch))
