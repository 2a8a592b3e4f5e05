"""Service defaults: every service's FastAPI app gets the same problem responses, body limit,
health route and auth dependency from here."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import asyncpg
from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from shared import idempotency, metrics
from shared.auth import Principal
from shared.db import UNAVAILABLE, store_unavailable
from shared.deadline import RequestDeadline
from shared.errors import GongzhiError, Unavailable
from shared.openapi import with_problems
from shared.sessions import require_principal

log = logging.getLogger("gongzhi.http")
PROBLEM = "application/problem+json"
# Swagger UI's files, copied from the npm package swagger-ui-dist by `make install`
# (console/vendor.py): /docs must work on a government network without internet, so no CDN.
SWAGGER_UI_DIR = Path(__file__).resolve().parents[1] / "console" / "web" / "vendor"


def problem(status: int, title: str, detail: str, /, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _where(loc: Sequence[Any]) -> str:
    return ".".join(str(p) for p in loc if p != "body") or "body"


async def _on_gongzhi_error(_: Request, exc: GongzhiError) -> JSONResponse:
    return problem(exc.status, exc.title, exc.detail, headers=getattr(exc, "headers", None),
                   **exc.extra)


async def _on_store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    if not store_unavailable(exc):  # e.g. an InterfaceError that is a misuse, not an outage
        return await _on_crash(request, exc)
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return await _on_gongzhi_error(request, Unavailable(
        "the database is unavailable; nothing was written, try again shortly"))


async def _on_validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"field": _where(e["loc"]), "problem": e["msg"], "type": e["type"]} for e in exc.errors()
    ]
    summary = "; ".join(f"{e['field']}: {e['problem']}" for e in errors[:5])
    return problem(422, "Invalid input", summary, errors=errors)


async def _on_http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    if isinstance(exc, _TooLarge):
        return problem(413, "Payload too large", exc.detail)
    return problem(exc.status_code, str(exc.detail), str(exc.detail))


async def _on_write_conflict(request: Request, _: IntegrityError) -> JSONResponse:
    """A save that lost a race no command retried (two imports of the same node, two
    registrations of one department): the loser's write is refused whole, as a 409."""
    log.info("write conflict on %s %s", request.method, request.url.path)
    return problem(409, "Conflict", "another request changed the same thing at the same "
                   "time; nothing of this one was written: read it again and retry")


async def _on_crash(request: Request, exc: Exception) -> JSONResponse:
    if store_unavailable(exc):  # wrapped in another error on its way up
        return await _on_store_unavailable(request, exc)
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(500, "Internal error", "the server failed; nothing was half-written")


class BodyLimit:
    """Refuse bodies over the limit with 413 before any handler sees them. A few routes (bulk
    imports) may name a larger limit of their own."""

    def __init__(self, app: ASGIApp, limit: int, per_path: dict[str, int]) -> None:
        self.app, self.default, self.per_path = app, limit, per_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.per_path.get(scope["path"], self.default)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return await self._refuse(scope, receive, send, limit)
        seen = 0

        async def counting_receive() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge(limit)
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _TooLarge:
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem(413, "Payload too large", f"request bodies are limited to {limit} bytes")
        await response(scope, receive, send)


class IdempotencyKeys:
    """Make a write's `Idempotency-Key` and a digest of its request available to `meta`
    (see shared/idempotency.py)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in idempotency.WRITES:
            return await self.app(scope, receive, send)
        raw = dict(scope["headers"]).get(b"idempotency-key")
        if raw is None:
            return await self.app(scope, receive, send)
        key = idempotency.valid_key(raw)
        if key is None:
            response = problem(422, "Invalid input", "Idempotency-Key: 1 to 128 printable "
                               "ASCII characters", field="Idempotency-Key")
            return await response(scope, receive, send)
        with idempotency.command(key, scope["method"], scope["path"],
                                 scope.get("query_string", b"")) as digest:

            async def digesting_receive() -> Any:
                message = await receive()
                digest.update(message.get("body", b""))
                return message

            await self.app(scope, digesting_receive, send)


class _TooLarge(StarletteHTTPException):
    """Raised while a body without a Content-Length (chunked) is read past the limit. An
    HTTPException, because FastAPI turns any other error from reading a body (JSON or a
    form) into a 400 "error parsing the body"; this one reaches the problem handlers."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request bodies are limited to {limit} bytes")


