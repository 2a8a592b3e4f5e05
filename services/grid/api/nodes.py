"""/v1/nodes: the tier tree: register one node or import a district, rename, retire, read."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from services.grid.api.access import require_may_switch_mode
from services.grid.application import GridApplication, NodeSpec
from services.grid.domain.node import Node
from services.grid.projections import TIER_TREE
from shared.auth import Principal
from shared.errors import Forbidden, NotFound
from shared.eventstore import meta
from shared.http import CurrentPrincipal, ReadPool, ServiceApp
from shared.projections.tier_tree import children_of, find_node
from shared.tiers import LEVELS, PATH_PATTERN

router = APIRouter(prefix="/v1/nodes", tags=["tier tree"])
NodePath = Annotated[str, Path(pattern=PATH_PATTERN)]
TREE_KEEPERS = ("admin", "city_staff", "district_staff")


class NodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(pattern=PATH_PATTERN)
    level: Literal[LEVELS]  # type: ignore[valid-type]
    name: str = Field(min_length=1, max_length=60)


class ImportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nodes: list[NodeIn] = Field(min_length=1, max_length=20000)


class RenameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=60)


class RetireIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class NodeOut(BaseModel):
    path: str
    level: str
    name: str
    parent: str | None = None
    retired: bool = False


class ImportOut(BaseModel):
    registered: int
    renamed: int
    unchanged: int


Grid = Annotated[GridApplication, ServiceApp]
Pool = ReadPool


def _require_keeper(who: Principal, paths: list[str]) -> None:
    if who.role not in TREE_KEEPERS:
        raise Forbidden(f"only {', '.join(TREE_KEEPERS)} may change the tier tree")
    for path in paths:
        who.require_scope(path, "change the tier tree")


@router.post("", status_code=201, response_model=ImportOut, name="register_node")
async def register_node(body: NodeIn, who: CurrentPrincipal, grid: Grid) -> ImportOut:
    _require_keeper(who, [body.path])
    report = await run_in_threadpool(
        grid.register_nodes, [NodeSpec(body.path, body.level, body.name)], meta(who)
    )
    return ImportOut(**report.__dict__)


@router.post("/import", response_model=ImportOut, name="import_nodes")
async def import_nodes(body: ImportIn, who: CurrentPrincipal, grid: Grid) -> ImportOut:
    """Register a whole district at once, parents before children. All or nothing, and
    idempotent: importing the same file again changes nothing."""
    _require_keeper(who, [n.path for n in body.nodes])
    specs = [NodeSpec(n.path, n.level, n.name) for n in body.nodes]
    report = await run_in_threadpool(grid.register_nodes, specs, meta(who))
    return ImportOut(**report.__dict__)


@router.get("/{path}", response_model=NodeOut, name="get_node")
async def get_node(path: NodePath, _: CurrentPrincipal, pool: Pool) -> NodeOut:
    node = await find_node(pool, TIER_TREE.schema, path)
    if node is None:
        raise NotFound(f"unknown tier node '{path}'")
    return NodeOut(**node)


@router.get("/{path}/children", response_model=list[NodeOut], name="node_children")
async def node_children(path: NodePath, _: CurrentPrincipal, pool: Pool) -> list[NodeOut]:
    if await find_node(pool, TIER_TREE.schema, path) is None:
        raise NotFound(f"unknown tier node '{path}'")
    return [NodeOut(**c, parent=path) for c in await children_of(pool, TIER_TREE.schema, path)]


@router.post("/{path}/rename", response_model=NodeOut, name="rename_node")
async def rename_node(path: NodePath, body: RenameIn, who: CurrentPrincipal,
                      grid: Grid) -> NodeOut:
    _require_keeper(who, [path])
    return _out(await run_in_threadpool(grid.rename, path, body.name, meta(who)))


@router.post("/{path}/retire", response_model=NodeOut, name="retire_node")
async def retire_node(path: NodePath, body: RetireIn, who: CurrentPrincipal,
                      grid: Grid) -> NodeOut:
    _require_keeper(who, [path])
    return _out(await run_in_threadpool(grid.retire, path, body.reason, meta(who)))


def _out(node: Node) -> NodeOut:
    return NodeOut(path=node.path, level=node.level, name=node.name, parent=node.parent,
                   retired=node.retired)


class ModeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["daily", "emergency"]
    reason: str = Field(min_length=1, max_length=500)


@router.post("/{path}/mode", name="switch_mode")
async def switch_mode(path: NodePath, body: ModeIn, who: CurrentPrincipal,
                      grid: Grid) -> dict[str, str | None]:
    """Switch a subtree between daily and emergency mode (emergency shortens deadlines)."""
    require_may_switch_mode(who, path)
    await run_in_threadpool(grid.switch_mode, path, body.mode, body.reason, meta(who))
    return await mode_of(path, who, grid)


@router.get("/{path}/mode", name="node_mode")
async def mode_of(path: NodePath, _: CurrentPrincipal, grid: Grid) -> dict[str, str | None]:
    """The node's operating mode, and the node whose switch set it (None: never switched)."""
    mode, set_at = await run_in_threadpool(grid.effective_mode, path)
    return {"node": path, "mode": mode, "set_at": set_at}
