"""The illegal-construction scenario's cast and steps, shared by both transports' tests."""

from __future__ import annotations

from tests.utils.city import BUILDING, DEPARTMENTS  # noqa: F401  (re-exported)
from tests.utils.tokens import bearer

RESIDENT = bearer("resident", "km.guandu.taihe.heping", sub="r-illegal")
COMMUNITY = bearer("community_staff", "km.guandu.taihe.heping", sub="c-heping")
STREET = bearer("street_staff", "km.guandu.taihe", sub="s-taihe")
DISTRICT = bearer("district_staff", "km.guandu", sub="d-guandu")
ADMIN = bearer("admin", "km", sub="admin")
URBAN = bearer("department_staff", "km.guandu", sub="cg-1", department="km-cgj")
POLICE = bearer("department_staff", "km.guandu", sub="ga-1", department="km-gaj")
ILLEGAL_BUILDING = {
    "node": BUILDING, "title": "楼顶违章搭建", "category": "public_affairs.illegal_construction",
    "channel": "app", "description": "2栋楼顶正在加盖彩钢房"}
