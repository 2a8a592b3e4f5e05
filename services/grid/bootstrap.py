"""Wires the grid service. Run with `uvicorn --factory services.grid.bootstrap:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from services.grid.api.departments import router as departments_router
from services.grid.api.households import router as households_router
from services.grid.api.nodes import router as nodes_router
from services.grid.api.party import router as party_router
from services.grid.api.patrols import router as patrols_router
from services.grid.api.people import router as people_router
from services.grid.api.signin import people as signin_people_router
from services.grid.api.signin import router as signin_router
from services.grid.api.whistles import router as whistles_router
from services.grid.application import GridApplication
from services.grid.projections import PROJECTIONS, TIER_TREE, WHISTLES
from services.grid.reactions import REACTIONS
from services.grid.signin import store as signin_store
from services.grid.signin.codes import CodeSender, load_sender
from services.grid.watcher import check_once
from services.grid.webhook_urls import allow_list
from services.grid.webhooks import WebhookSender, failing_deliveries
from shared.clock import Clock
from shared.sealing import Sealer
from shared.service import build_service
from shared.settings import Settings
from shared.supervise import every
from shared.vouch import Vouch

__all__ = ["PROJECTIONS", "create_app"]  # `gongzhi rebuild` finds the read models here


def create_app(settings: Settings | None = None, clock: Clock | None = None,
               code_sender: CodeSender | None = None) -> FastAPI:
    """`code_sender` delivers residents' one-time codes; by default the one settings name."""
    settings = settings or Settings()
    sender = code_sender or load_sender(settings)

    async def setup(app: FastAPI) -> None:
        await signin_store.create_tables(app.state.pool)
        app.state.code_sender = sender

    def background(app: FastAPI):
        grid: GridApplication = app.state.application
        sender = WebhookSender(app.state.pool, grid.webhook_secret,
                               allow_hosts=allow_list(settings.webhook_allow_hosts))
        return [
            ("deadline watcher",
             every(settings.watch_seconds, lambda: check_once(grid, app.state.pool))),
            ("webhook sender", lambda: sender.run(settings.consumer_poll_seconds)),
        ]

    return build_service(
        settings=settings,
        description="The tier tree from city to building unit, departments, operating "
        "modes, and whistles (吹哨报到) with deadlines, supervision and subscriptions.",
        application=GridApplication,
        projections=PROJECTIONS,
        vouch=Vouch(TIER_TREE.schema, WHISTLES.schema),  # grid's own departments
        reactions=REACTIONS.projections,
        routers=[nodes_router, whistles_router, departments_router, patrols_router,
                 people_router, households_router, party_router, signin_people_router,
                 signin_router],
        application_kwargs=lambda s: {
            "sealer": Sealer(s.secret("data_key")), "clock": clock,
            "emergency_factor": s.emergency_deadline_factor,
        },
        body_limits={"/v1/nodes/import": 8 * 1024 * 1024},
        deadlines={"/v1/nodes/import": 120.0},  # a whole district's tree in one request
        background=background,
        ops_extra=failing_deliveries,
        setup=setup,
    )
