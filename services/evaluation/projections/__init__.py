"""Read models of the evaluation service, and the streams each one follows.

| projection     | follows | serves                                  |
| -------------- | ------- | --------------------------------------- |
| tier tree      | grid    | node validation, rollups                |
"""

from shared.projections.projection import Projection
from shared.projections.tier_tree import TierTree

TIER_TREE = TierTree(schema="evaluation_tier_tree")

PROJECTIONS: list[Projection] = [TIER_TREE]
