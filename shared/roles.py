"""Who may act in Gongzhi: the roles a token (shared/auth.py) carries and a person's role
assignments (services/grid/domain/person.py) name. Pure, so the domain layer may import it."""

from __future__ import annotations

STAFF_ROLES = (
    "grid_worker",
    "compound_head",
    "building_head",
    "unit_head",
    "info_officer",
    "community_staff",
    "street_staff",
    "district_staff",
    "city_staff",
)
# People who serve without being staff: party members (双报到), residents' volunteers, and
# couriers and riders of the new-employment groups (移动探头). They act on their own behalf.
SERVING_ROLES = ("party_member", "volunteer", "courier")
ROLES = ("resident", *SERVING_ROLES, *STAFF_ROLES, "department_staff", "admin")
