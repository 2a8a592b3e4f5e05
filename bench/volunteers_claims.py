"""The wish flow's contention and the time bank's crediting, at the Application (no HTTP),
on a real PostgreSQL, beside the same machine's ceiling measured in the same run.

- Contended claims: 100 threads claim the same open wish at once, repeated over several
  wishes. Exactly one wins each time (the event store's optimistic concurrency); the losers
  reload and are refused. Ceiling: the same 100 threads each claiming a wish of their own.
- Credits: 16 threads credit distinct sources to 50 accounts; then the same sources again
  (a redelivery: the account finds the key and stores nothing).
- Loading an account of 400 events, from its latest snapshot and by replaying it all.

    python -m bench.volunteers_claims [--contests 5] [--credits 2000]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from bench.common import database, machine, percentile
from services.grid.application import GridApplication, NodeSpec
from services.volunteers.application import VolunteersApplication
from shared.errors import GongzhiError
from shared.eventstore import open_application
from shared.sealing import Sealer

META = {"actor": {"sub": "bench", "role": "admin", "name": ""}}
COMMUNITY = "wn.huayin.yuemiao.huayue"
NODE = f"{COMMUNITY}.zhhsc"
CLAIMERS = 100


def prepare(url: str) -> VolunteersApplication:
    import base64
    import os

    grid = open_application(GridApplication, url,
                            sealer=Sealer(base64.urlsafe_b64encode(os.urandom(32)).decode()))
    grid.register_nodes([NodeSpec("wn", "city", "渭南市"),
                         NodeSpec("wn.huayin", "district", "华阴市"),
                         NodeSpec("wn.huayin.yuemiao", "street", "岳庙街道"),
                         NodeSpec(COMMUNITY, "community", "华岳社区"),
                         NodeSpec(NODE, "compound", "中海华山城")], META)
    grid.close()
    app = open_application(VolunteersApplication, url)
    for n in range(CLAIMERS):
        app.register_volunteer(person=f"p-{n}", name=f"v{n}", kind="resident_volunteer",
                               home=NODE, community=COMMUNITY, organisation=None, skills=[],
                               availability=[], meta=META)
    return app


def open_wishes(app: VolunteersApplication, n: int) -> list:
    wanted = datetime.now(UTC) + timedelta(days=1)
    wishes = []
    for _ in range(n):
        wish, _ = app.post_wish(node=NODE, community=COMMUNITY, poster="r-1", kind="errand",
                                text="取药", wanted_by=wanted, meta=META)
        app.dispatch_wish(wish.id, None, META)
        wishes.append(wish.id)
    return wishes


def claim_round(app: VolunteersApplication, targets: list) -> tuple[float, list[float], int]:
    """Each of the 100 threads claims targets[i]; returns wall time, latencies, wins."""
    def claim(i: int) -> tuple[float, bool]:
        start = time.perf_counter()
        try:
            app.claim_wish(targets[i], f"p-{i}", META)
            won = True
        except GongzhiError:
            won = False
        return time.perf_counter() - start, won

    start = time.perf_counter()
    with ThreadPoolExecutor(CLAIMERS) as pool:
        results = list(pool.map(claim, range(CLAIMERS)))
    return time.perf_counter() - start, [r[0] for r in results], sum(r[1] for r in results)


def credit_round(app: VolunteersApplication, credits: int) -> float:
    def credit(i: int) -> None:
        app.credit(person=f"p-{i % 50}", source="civic_act", source_id=f"bench-{i}", points=1,
                   hours=0, node=NODE, team=None, reason="bench", meta=META)

    start = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(credit, range(credits)))
    return time.perf_counter() - start


def load_times(app: VolunteersApplication, url: str, events: int = 400) -> tuple[float, float]:
    for n in range(events):
        app.credit(person="p-long", source="civic_act", source_id=f"long-{n}", points=1,
                   hours=0, node=NODE, team=None, reason="bench", meta=META)

    class Replaying(VolunteersApplication):  # the same log, read without snapshots
        name = "volunteers"
        snapshotting_intervals = {}  # noqa: RUF012

    plain = open_application(Replaying, url)
    try:
        times = []
        for reader in (app, plain):
            start = time.perf_counter()
            for _ in range(30):
                reader.get_account("p-long")
            times.append((time.perf_counter() - start) / 30)
        return times[0], times[1]
    finally:
        plain.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contests", type=int, default=5)
    parser.add_argument("--credits", type=int, default=2000)
    args = parser.parse_args()
    url = database()
    app = prepare(url)
    try:
        print(f"Machine: {machine()}\n")
        walls, latencies, wins = [], [], []
        for wish in open_wishes(app, args.contests):
            wall, lat, won = claim_round(app, [wish] * CLAIMERS)
            walls.append(wall)
            latencies += lat
            wins.append(won)
        free = open_wishes(app, CLAIMERS)
        ceiling_wall, ceiling_lat, ceiling_wins = claim_round(app, free)
        latencies.sort()
        ceiling_lat.sort()
        print("| what | wall per 100 claims | p50 | p99 | claims stored |")
        print("| --- | ---: | ---: | ---: | ---: |")
        print(f"| ceiling: 100 claims of 100 different wishes | {ceiling_wall * 1000:.0f} ms | "
              f"{percentile(ceiling_lat, 50) * 1000:.0f} ms | "
              f"{percentile(ceiling_lat, 99) * 1000:.0f} ms | {ceiling_wins} |")
        print(f"| **100 claims of one wish** (x{args.contests}) | "
              f"{sum(walls) / len(walls) * 1000:.0f} ms | "
              f"{percentile(latencies, 50) * 1000:.0f} ms | "
              f"{percentile(latencies, 99) * 1000:.0f} ms | {wins} |")
        first = credit_round(app, args.credits)
        again = credit_round(app, args.credits)
        print(f"\nCredits: {args.credits / first:.0f}/s new ({args.credits} to 50 accounts, "
              f"16 threads); {args.credits / again:.0f}/s redelivered (each found credited, "
              f"nothing stored)")
        snapshot, replay = load_times(app, url)
        print(f"Loading an account of 401 events: {snapshot * 1000:.1f} ms from its snapshot, "
              f"{replay * 1000:.1f} ms replaying every event")
    finally:
        app.close()


if __name__ == "__main__":
    main()
