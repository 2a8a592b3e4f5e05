"""Each service's /docs serves Swagger UI from its own files, never from the internet
(government networks often have none)."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from shared.http import SWAGGER_UI_DIR, create_service_app

ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")


@asynccontextmanager
async def _nothing(_: FastAPI):  # type: ignore[no-untyped-def]
    yield


def app_with(assets: Path) -> FastAPI:
    return create_service_app(service="docs-test", description="", lifespan=_nothing,
                              routers=[], max_body_bytes=1024, body_limits={},
                              swagger_ui_dir=assets)


async def get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        return await client.get(path)


async def test_docs_reference_only_local_files_and_those_answer(tmp_path: Path) -> None:
    for name in ASSETS:
        (tmp_path / name).write_text(f"/* {name} */")
    app = app_with(tmp_path)
    page = await get(app, "/docs")
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page.text, re.I), page.text
    for url in re.findall(r"""(?:src|href)=["']?([^"'\s>]+)""", page.text):
        assert url.startswith("/docs-assets/"), url
        assert (await get(app, url)).status_code == 200, url
    assert (await get(app, "/openapi.json")).status_code == 200
    assert (await get(app, "/redoc")).status_code == 404  # ReDoc exists only on a CDN


async def test_docs_without_the_files_say_how_to_get_them(tmp_path: Path) -> None:
    r = await get(app_with(tmp_path / "missing"), "/docs")
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "make install" in r.json()["detail"]



async def test_the_services_serve_the_swagger_ui_that_make_install_vendored() -> None:
    app = app_with(SWAGGER_UI_DIR)
    page = await get(app, "/docs")
    assert page.status_code == 200, "run `make install`: it copies swagger-ui-dist's files"
    bundle = await get(app, "/docs-assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and "SwaggerUIBundle" in bundle.text
    for name in ASSETS[1:]:
        assert (await get(app, f"/docs-assets/{name}")).status_code == 200, name
