"""Wires the evaluation service.

Run with `uvicorn --factory services.evaluation.bootstrap:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from services.evaluation.api import ROUTERS
from services.evaluation.application import EvaluationApplication
from services.evaluation.projections import DEPARTMENTS, PROJECTIONS, TIER_TREE
from services.evaluation.reactions import REACTIONS
from shared.clock import Clock
from shared.service import build_service
from shared.settings import Settings
from shared.vouch import Vouch

__all__ = ["PROJECTIONS", "create_app"]  # `gongzhi rebuild` finds the read models here


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    return build_service(
        settings=settings or Settings(),
        description="Ratings, department evaluations, surveys, tier KPIs and rankings (评事).",
        application=EvaluationApplication,
        projections=PROJECTIONS,
        vouch=Vouch(TIER_TREE.schema, DEPARTMENTS.schema),
        reactions=REACTIONS.projections,
        routers=ROUTERS,
        application_kwargs=lambda s: {"clock": clock},
    )