def create_service_app(
    *,
    service: str,
    description: str,
    lifespan: Callable[[FastAPI], Any],
    routers: Sequence[APIRouter],
    max_body_bytes: int,
    body_limits: dict[str, int],
    swagger_ui_dir: Path = SWAGGER_UI_DIR,
    request_deadline: float = 4.0,
    deadlines: dict[str, float] | None = None,
    asyncapi: Callable[[str], dict[str, Any]] | None = None,
) -> FastAPI:
    """`request_deadline`: seconds a request may take before its response starts (then 503);
    `deadlines` gives slow paths (bulk imports) more. `asyncapi(host)`: the AsyncAPI document
    of the service's events, served at /asyncapi.json (`host` is where it was asked)."""
    app = FastAPI(
        title=f"Gongzhi {service}",
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        generate_unique_id_function=lambda route: route.name,
        docs_url=None,  # served below from local files; ReDoc only exists on a CDN
        redoc_url=None,
    )
    app.add_exception_handler(GongzhiError, _on_gongzhi_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(IntegrityError, _on_write_conflict)
    for unavailable in (*UNAVAILABLE, asyncpg.InterfaceError):
        app.add_exception_handler(unavailable, _on_store_unavailable)
    app.add_exception_handler(Exception, _on_crash)
    app.add_middleware(IdempotencyKeys)
    app.add_middleware(BodyLimit, limit=max_body_bytes, per_path=body_limits)
    metrics.configure()
    app.add_middleware(metrics.RequestMetrics, service=service)
    app.add_route("/metrics", metrics.scrape, include_in_schema=False)
    app.add_middleware(RequestDeadline, seconds=request_deadline, per_path=deadlines or {})

    @app.get("/health", tags=["health"])
    async def health() -> dict[str, str]:
        return {"service": service, "status": "ok"}

    @app.get("/v1/auth/me", tags=["auth"], response_model=Me)
    async def me(who: CurrentPrincipal) -> Me:
        """Who this token or session is: the console asks it on every load."""
        return Me(sub=who.sub, role=who.role, scope=who.scope, name=who.name,
                  department=who.department, csrf=who.csrf)

    _offline_docs(app, swagger_ui_dir)
    if asyncapi is not None:
        _asyncapi_route(app, asyncapi)
    for router in routers:
        app.include_router(router)
    app.openapi = lambda: with_problems(app)  # type: ignore[method-assign]
    return app


def _offline_docs(app: FastAPI, assets: Path) -> None:
    """Swagger UI at /docs from files served at /docs-assets, never from the internet."""
    app.mount("/docs-assets", StaticFiles(directory=assets, check_dir=False), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Response:
        if not (assets / "swagger-ui-bundle.js").is_file():
            return problem(503, "Docs not installed",
                           f"Swagger UI's files are missing from {assets}: run `make install`, "
                           "which copies them from the npm package swagger-ui-dist")
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
            # Swagger UI would otherwise ask validator.swagger.io about the spec.
            swagger_ui_parameters={"validatorUrl": None},
        )


def _asyncapi_route(app: FastAPI, asyncapi: Callable[[str], dict[str, Any]]) -> None:
    """Beside /openapi.json and as public: what the service publishes (docs/asyncapi.md)."""

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_document(request: Request) -> JSONResponse:
        return JSONResponse(asyncapi(request.url.netloc))


class Me(BaseModel):
    sub: str
    role: str
    scope: str
    name: str
    department: str | None
    csrf: str | None = None


_bearer = HTTPBearer(auto_error=False, description="a JWT from `gongzhi token`; the console "
                     "sends the same token in its session cookie instead")


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    bearer = credentials.credentials if credentials else None
    who = require_principal(request, request.app.state.jwt_secret, bearer)
    # The scope and department must exist, by this service's read models (shared/vouch.py).
    await request.app.state.vouch.check(request.app.state.pool, who)
    return who


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def _read_pool(request: Request) -> asyncpg.Pool:
    return request.app.state.pool


async def _application(request: Request) -> Any:
    return request.app.state.application


# Every service's routes reach its state through these (async: no threadpool hop).
ReadPool = Annotated[asyncpg.Pool, Depends(_read_pool)]
ServiceApp = Depends(_application)


class HistoryEntry(BaseModel):
    """One event of an aggregate's history as people read it (shared.eventstore.history)."""

    seq: int
    type: str
    at: str
    by: dict[str, Any] | None
    data: dict[str, Any]
