"""What every policy of the issues service is: a Projection that keeps no tables of its own
(only the runner's positions) and turns other services' events into commands here."""

from __future__ import annotations

from typing import Any

from services.issues.application import IssuesApplication
from services.issues.placement import Place, Placement, placement_of
from shared.errors import Invalid
from shared.projections.projection import NotYet, Projection


class IssuesPolicy(Projection):
    ddl = ""

    def __init__(self, issues: IssuesApplication, place: Place = placement_of) -> None:
        self.issues = issues
        self.place = place  # where a node sits in the tree, from this service's tier copy

    async def placement(self, conn: Any, node: str) -> Placement:
        """Where the node sits, from this service's copy of the tier tree. A node the copy
        does not hold yet is most likely still on its way from grid: the runner waits for it
        (NotYet) rather than parking the event."""
        try:
            return await self.place(conn, node)
        except Invalid as exc:
            raise NotYet(f"{exc.detail} in the issues service's tier copy (not caught up?)") \
                from exc
