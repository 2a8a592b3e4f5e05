"""Read models of the volunteers service, and the streams each one follows.

| projection | follows    | serves                                                        |
| ---------- | ---------- | ------------------------------------------------------------- |
| tier tree  | grid       | node validation; the community a node lies in                 |
| registry   | volunteers | who reported to a community, by kind and organisation; teams  |
| board      | volunteers | wishes (lists, the overdue watcher, claim times); activities  |
| ledger     | volunteers | statements, balances, rewards; hours and points rolled up, ranked |
| departments | grid      | vouching department tokens                                    |
"""

from services.volunteers.projections.board import Board
from services.volunteers.projections.ledger import Ledger
from services.volunteers.projections.registry import Registry
from shared.projections.departments import DepartmentsCopy
from shared.projections.tier_tree import TierTree

TIER_TREE = TierTree(schema="volunteers_tier_tree")
DEPARTMENTS = DepartmentsCopy(schema="volunteers_departments")
REGISTRY = Registry()
BOARD = Board()
LEDGER = Ledger()

PROJECTIONS = (TIER_TREE, DEPARTMENTS, REGISTRY, BOARD, LEDGER)
