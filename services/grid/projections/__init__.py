"""Read models of the grid service, and the streams each follows.

| projection | follows | serves |
| --- | --- | --- |
| tier tree  | grid    | GET /v1/nodes/... |
| whistles   | grid    | department boards, street records, supervision, statistics, SSE feed |
"""

from services.grid.projections.whistles import Whistles
from shared.projections.tier_tree import TierTree

TIER_TREE = TierTree(schema="grid_tier_tree")
WHISTLES = Whistles()

PROJECTIONS = (TIER_TREE, WHISTLES)
