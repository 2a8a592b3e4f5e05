"""What the volunteers service does when events arrive (its own and the issues service's):
event type → handler, all of them credits to the time bank.

The runner subscribes each reaction to its stream from this map and dispatches by type; the
"who reacts to whom" table of docs/architecture.md is generated from it (`python -m
gongzhi.docs`). A handler's new events and the position commit in one transaction
(shared/reactions.py), and each source is credited under its own key besides.
"""

from __future__ import annotations

from contracts.issues import IssueAssigned, IssueRaised, IssueResolved
from contracts.volunteers import ActivityAttended, WishConfirmed
from services.volunteers.policies import probes, team_issues
from services.volunteers.policies.service import credit_activity, credit_wish
from shared.reactions import Reaction, ReactionMap

SERVICE = Reaction("volunteers_policy_service", "volunteers", {
    WishConfirmed.TYPE: credit_wish,
    ActivityAttended.TYPE: credit_activity,
})
TEAM_ISSUES = Reaction("volunteers_policy_team_issues", "issues", {
    IssueAssigned.TYPE: team_issues.note_assignment,
    IssueResolved.TYPE: team_issues.credit_team_issue,
}, ddl=team_issues.DDL)
PROBES = Reaction("volunteers_policy_probes", "issues", {
    IssueRaised.TYPE: probes.note_probe_report,
    IssueResolved.TYPE: probes.credit_probe_report,
}, ddl=probes.DDL)

REACTIONS = ReactionMap("volunteers", (SERVICE, TEAM_ISSUES, PROBES))
