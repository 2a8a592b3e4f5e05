"""What the issues service's reaction handlers share: where a node sits, from this service's
copy of the tier tree, waiting (NotYet) for a node the copy has not learnt yet."""

from __future__ import annotations

from services.issues.placement import Placement, placement_of
from shared.errors import Invalid
from shared.projections.projection import NotYet
from shared.reactions import Reacting


async def placement(r: Reacting, node: str) -> Placement:
    """Where the node sits, from this service's copy of the tier tree (tests may wire their
    own `place`). A node the copy does not hold yet is most likely still on its way from
    grid: the runner waits for it (NotYet) rather than parking the event."""
    place = r.deps.get("place", placement_of)
    try:
        return await place(r.conn, node)
    except Invalid as exc:
        raise NotYet(f"{exc.detail} in the issues service's tier copy (not caught up?)") \
            from exc
