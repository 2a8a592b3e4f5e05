"""Routes of the evaluation service, one router per resource file; bootstrap mounts ROUTERS."""

from fastapi import APIRouter

from services.evaluation.api.dashboards import router as kpi_reports
from services.evaluation.api.department_evaluations import router as department_evaluations
from services.evaluation.api.rankings import router as kpi_rankings
from services.evaluation.api.ratings import router as ratings
from services.evaluation.api.rules import router as kpi_rules
from services.evaluation.api.surveys import router as surveys

ROUTERS: list[APIRouter] = [ratings, department_evaluations, surveys, kpi_reports, kpi_rankings,
                            kpi_rules]
