"""Wires the issues service. Run with `uvicorn --factory services.issues.bootstrap:create_app`
(`gongzhi up` does); nothing touches the database until the app starts."""

from __future__ import annotations

from fastapi import FastAPI

from services.issues.api.categories import router as categories_router
from services.issues.api.consultations import router as consultations_router
from services.issues.api.issues import router as issues_router
from services.issues.api.open311 import discovery_router
from services.issues.api.open311 import router as open311_router
from services.issues.api.photos import router as photos_router
from services.issues.api.residents import router as residents_router
from services.issues.api.search import router as search_router
from services.issues.api.tiers import router as tiers_router
from services.issues.application import IssuesApplication
from services.issues.photos import store as photo_store
from services.issues.projections import DEPARTMENTS, PROJECTIONS, TIER_TREE
from services.issues.reactions import REACTIONS
from services.issues.watcher import check_once
from shared.clock import Clock
from shared.sealing import Sealer
from shared.service import build_service
from shared.settings import Settings
from shared.supervise import every
from shared.vouch import Vouch


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()

    def background(app: FastAPI):
        issues: IssuesApplication = app.state.application
        return [("deadline watcher",
                 every(settings.watch_seconds, lambda: check_once(issues, app.state.pool)))]

    return build_service(
        settings=settings,
        description="Residents' issues from raising to closing, and tier summaries.",
        application=IssuesApplication,
        projections=PROJECTIONS,
        vouch=Vouch(TIER_TREE.schema, DEPARTMENTS.schema),
        reactions=REACTIONS.projections,
        routers=[categories_router, search_router, issues_router, tiers_router, open311_router,
                 discovery_router,
                 residents_router, consultations_router, photos_router],
        application_kwargs=lambda s: {
            "sealer": Sealer(s.secret("data_key")), "clock": clock,
            "emergency_factor": s.emergency_deadline_factor,
            "max_reopenings": s.max_reopenings,
        },
        body_limits={"/v1/photos": photo_store.MAX_BYTES},
        background=background,
        setup=lambda app: photo_store.create_tables(app.state.pool),
    )
