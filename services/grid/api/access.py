"""Who may do what with whistles, departments and modes. Every refusal says why."""

from __future__ import annotations

from services.grid.domain.department import Department
from services.grid.domain.whistle import Whistle
from shared.auth import Principal
from shared.errors import Forbidden
from shared.scope import reaches

BLOWERS = ("street_staff", "community_staff", "admin")
MODE_KEEPERS = ("street_staff", "district_staff", "city_staff", "admin")
DEPARTMENT_KEEPERS = ("district_staff", "city_staff", "admin")


def require_may_blow(who: Principal, node: str) -> None:
    if who.role not in BLOWERS:
        raise Forbidden(f"a {who.role} may not blow a whistle; street and community staff do")
    who.require_scope(node, "blow a whistle")


def require_summoned(who: Principal, whistle: Whistle, doing: str) -> str:
    """The department a department-staff token acts for, if this whistle summoned it."""
    if who.role != "department_staff" or not who.department:
        raise Forbidden(f"only a summoned department's staff may {doing}")
    if who.department not in whistle.summons:
        raise Forbidden(f"department {who.department} was not summoned by this whistle")
    return who.department


def may_see_whistle(who: Principal, whistle: Whistle) -> bool:
    if who.role == "department_staff":
        return who.department in whistle.summons
    return who.is_staff and who.covers(whistle.node)


def require_may_see_department(who: Principal, department: Department | dict) -> None:
    code = department.code if isinstance(department, Department) else department["code"]
    areas = (department.jurisdiction if isinstance(department, Department)
             else department["jurisdiction"])
    if who.role in ("department_staff", "district_staff", "city_staff", "admin") and reaches(
            who, areas, department=code):
        return
    raise Forbidden(f"department {code}'s board is for its own staff and the leaders above it")


def require_may_keep_departments(who: Principal, jurisdiction: list[str]) -> None:
    if who.role not in DEPARTMENT_KEEPERS:
        raise Forbidden(f"only {', '.join(DEPARTMENT_KEEPERS)} register departments")
    for area in jurisdiction:
        who.require_scope(area, "register a department")


def require_may_switch_mode(who: Principal, node: str) -> None:
    if who.role not in MODE_KEEPERS:
        raise Forbidden(f"a {who.role} may not switch operating modes")
    who.require_scope(node, "switch the operating mode")
