"""What the issues service does when other services' events arrive: event type → handler.

The runner subscribes each reaction to its stream from this map and dispatches by type; the
"who reacts to whom" table of docs/architecture.md is generated from it (`python -m
gongzhi.docs`). Each reaction keeps its own schema (positions, dead letters); a handler's
new events and the position commit in one transaction (shared/reactions.py).
"""

from __future__ import annotations

from contracts.evaluation import RatingIssueRated
from contracts.grid import PatrolLogged, WhistleBlown
from services.issues.policies.patrols import raise_patrol_problems
from services.issues.policies.rated import reopen_unsatisfied
from services.issues.policies.whistled import mark_whistled
from shared.reactions import Reaction, ReactionMap

WHISTLED = Reaction("issues_policy_whistled", "grid", {WhistleBlown.TYPE: mark_whistled})
PATROLS = Reaction("issues_policy_patrols", "grid", {PatrolLogged.TYPE: raise_patrol_problems})
RATED = Reaction("issues_policy_rated", "evaluation",
                 {RatingIssueRated.TYPE: reopen_unsatisfied})

REACTIONS = ReactionMap("issues", (WHISTLED, PATROLS, RATED))
