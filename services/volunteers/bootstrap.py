"""Wires the volunteers service.

Run with `uvicorn --factory services.volunteers.bootstrap:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from services.volunteers.api.activities import router as activities_router
from services.volunteers.api.bank import router as bank_router
from services.volunteers.api.figures import router as figures_router
from services.volunteers.api.teams import router as teams_router
from services.volunteers.api.volunteers import router as volunteers_router
from services.volunteers.api.wishes import router as wishes_router
from services.volunteers.application import VolunteersApplication
from services.volunteers.projections import DEPARTMENTS, PROJECTIONS, TIER_TREE
from services.volunteers.reactions import REACTIONS
from services.volunteers.watcher import check_once
from shared.clock import Clock
from shared.service import build_service
from shared.settings import Settings
from shared.supervise import every
from shared.vouch import Vouch


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()

    def background(app: FastAPI):
        volunteers: VolunteersApplication = app.state.application
        return [("wish watcher",
                 every(settings.watch_seconds, lambda: check_once(volunteers, app.state.pool)))]

    return build_service(
        settings=settings,
        description=(
            "Party members' double registration (双报到), teams, the wish list "
            "(群众点单、社区派单、党员接单), activities and the time bank (时间银行)."
        ),
        application=VolunteersApplication,
        projections=PROJECTIONS,
        vouch=Vouch(TIER_TREE.schema, DEPARTMENTS.schema),
        reactions=REACTIONS.projections,
        routers=[volunteers_router, teams_router, wishes_router, activities_router,
                 bank_router, figures_router],
        application_kwargs=lambda _: {"clock": clock},
        background=background,
    )
