"""Read models of the evaluation service, and the streams each one follows.

| projection     | follows | serves                                  |
| -------------- | ------- | --------------------------------------- |
| tier tree      | grid    | node validation, rollups                |
| resolutions    | issues, evaluation | who may rate what; GET /v1/issues/{id}/ratings |
| whistles done  | grid, evaluation | department evaluations |
| survey results | evaluation | GET /v1/surveys/{id}/results     |
| kpi facts      | issues, grid, evaluation | KPI reports, rankings, accountability |
| departments    | grid    | vouching department tokens, department scope |
"""

from services.evaluation.projections.kpi_facts import KPI_FACTS
from services.evaluation.projections.resolutions import Resolutions
from services.evaluation.projections.survey_results import SurveyResults
from services.evaluation.projections.whistles_done import WhistlesDone
from shared.projections.departments import DepartmentsCopy
from shared.projections.projection import Projection
from shared.projections.tier_tree import TierTree

TIER_TREE = TierTree(schema="evaluation_tier_tree")
DEPARTMENTS = DepartmentsCopy(schema="evaluation_departments")

RESOLUTIONS = Resolutions()
WHISTLES_DONE = WhistlesDone()
SURVEY_RESULTS = SurveyResults()

PROJECTIONS: list[Projection] = [TIER_TREE, DEPARTMENTS, RESOLUTIONS, WHISTLES_DONE, SURVEY_RESULTS,
                                 KPI_FACTS]
