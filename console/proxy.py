"""Pass `/api/<service>/<path>` through to a service, streaming both ways.

The browser talks to one origin only (cookies, CSP and CSRF stay simple, and a government
network needs one port opened); the services stay the ones that decide who may do what. Bodies
and answers are streamed so server-sent events flow through unbuffered.
"""

from __future__ import annotations

from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from shared.http import problem

# Hop-by-hop headers (RFC 9110 §7.6.1) and the ones httpx recomputes.
_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "host", "content-length",
})
RETRY_AFTER_SECONDS = 5


def no_cookie_jar() -> CookieJar:
    """For the one client every browser's requests share: it must never keep a cookie an
    answer sets (httpx keeps them by default), or the session set for the last person who
    signed in would ride along on the next visitor's requests. Cookies pass through as the
    headers they are, each browser sending its own."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def _forward_headers(request: Request) -> list[tuple[bytes, bytes]]:
    headers = [(k, v) for k, v in request.headers.raw if k.decode().lower() not in _HOP]
    client = request.client.host if request.client else ""
    return [*headers, (b"x-forwarded-for", client.encode()), (b"x-forwarded-proto",
                                                               request.url.scheme.encode())]


async def forward(client: httpx.AsyncClient, upstream: str, path: str,
                  request: Request) -> Response:
    url = httpx.URL(f"{upstream}/{path}", query=request.url.query.encode())
    body = request.stream() if request.method not in ("GET", "HEAD") else None
    outgoing = client.build_request(request.method, url, headers=_forward_headers(request),
                                    content=body)
    try:
        answer = await client.send(outgoing, stream=True)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
        refused = problem(503, "Service unavailable",
                          f"{upstream} is not answering; try again shortly")
        refused.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return refused
    headers = [(k, v) for k, v in answer.headers.multi_items() if k.lower() not in _HOP]
    response = StreamingResponse(answer.aiter_raw(), status_code=answer.status_code,
                                 background=BackgroundTask(answer.aclose))
    response.raw_headers = [(k.encode(), v.encode()) for k, v in headers]
    return response
