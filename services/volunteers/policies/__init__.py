"""Policies of the volunteers service: reactions to events, as commands on the time bank.

| policy           | reacts to (stream)                                            | command |
| ---------------- | ------------------------------------------------------------- | ------- |
| CreditService    | gongzhi.wish.confirmed.v1, gongzhi.activity.attended.v1 (own) | credit  |
| CreditTeamIssues | gongzhi.issue.assigned.v1, gongzhi.issue.resolved.v1 (issues) | credit  |

Not a policy but a reaction to time: `services/volunteers/watcher.py` flags wishes left
unclaimed past their date.

A policy runs in the projection runner: its position is stored after the command, so a
crash in between hands it the event again; each source is credited under a key derived from
the event's subject, so the second time credits nothing.
"""

from services.volunteers.policies.service import CreditService
from services.volunteers.policies.team_issues import CreditTeamIssues

__all__ = ["CreditService", "CreditTeamIssues"]
