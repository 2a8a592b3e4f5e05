"""Read models of the grid service, and the streams each follows.

| projection | follows | serves |
| --- | --- | --- |
| tier tree  | grid    | GET /v1/nodes/... |
| whistles   | grid    | department boards, street records, supervision, statistics, SSE feed |
| roles      | grid    | who holds which role where, now or as of a date (三长两员) |
| patrols    | grid    | GET /v1/patrols by node subtree and worker, GET /v1/patrols/{id} |
| party      | grid    | party organisations, co-governance bodies (一个中心 三方共治) |
| households | grid    | GET /v1/households?node= (the register, 户, as a list) |
| assigned issues | issues | department boards: issues assigned to a department, deadlines |
"""

from services.grid.projections.assigned_issues import AssignedIssues
from services.grid.projections.households import HouseholdRegister
from services.grid.projections.party import Party
from services.grid.projections.patrols import Patrols
from services.grid.projections.roles import Roles
from services.grid.projections.whistles import Whistles
from shared.projections.tier_tree import TierTree

TIER_TREE = TierTree(schema="grid_tier_tree")
WHISTLES = Whistles()
ROLES = Roles()
PATROLS = Patrols()
PARTY = Party()
HOUSEHOLDS = HouseholdRegister()

ASSIGNED_ISSUES = AssignedIssues()

PROJECTIONS = (TIER_TREE, WHISTLES, ROLES, PATROLS, PARTY, HOUSEHOLDS, ASSIGNED_ISSUES)
