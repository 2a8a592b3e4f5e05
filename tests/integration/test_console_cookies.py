"""The console's pass-through serves every browser with one HTTP client: a session cookie
that an answer sets must reach that browser only, never ride along on someone else's
requests."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from console.app import create_app
from tests.utils.serve import serve, serve_http


def upstream() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/auth/login")
    async def login() -> PlainTextResponse:
        signed_in = PlainTextResponse("signed in")
        signed_in.set_cookie("gz_session", "alices-session", httponly=True, samesite="strict")
        return signed_in

    @app.get("/v1/auth/me")
    async def me(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.headers.get("cookie", "nobody"))

    return app


async def test_a_session_set_through_the_console_is_never_sent_for_anyone_else() -> None:
    async with serve_http(upstream()) as grid, \
            serve(create_app({"grid": str(grid.base_url).rstrip("/")})) as console:
        alice = await console.post("/api/grid/v1/auth/login")
        assert alice.status_code == 200
        assert "gz_session=alices-session" in alice.headers["set-cookie"]  # reaches Alice
        console.cookies.clear()  # a second browser, with no cookie of its own
        assert (await console.get("/api/grid/v1/auth/me")).text == "nobody"
        bob = await console.get("/api/grid/v1/auth/me", headers={"Cookie": "gz_session=bobs"})
        assert bob.text == "gz_session=bobs"
