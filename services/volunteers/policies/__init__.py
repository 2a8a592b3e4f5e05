"""Policies of the volunteers service: reactions to events, as commands on the time bank.

| policy             | reacts to (stream)                                      | command |
| ------------------ | ------------------------------------------------------- | ------- |
| CreditService      | wish.confirmed, activity.attended (own)                 | credit  |
| CreditTeamIssues   | issue.assigned (to a team), issue.resolved (issues)     | credit  |
| CreditProbeReports | issue.raised (probe or courier), issue.resolved (issues) | credit |

(types abbreviated: `gongzhi.<type>.v1`.)

Not a policy but a reaction to time: `services/volunteers/watcher.py` flags wishes left
unclaimed past their date.

A policy runs in the projection runner: its position is stored after the command, so a
crash in between hands it the event again; each source is credited under a key derived from
the event's subject, so the second time credits nothing.
"""

from services.volunteers.policies.probes import CreditProbeReports
from services.volunteers.policies.service import CreditService
from services.volunteers.policies.team_issues import CreditTeamIssues

__all__ = ["CreditProbeReports", "CreditService", "CreditTeamIssues"]
