"""A process that dies in the middle of a reaction, as a killed service would: it runs the
issues service's patrol reaction over grid's log and SIGKILLs itself right after the
reaction's new events were inserted, before its position is recorded and the transaction
commits. `python -m tests.utils.crashing_reaction MARKER_FILE SETTINGS_JSON` (the test's
settings, `Settings.model_dump_json()`: the database and the transport); the marker file says
how many events were inserted before the kill."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import sys
from pathlib import Path
from typing import Any

from services.issues.application import IssuesApplication
from services.issues.placement import Placement
from services.issues.reactions import PATROLS
from shared import reactions
from shared.bus.transports import consumers_for
from shared.db import create_pool
from shared.eventstore import open_application
from shared.projections.runner import ProjectionRunner
from shared.sealing import Sealer
from shared.settings import Settings


async def by_depth(_conn: object, node: str) -> Placement:
    return Placement.by_depth(node)


def patrol_runner(issues: IssuesApplication, pool: Any, settings: Settings) -> ProjectionRunner:
    """The patrol reaction as the issues service runs it, on the embedded transport."""
    return ProjectionRunner(PATROLS.bind(issues, place=by_depth), pool,
                            consumers_for(settings, settings.database_url, PATROLS.schema))


def settings_from(json: str) -> Settings:
    fields = Settings.model_validate_json(json).model_dump()
    return Settings(DATABASE_URL=fields.pop("database_url"), **fields)


async def crash(marker: Path, settings: Settings) -> None:
    url = settings.database_url
    issues = open_application(IssuesApplication, url,
                              sealer=Sealer(base64.urlsafe_b64encode(os.urandom(32)).decode()))
    pool = await create_pool(url)
    store_in = reactions.store_in

    async def store_then_die(conn: Any, app: Any, events: Any) -> None:
        await store_in(conn, app, events)
        await asyncio.to_thread(marker.write_text, str(len(events)))
        os.kill(os.getpid(), signal.SIGKILL)

    reactions.store_in = store_then_die
    await patrol_runner(issues, pool, settings).catch_up()


if __name__ == "__main__":
    asyncio.run(crash(Path(sys.argv[1]), settings_from(sys.argv[2])))
