"""An issue resolved while assigned to a volunteer team → the time bank credits the member
who resolved it (or, if staff resolved it, the team's leader) a flat TEAM_ISSUE_POINTS.

The resolved event does not name the assignee, so this policy keeps the latest assignment of
each issue from the assigned events it sees. Key: `team_issue:<issue id>:<round>`, so a
reopened issue resolved again counts again, and a redelivered event does not.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from uuid import UUID

import asyncpg
from starlette.concurrency import run_in_threadpool

from services.volunteers.application import VolunteersApplication
from services.volunteers.domain.rules import TEAM_ISSUE_POINTS
from services.volunteers.policies.service import BANK
from shared.bus.envelope import Envelope
from shared.errors import NotFound
from shared.projections.projection import Projection

log = logging.getLogger("gongzhi.volunteers.policies")
ASSIGNED = "gongzhi.issue.assigned.v1"
RESOLVED = "gongzhi.issue.resolved.v1"


class CreditTeamIssues(Projection):
    schema = "volunteers_policy_team_issues"
    streams = ("issues",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.assignments (
        issue_id text PRIMARY KEY,
        team_id text            -- NULL: assigned to someone other than a volunteer team
    );
    """

    def __init__(self, volunteers: VolunteersApplication) -> None:
        self.volunteers = volunteers

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            if e.type == ASSIGNED:
                assignee = e.data.get("assignee") or {}
                team = assignee.get("id") if assignee.get("kind") == "volunteer_team" else None
                await conn.execute(
                    f"INSERT INTO {schema}.assignments (issue_id, team_id) VALUES ($1, $2) "
                    f"ON CONFLICT (issue_id) DO UPDATE SET team_id = EXCLUDED.team_id",
                    e.subject, team)
            elif e.type == RESOLVED:
                team_id = await conn.fetchval(
                    f"SELECT team_id FROM {schema}.assignments WHERE issue_id = $1", e.subject)
                if team_id:
                    await self._credit(e, team_id)

    async def _credit(self, e: Envelope, team_id: str) -> None:
        try:
            team = await run_in_threadpool(self.volunteers.get_team, UUID(team_id))
        except (NotFound, ValueError):
            log.warning("issue %s was assigned to unknown team %s", e.subject, team_id)
            return
        resolver = (e.data.get("actor") or {}).get("sub")
        person = resolver if resolver and team.has_member(resolver) else team.leader
        meta = {**BANK, "traceparent": e.traceparent} if e.traceparent else BANK
        await run_in_threadpool(
            self.volunteers.credit, person=person, source="team_issue",
            source_id=f"{e.subject}:{e.data.get('round', 1)}", points=TEAM_ISSUE_POINTS,
            hours=0, node=e.tier or team.node, team={"id": str(team.id), "name": team.name},
            reason="团队办结居民诉求", meta=meta)
