"""/v1/nodes: the tier tree: register one node or import a district, rename, retire, read."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from services.grid.api.access import require_may_switch_mode
from services.grid.application import GridApplication, NodeSpec
from services.grid.domain.node import Node
from services.grid.projections import TIER_TREE
from shared.auth import Principal
from shared.errors import Forbidden, Invalid, NotFound
from shared.eventstore import meta
from shared.http import CurrentPrincipal, ReadPool, ServiceApp
from shared.projections.tier_tree import children_of, find_node
from shared.tiers import LEVELS, PATH_PATTERN, ancestors_and_self, subtree_like

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


@router.post("/import", response_model=ImportOut, name="import_nodes",
             openapi_extra={"requestBody": {"content": {
                 "application/json": {"schema": {"$ref": "#/components/schemas/ImportIn"}},
                 "text/csv": {"schema": {"type": "string", "example":
                              "path,level,name\nkm.guandu.taihe,street,太和街道\n"}}}}})
async def import_nodes(request: Request, who: CurrentPrincipal, grid: Grid) -> ImportOut:
    """Register a whole district at once, parents before children: a JSON body
    `{"nodes": [...]}` or a CSV file with the header `path,level,name`. All or nothing, and
    idempotent: importing the same file again changes nothing."""
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("text/csv"):
        body = ImportIn(nodes=_read_csv(raw))
    else:
        try:
            body = ImportIn.model_validate_json(raw)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from None
    _require_keeper(who, [n.path for n in body.nodes])
    specs = [NodeSpec(n.path, n.level, n.name) for n in body.nodes]
    report = await run_in_threadpool(grid.register_nodes, specs, meta(who))
    return ImportOut(**report.__dict__)


def _read_csv(raw: bytes) -> list[NodeIn]:
    try:
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise Invalid(f"the CSV could not be read: {exc}") from None
    if not rows or set(rows[0]) != {"path", "level", "name"}:
        raise Invalid("the CSV needs exactly the header path,level,name and at least one row")
    nodes = []
    for line, row in enumerate(rows, start=2):
        try:
            nodes.append(NodeIn.model_validate(row))
        except ValidationError as exc:
            problem = exc.errors()[0]
            raise Invalid(f"CSV line {line}: {problem['loc'][0]}: {problem['msg']}") from None
    return nodes


@router.get("/{path}", response_model=NodeOut, name="get_node")
async def get_node(path: NodePath, _: CurrentPrincipal, pool: Pool) -> NodeOut:
    node = await find_node(pool, TIER_TREE.schema, path)
    if node is None:
        raise NotFound(f"unknown tier node '{path}'")
    return NodeOut(**node)


@router.get("/{path}/subtree", response_model=list[NodeOut], name="node_subtree")
async def node_subtree(path: NodePath, _: CurrentPrincipal, pool: Pool) -> list[NodeOut]:
    """The node and everything beneath it, parents before children."""
    rows = await pool.fetch(
        f'SELECT path, level, name, parent, retired FROM "{TIER_TREE.schema}".nodes '
        f"WHERE path = $1 OR path LIKE $2 ORDER BY path", path, subtree_like(path))
    if not rows:
        raise NotFound(f"unknown tier node '{path}'")
    return [NodeOut(**dict(r)) for r in rows]


@router.get("/{path}/path", response_model=list[NodeOut], name="node_path")
async def node_path(path: NodePath, _: CurrentPrincipal, pool: Pool) -> list[NodeOut]:
    """The node's ancestors and itself, from the city down (for breadcrumbs)."""
    rows = await pool.fetch(
        f'SELECT path, level, name, parent, retired FROM "{TIER_TREE.schema}".nodes '
        f"WHERE path = ANY($1::text[]) ORDER BY length(path)", ancestors_and_self(path))
    if not rows or rows[-1]["path"] != path:
        raise NotFound(f"unknown tier node '{path}'")
    return [NodeOut(**dict(r)) for r in rows]


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
