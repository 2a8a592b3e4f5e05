"""The console process: static files of the single-page app, and the API pass-through.

It holds no state and no secret: sign-in is the grid service's (it owns the person registry),
every rule of who may see what stays in the services, and the session cookie they set passes
through unchanged.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from console.proxy import forward, no_cookie_jar
from shared.http import problem

WEB = Path(__file__).parent / "web"
# The page may run scripts and styles from this origin only: residents' text can never run.
# ECharts sets inline styles on the elements it draws, hence 'unsafe-inline' for styles alone.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'self'")
SERVICES = ("issues", "grid", "volunteers", "evaluation")


def upstreams_from_env() -> dict[str, str]:
    """`GONGZHI_UPSTREAMS` is a JSON object service → base URL; `gongzhi up` sets it."""
    raw = os.environ.get("GONGZHI_UPSTREAMS")
    if raw:
        return json.loads(raw)
    base = int(os.environ.get("GONGZHI_BASE_PORT", "8001"))
    return {name: f"http://127.0.0.1:{base + i}" for i, name in enumerate(SERVICES)}


def create_app(upstreams: dict[str, str] | None = None) -> FastAPI:
    targets = upstreams or upstreams_from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        timeout = httpx.Timeout(connect=3.0, read=None, write=30.0, pool=5.0)  # SSE: no read cap
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                                     cookies=no_cookie_jar()) as client:
            app.state.client = client
            yield

    app = FastAPI(title="Gongzhi console", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        if not request.url.path.startswith("/api/"):
            response.headers["Content-Security-Policy"] = CSP
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "same-origin"
        return response

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"service": "console", "status": "ok"}

    @app.api_route("/api/{service}/{path:path}",
                   methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"],
                   include_in_schema=False)
    async def api(service: str, path: str, request: Request) -> Response:
        if service not in targets:
            return problem(404, "Not found", f"no service '{service}'; one of "
                           + ", ".join(targets))
        return await forward(request.app.state.client, targets[service], path, request)

    app.mount("/static", StaticFiles(directory=WEB), name="static")

    @app.get("/{_:path}", include_in_schema=False)
    async def page(_: str) -> FileResponse:
        # Every other path is a screen of the single-page app; it routes on the client.
        return FileResponse(WEB / "index.html", headers={"Cache-Control": "no-store"})

    return app
