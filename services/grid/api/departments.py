"""/v1/departments: register, boards, statistics, webhooks and the live stream.

A department's console follows `GET /v1/departments/{code}/stream` (server-sent events, one
per whistle event that concerns it; reconnect with Last-Event-ID to resume); its own systems
register a webhook (signed POSTs) or read Kafka (docs/subscribing.md).
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, HttpUrl
from starlette.concurrency import run_in_threadpool

from services.grid.api.access import require_may_keep_departments, require_may_see_department
from services.grid.api.whistles import as_json_row
from services.grid.application import DepartmentSpec, GridApplication
from services.grid.projections import WHISTLES
from services.grid.projections.assigned_issues import open_for as assigned_issues
from services.grid.webhook_urls import allow_list, require_allowed
from services.grid.webhooks import WEBHOOKS
from shared import idempotency
from shared.errors import NotFound
from shared.eventstore import meta
from shared.http import CurrentPrincipal, ReadPool, ServiceApp
from shared.inputs import RowId
from shared.sse import STREAM_RESPONSES, event_stream, start_after
from shared.tiers import PATH_PATTERN, is_within

router = APIRouter(prefix="/v1/departments", tags=["departments"])
Grid = Annotated[GridApplication, ServiceApp]
CODE = r"^[a-z][a-z0-9_-]{1,31}$"


class DepartmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=60)
    kind: str = Field(pattern=r"^[a-z][a-z0-9_]{0,15}$")
    categories: list[str] = Field(default_factory=list, max_length=50)
    jurisdiction: list[Annotated[str, Field(pattern=PATH_PATTERN)]] = Field(min_length=1,
                                                                            max_length=50)


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: HttpUrl


async def _department(pool: Any, code: str) -> dict[str, Any]:
    row = await pool.fetchrow(
        f'SELECT * FROM "{WHISTLES.schema}".departments WHERE code = $1', code)
    if row is None:
        raise NotFound(f"unknown department '{code}'")
    return dict(row)


@router.post("", status_code=201, name="register_department")
async def register(body: DepartmentIn, who: CurrentPrincipal, grid: Grid) -> dict[str, Any]:
    require_may_keep_departments(who, body.jurisdiction)
    spec = DepartmentSpec(body.code, body.name, body.kind, body.categories, body.jurisdiction)
    registered = await run_in_threadpool(grid.register_departments, [spec], meta(who))
    return {"code": body.code, "registered": bool(registered)}


@router.get("", name="list_departments")
async def list_departments(_: CurrentPrincipal, pool: ReadPool,
                           node: Annotated[str | None, Query(pattern=PATH_PATTERN)] = None
                           ) -> list[dict[str, Any]]:
    """Departments, or those with jurisdiction at `node`."""
    rows = await pool.fetch(f'SELECT * FROM "{WHISTLES.schema}".departments ORDER BY code')
    found = [dict(r) for r in rows]
    if node:
        found = [d for d in found if any(is_within(node, a) for a in d["jurisdiction"])]
    return found


@router.get("/{code}/board", name="department_board")
async def board(code: str, who: CurrentPrincipal, pool: ReadPool) -> dict[str, Any]:
    """The department's board: open summons with their deadlines and which are overdue, and
    beside them the open issues assigned to it (from the issues service's events) with their
    resolve-by deadlines."""
    require_may_see_department(who, await _department(pool, code))
    rows = await pool.fetch(
        f'SELECT s.*, w.node, w.title, w.situation, w.mode, w.issue_id, w.blown_at '
        f'FROM "{WHISTLES.schema}".summons s JOIN "{WHISTLES.schema}".whistles w '
        f"ON w.id = s.whistle_id WHERE s.department = $1 AND s.completed_at IS NULL "
        f"ORDER BY s.deadline", code)
    items = [as_json_row(r) for r in rows]
    return {"department": code, "open": items,
            "overdue": [i for i in items if i["overdue_at"]],
            "awaiting_report": [i for i in items if not i["reported_at"]],
            "issues": [as_json_row(r) for r in await assigned_issues(pool, code)]}


@router.get("/{code}/stats", name="department_stats")
async def stats(code: str, who: CurrentPrincipal, pool: ReadPool) -> dict[str, Any]:
    """Report-in and completion times: counts, means in minutes, the on-time share."""
    require_may_see_department(who, await _department(pool, code))
    row = await pool.fetchrow(
        f"SELECT count(*) AS summoned, count(s.reported_at) AS reported, "
        f"count(s.completed_at) AS completed, count(s.overdue_at) AS overdue, "
        f"count(*) FILTER (WHERE s.reported_at IS NOT NULL AND NOT s.late) AS on_time, "
        f"avg(extract(epoch FROM s.reported_at - w.blown_at) / 60) AS report_minutes, "
        f"avg(extract(epoch FROM s.completed_at - w.blown_at) / 60) AS complete_minutes "
        f'FROM "{WHISTLES.schema}".summons s JOIN "{WHISTLES.schema}".whistles w '
        f"ON w.id = s.whistle_id WHERE s.department = $1", code)
    out = {k: (float(v) if v is not None and k.endswith("minutes") else v)
           for k, v in dict(row).items()}
    out["on_time_rate"] = (row["on_time"] / row["summoned"]) if row["summoned"] else None
    return {"department": code, **out}


@router.post("/{code}/webhooks", status_code=201, name="register_webhook")
async def register_webhook(code: str, body: WebhookIn, who: CurrentPrincipal, grid: Grid,
                           pool: ReadPool, request: Request) -> dict[str, Any]:
    """Register a URL for signed POSTs of every whistle event concerning the department.
    The signing secret is returned once, here; it is stored sealed. https to a public host
    only, unless the operator allows the host (GONGZHI_WEBHOOK_ALLOW_HOSTS)."""
    require_may_see_department(who, await _department(pool, code))
    require_allowed(str(body.url), allow_list(request.app.state.settings.webhook_allow_hosts))
    sealed = grid.sealer.seal({"secret": secrets.token_urlsafe(32)})
    retry_id = idempotency.derived_id("webhook", who.sub)
    hook_id = await run_in_threadpool(grid.register_webhook, code, str(body.url), sealed,
                                      meta(who), retry_id.hex[:12] if retry_id else None)
    # The stored secret: a retry answers with the first call's hook and secret.
    secret = await run_in_threadpool(grid.webhook_secret, code, hook_id)
    return {"id": hook_id, "url": str(body.url), "secret": secret,
            "signature": "header Gongzhi-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "
                         "'<t>.<body>' with the secret>"}


@router.get("/{code}/webhooks", name="list_webhooks")
async def list_webhooks(code: str, who: CurrentPrincipal, pool: ReadPool) -> list[dict[str, Any]]:
    """The hooks deliveries are being made to. A hook registered a moment ago appears once
    the dispatcher has seen it; on Kafka, whistle events in other partitions may overtake
    the registration, so events of that moment can precede it."""
    require_may_see_department(who, await _department(pool, code))
    rows = await pool.fetch(
        f'SELECT hook_id AS id, url FROM "{WEBHOOKS.schema}".hooks '
        f"WHERE department = $1 AND NOT removed ORDER BY hook_id", code)
    return [dict(r) for r in rows]


@router.delete("/{code}/webhooks/{hook_id}", status_code=204, name="remove_webhook")
async def remove_webhook(code: str, hook_id: str, who: CurrentPrincipal, grid: Grid,
                         pool: ReadPool) -> None:
    require_may_see_department(who, await _department(pool, code))
    await run_in_threadpool(grid.remove_webhook, code, hook_id, meta(who))


@router.get("/{code}/deliveries", name="webhook_deliveries")
async def deliveries(code: str, who: CurrentPrincipal, pool: ReadPool,
                     status: str | None = None) -> list[dict[str, Any]]:
    """The delivery log: every attempt's outcome, newest first."""
    require_may_see_department(who, await _department(pool, code))
    rows = await pool.fetch(
        f'SELECT id, hook_id, url, event_id, type, status, attempts, last_status, last_error, '
        f'next_attempt_at, delivered_at FROM "{WEBHOOKS.schema}".deliveries '
        f"WHERE department = $1 AND ($2::text IS NULL OR status = $2) ORDER BY id DESC "
        f"LIMIT 500", code, status)
    return [as_json_row(r) for r in rows]


@router.post("/{code}/deliveries/{delivery_id}/redeliver", name="redeliver")
async def redeliver(code: str, delivery_id: RowId, who: CurrentPrincipal,
                    pool: ReadPool) -> dict[str, Any]:
    """Send a delivery again (after a receiver's outage, say), whatever its status."""
    require_may_see_department(who, await _department(pool, code))
    row = await pool.fetchrow(
        f'UPDATE "{WEBHOOKS.schema}".deliveries SET status = \'pending\', attempts = 0, '
        f"next_attempt_at = now(), created_at = now() "  # a day of retries from now
        f"WHERE id = $1 AND department = $2 RETURNING id",
        delivery_id, code)
    if row is None:
        raise NotFound(f"no delivery {delivery_id} for {code}")
    return {"id": delivery_id, "status": "pending"}


@router.get("/{code}/stream", name="department_stream",
            response_class=StreamingResponse, responses=STREAM_RESPONSES)
async def stream(code: str, who: CurrentPrincipal, pool: ReadPool, request: Request,
                 last_event_id: Annotated[str | None, Header()] = None) -> StreamingResponse:
    """Server-sent events: each whistle event concerning the department, as a structured
    CloudEvent. `Last-Event-ID` resumes after a reconnect; otherwise it starts from now."""
    require_may_see_department(who, await _department(pool, code))
    feed = f'"{WHISTLES.schema}".feed'

    async def fetch(after: int, limit: int) -> list[tuple[int, str, str]]:
        rows = await pool.fetch(f"SELECT id, type, event FROM {feed} WHERE department = $1 "
                                f"AND id > $2 ORDER BY id LIMIT $3", code, after, limit)
        return [(r["id"], r["type"], r["event"]) for r in rows]

    after = await start_after(
        last_event_id, lambda: pool.fetchval(f"SELECT coalesce(max(id), 0) FROM {feed}"))
    return event_stream(request, fetch, after)
