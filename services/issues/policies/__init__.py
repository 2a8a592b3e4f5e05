"""Policies of the issues service: reactions to other services' events, as commands here.

| policy        | reacts to (stream)                 | command               |
| ------------- | ---------------------------------- | --------------------- |
| MarkWhistled  | gongzhi.whistle.blown.v1 (grid)    | Issue.mark_whistled   |
| RaisePatrolProblems | gongzhi.patrol.logged.v1 (grid) | raise_issue, per problem to raise |
| ReopenUnsatisfied | gongzhi.rating.issue_rated.v1 (evaluation) | Issue.reopen_after_rating |

Not a policy but a reaction to time: `services/issues/watcher.py` supervises overdue issues.

A policy runs in the projection runner: its position is stored after the command, so a
crash in between hands it the event again; each command is a no-op the second time.
"""

from services.issues.policies.patrols import RaisePatrolProblems
from services.issues.policies.rated import ReopenUnsatisfied
from services.issues.policies.whistled import MarkWhistled

__all__ = ["MarkWhistled", "RaisePatrolProblems", "ReopenUnsatisfied"]
