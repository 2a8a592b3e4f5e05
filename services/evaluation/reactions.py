"""What the evaluation service does when events arrive: nothing but keep read models (its KPI
facts, who may rate what, closed whistles — services/evaluation/projections/). It issues no
command in answer to an event, so its map is empty; it is here so that every service has one
and the docs list them all.
"""

from __future__ import annotations

from shared.reactions import ReactionMap

REACTIONS = ReactionMap("evaluation", ())
