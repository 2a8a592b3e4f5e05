"""Read models of the issues service, and the streams each one follows.

| projection     | follows | serves                                  |
| -------------- | ------- | --------------------------------------- |
| tier tree      | grid    | node validation, children in summaries  |
| issue list     | issues  | GET /v1/issues (filters, pagination)    |
| tier summary   | issues  | GET /v1/tiers/{path}/summary            |
| search         | issues  | GET /v1/issues/search (Chinese keywords)|
| resident feed  | issues  | GET /v1/me/issues, GET /v1/me/events    |
| consultations  | issues  | GET /v1/consultations, .../notices (公示)|
| households     | grid    | consultations: verified members, areas  |
| departments    | grid    | parties naming departments; vouching tokens   |
| team members   | volunteers | who may work on an issue assigned to a team |
"""

from services.issues.projections.consultations import Consultations
from services.issues.projections.departments import Departments
from services.issues.projections.households import Households
from services.issues.projections.issue_list import IssueList
from services.issues.projections.resident_feed import ResidentFeed
from services.issues.projections.search import IssueSearch
from services.issues.projections.team_members import TeamMembers
from services.issues.projections.tier_summary import TierSummary
from shared.projections.tier_tree import TierTree

TIER_TREE = TierTree(schema="issues_tier_tree")
ISSUE_LIST = IssueList()
TIER_SUMMARY = TierSummary()
SEARCH = IssueSearch()
RESIDENT_FEED = ResidentFeed()
CONSULTATIONS = Consultations()
HOUSEHOLDS = Households()
DEPARTMENTS = Departments()
TEAM_MEMBERS = TeamMembers()

PROJECTIONS = (TIER_TREE, ISSUE_LIST, TIER_SUMMARY, SEARCH, RESIDENT_FEED,
               CONSULTATIONS, HOUSEHOLDS, DEPARTMENTS, TEAM_MEMBERS)
