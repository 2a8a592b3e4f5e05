"""Wires the grid service. Run with `uvicorn --factory services.grid.bootstrap:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from services.grid.api.nodes import TIER_TREE
from services.grid.api.nodes import router as nodes_router
from services.grid.application import GridApplication
from shared.service import build_service
from shared.settings import Settings

PROJECTIONS = (TIER_TREE,)


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_service(
        settings=settings or Settings(),
        description="The tier tree from city to building unit (roles, departments and "
        "whistles follow).",
        application=GridApplication,
        projections=PROJECTIONS,
        routers=[nodes_router],
        body_limits={"/v1/nodes/import": 8 * 1024 * 1024},
    )
