"""What the grid service does when events arrive: event type → handler.

Grid reacts only to its own events: departments' webhooks are queued from whistle events
(services/grid/webhooks.py). The runner subscribes each reaction to its stream from this map
and dispatches by type; the "who reacts to whom" table of docs/architecture.md is generated
from it (`python -m gongzhi.docs`).
"""

from __future__ import annotations

from services.grid.webhooks import DISPATCH
from shared.reactions import ReactionMap

REACTIONS = ReactionMap("grid", (DISPATCH,))
