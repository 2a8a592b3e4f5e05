"""Wires the volunteers service.

Run with `uvicorn --factory services.volunteers.bootstrap:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from services.volunteers.application import VolunteersApplication
from shared.projections.tier_tree import TierTree
from shared.service import build_service
from shared.settings import Settings

TIER_TREE = TierTree(schema="volunteers_tier_tree")
PROJECTIONS = (TIER_TREE,)


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_service(
        settings=settings or Settings(),
        description=(
            "Volunteers, wish lists and the time bank "
            "(群众点单、社区派单、党员接单). "
            "Skeleton: the write side and the tier tree copy are wired; "
            "its features are later issues' work."
        ),
        application=VolunteersApplication,
        projections=PROJECTIONS,
        routers=[],
    )
