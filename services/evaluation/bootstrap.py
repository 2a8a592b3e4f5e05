"""Wires the evaluation service.

Run with `uvicorn --factory services.evaluation.bootstrap:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from services.evaluation.application import EvaluationApplication
from shared.projections.tier_tree import TierTree
from shared.service import build_service
from shared.settings import Settings

TIER_TREE = TierTree(schema="evaluation_tier_tree")
PROJECTIONS = (TIER_TREE,)


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_service(
        settings=settings or Settings(),
        description=(
            "Ratings, department evaluations, tier KPIs and rankings (评事). "
            "Skeleton: the write side and the tier tree copy are wired; "
            "its features are later issues' work."
        ),
        application=EvaluationApplication,
        projections=PROJECTIONS,
        routers=[],
    )
