"""What the volunteers service does when events arrive (its own and the issues service's):
event type → handler, all of them credits to the time bank.

The runner subscribes each reaction to its stream from this map and dispatches by type; the
"who reacts to whom" table of docs/architecture.md is generated from it (`python -m
gongzhi.docs`). A handler's new events and the position commit in one transaction
(shared/reactions.py), and each source is credited under its own key besides.
"""

from __future__ import annotations

from services.volunteers.policies import probes, team_issues
from services.volunteers.policies.service import credit_activity, credit_wish
from shared.reactions import Reaction, ReactionMap

WISH_CONFIRMED = "gongzhi.wish.confirmed.v1"
ACTIVITY_ATTENDED = "gongzhi.activity.attended.v1"
ISSUE_RAISED = "gongzhi.issue.raised.v1"
ISSUE_ASSIGNED = "gongzhi.issue.assigned.v1"
ISSUE_RESOLVED = "gongzhi.issue.resolved.v1"

SERVICE = Reaction("volunteers_policy_service", "volunteers", {
    WISH_CONFIRMED: credit_wish,
    ACTIVITY_ATTENDED: credit_activity,
})
TEAM_ISSUES = Reaction("volunteers_policy_team_issues", "issues", {
    ISSUE_ASSIGNED: team_issues.note_assignment,
    ISSUE_RESOLVED: team_issues.credit_team_issue,
}, ddl=team_issues.DDL)
PROBES = Reaction("volunteers_policy_probes", "issues", {
    ISSUE_RAISED: probes.note_probe_report,
    ISSUE_RESOLVED: probes.credit_probe_report,
}, ddl=probes.DDL)

REACTIONS = ReactionMap("volunteers", (SERVICE, TEAM_ISSUES, PROBES))
