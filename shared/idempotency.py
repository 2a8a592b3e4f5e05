"""`Idempotency-Key` on every state-changing command, so a client that timed out can retry
and get the answer the first attempt earned, not a 409 from a command that in fact committed.

The key travels with the command's events: `meta(principal)` (shared/eventstore.py) stamps
`meta.idempotency = {key, request}` on every event the command makes, where `request` is a
digest of the method, path, query and body. Before changing an aggregate,
`ServiceApplication.change_and_save` looks through its latest events for the same key from the
same actor: the same request is answered with the aggregate as it stands (200), a different
request under that key is a 409. Commands that create an aggregate already derive its id from
the key (raise, blow, open); the stored key makes their retries exact too.

`shared.http.IdempotencyKeys` (ASGI middleware) reads the header of POST, PUT, PATCH and
DELETE requests and digests the body as the route reads it: routes need not declare it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from shared.errors import Conflict

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x20-\x7e]{1,128}")  # printable ASCII
# How far back a retry is looked for: the aggregate's latest changes, however old.
LOOK_BACK = 100
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class Command:
    key: str
    digest: Any = field(repr=False)
    actor: str | None = None
    # This attempt: a route that changes one aggregate twice must not take its own first
    # change for an earlier attempt's.
    attempt: str = field(default_factory=lambda: uuid4().hex)

    def stamp(self, actor: str) -> dict[str, str]:
        """What the command's events carry (read when the route calls `meta`, after FastAPI
        has read the whole body)."""
        self.actor = actor
        return {"key": self.key, "request": self.digest.hexdigest(), "attempt": self.attempt}


_current: ContextVar[Command | None] = ContextVar("gongzhi_command", default=None)


def current() -> Command | None:
    return _current.get()


_DERIVED = uuid5(NAMESPACE_URL, "https://gongzhi.dev/idempotency")


def derived_id(kind: str, owner: str) -> UUID | None:
    """An id for what this request creates that its retry derives again from the key (a
    webhook, a patrol), or None for a request without a key."""
    command = current()
    return uuid5(_DERIVED, f"{kind}\x1f{owner}\x1f{command.key}") if command else None


def done_before(events: Iterable[Any]) -> bool:
    """Whether this request's key is among `events` (newest first) from the same actor:
    True if the very same request made them, 409 if another request used the key."""
    command = current()
    if command is None or command.actor is None:
        return False
    request = command.digest.hexdigest()
    for event in events:
        meta = getattr(event, "meta", None) or {}
        stamped = meta.get("idempotency")
        if not stamped or stamped.get("key") != command.key:
            continue
        if stamped.get("attempt") == command.attempt:
            continue
        if (meta.get("actor") or {}).get("sub") != command.actor:
            continue
        if stamped.get("request") != request:
            raise Conflict(f"this {HEADER} was already used for a different request",
                           field=HEADER)
        return True
    return False


def valid_key(raw: bytes) -> str | None:
    key = raw.decode("latin-1").strip()
    return key if _KEY.fullmatch(key) else None


@contextmanager
def command(key: str, method: str, path: str, query: bytes) -> Iterator[Any]:
    """For the length of one request: its key, and a digest the caller feeds the body to."""
    digest = hashlib.sha256()
    digest.update(f"{method} {path}?".encode())
    digest.update(query)
    token = _current.set(Command(key, digest))
    try:
        yield digest
    finally:
        _current.reset(token)
