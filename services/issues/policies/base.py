"""What every policy of the issues service is: a Projection that keeps no tables of its own
(only the runner's positions) and turns other services' events into commands here."""

from __future__ import annotations

from services.issues.application import IssuesApplication
from services.issues.placement import Place, placement_of
from shared.projections.projection import Projection


class IssuesPolicy(Projection):
    ddl = ""

    def __init__(self, issues: IssuesApplication, place: Place = placement_of) -> None:
        self.issues = issues
        self.place = place  # where a node sits in the tree, from this service's tier copy
