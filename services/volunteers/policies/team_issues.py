"""An issue resolved while assigned to a volunteer team → the time bank credits the member
who resolved it (or, if staff resolved it, the team's leader) a flat TEAM_ISSUE_POINTS.

The resolved event does not name the assignee, so this reaction keeps the latest assignment
of each issue from the assigned events it sees. Key: `team_issue:<issue id>:<round>`, so a
reopened issue resolved again counts again.
"""

from __future__ import annotations

import logging
from uuid import UUID

from starlette.concurrency import run_in_threadpool

from contracts.issues import IssueAssigned, IssueResolved
from services.volunteers.domain.rules import TEAM_ISSUE_POINTS
from services.volunteers.policies.service import bank_meta
from shared.bus.envelope import Envelope
from shared.errors import NotFound
from shared.reactions import Reacting

log = logging.getLogger("gongzhi.volunteers.policies")

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.assignments (
    issue_id text PRIMARY KEY,
    team_id text            -- NULL: assigned to someone other than a volunteer team
);
"""


async def note_assignment(r: Reacting, e: Envelope) -> None:
    """Which volunteer team (if any) the issue is assigned to now."""
    assignee = IssueAssigned.of(e).assignee
    team = assignee["id"] if assignee["kind"] == "volunteer_team" else None
    await r.conn.execute(
        f"INSERT INTO {r.schema}.assignments (issue_id, team_id) VALUES ($1, $2) "
        f"ON CONFLICT (issue_id) DO UPDATE SET team_id = EXCLUDED.team_id",
        e.subject, team)


async def credit_team_issue(r: Reacting, e: Envelope) -> None:
    """An issue a volunteer team resolved earns its resolver (or the leader) points, once a
    round."""
    resolved = IssueResolved.of(e)
    team_id = await r.conn.fetchval(
        f"SELECT team_id FROM {r.schema}.assignments WHERE issue_id = $1", e.subject)
    if not team_id:
        return
    try:
        team = await run_in_threadpool(r.app.get_team, UUID(team_id))
    except (NotFound, ValueError):
        log.warning("issue %s was assigned to unknown team %s", e.subject, team_id)
        return
    resolver = resolved.actor["sub"] if resolved.actor else None
    person = resolver if resolver and team.has_member(resolver) else team.leader
    await run_in_threadpool(
        r.app.credit, person=person, source="team_issue",
        source_id=f"{e.subject}:{resolved.round}", points=TEAM_ISSUE_POINTS,
        hours=0, node=e.tier or team.node, team={"id": str(team.id), "name": team.name},
        reason="团队办结居民诉求", meta=bank_meta(e))
