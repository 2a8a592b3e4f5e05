"""A small tier tree for tests, registered through grid's Application."""

from __future__ import annotations

from services.grid.application import DepartmentSpec, GridApplication, NodeSpec
from shared.eventstore import open_application

SMALL_CITY = [
    NodeSpec("km", "city", "昆明市"),
    NodeSpec("km.guandu", "district", "官渡区"),
    NodeSpec("km.guandu.taihe", "street", "太和街道"),
    NodeSpec("km.guandu.taihe.heping", "community", "和平路社区"),
    NodeSpec("km.guandu.taihe.heping.g03", "grid", "第三网格"),
    NodeSpec("km.guandu.taihe.heping.g03.y017", "compound", "17号院"),
    NodeSpec("km.guandu.taihe.heping.g03.y017.b02", "building", "2栋"),
    NodeSpec("km.guandu.taihe.heping.g03.y017.b02.u1", "unit", "1单元"),
    NodeSpec("km.guandu.taihe.heping.g04", "grid", "第四网格"),
    NodeSpec("km.guandu.taihe.minhang", "community", "民航社区"),
    NodeSpec("km.guandu.guanshang", "street", "关上街道"),
]
BUILDING = "km.guandu.taihe.heping.g03.y017.b02"
# Registered with the city: a department token must name a registered department.
DEPARTMENTS = [
    {"code": "km-cgj", "name": "官渡区城市管理局", "kind": "cgj",
     "categories": ["public_affairs"], "jurisdiction": ["km.guandu"]},
    {"code": "km-gaj", "name": "官渡分局太和派出所", "kind": "gaj",
     "categories": ["safety"], "jurisdiction": ["km.guandu.taihe"]},
    {"code": "km-minhang-only", "name": "民航社区物业办", "kind": "zjj",
     "categories": [], "jurisdiction": ["km.guandu.taihe.minhang"]},
]
SYSTEM = {"actor": {"sub": "test", "role": "admin", "name": "test"}}


def register_small_city(database_url: str) -> None:
    from shared.sealing import Sealer
    from tests.conftest import DATA_KEY

    grid = open_application(GridApplication, database_url, sealer=Sealer(DATA_KEY))
    try:
        grid.register_nodes(SMALL_CITY, SYSTEM)
        grid.register_departments([DepartmentSpec(**d) for d in DEPARTMENTS], SYSTEM)
    finally:
        grid.close()
