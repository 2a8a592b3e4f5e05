"""Parked messages, for operators: see them, replay them, drop them.

Every read model and every reaction (policy) parks what it could not apply in
`<schema>.dead_letters` (shared/projections/runner.py). Rows keep their history: `parked`,
then `replay` (asked for from outside the service; its runner applies it within seconds),
`replayed` or `dropped`. A replay applies the message exactly once — the effect and the new
state commit together, and only a `parked` or `replay` row is applied.

Two ways in: `gongzhi dead-letters list|replay|drop` (any database the CLI can reach) and,
per service, `/v1/ops/dead-letters` (admin role), which replays at once through the service's
own runner.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from shared import telemetry
from shared.errors import Forbidden, Invalid, NotFound
from shared.http import CurrentPrincipal
from shared.inputs import RowId

STATES = ("parked", "replay", "replayed", "dropped")


async def schemas_with_dead_letters(db: asyncpg.Pool | asyncpg.Connection) -> list[str]:
    rows = await db.fetch("SELECT table_schema FROM information_schema.tables "
                          "WHERE table_name = 'dead_letters' ORDER BY table_schema")
    return [r["table_schema"] for r in rows]


async def list_letters(db: asyncpg.Pool | asyncpg.Connection, schemas: list[str],
                       states: tuple[str, ...] = ("parked", "replay")) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for schema in schemas:
        rows = await db.fetch(
            f'SELECT id, stream, position, error, attempts, message, parked_at, state '
            f'FROM "{schema}".dead_letters WHERE state = ANY($1::text[]) ORDER BY id',
            list(states))
        for r in rows:
            message = json.loads(r["message"]) if r["message"] else None
            out.append({"schema": schema, "id": r["id"], "stream": r["stream"],
                        "position": r["position"], "error": r["error"],
                        "attempts": r["attempts"], "parked_at": r["parked_at"].isoformat(),
                        "state": r["state"],
                        "type": message and message.get("type"),
                        "subject": message and message.get("subject"),
                        "trace_id": telemetry.trace_id(
                            ((message or {}).get("meta") or {}).get("traceparent"))})
    return out


async def mark(db: asyncpg.Pool | asyncpg.Connection, schema: str, letter_id: int,
               state: str) -> str | None:
    """Ask for a replay (`replay`) or drop (`dropped`) a parked row; returns the row's state
    afterwards, None if there is no such row. A row already replayed or dropped stays so."""
    resolved = ", resolved_at = now()" if state == "dropped" else ""
    row = await db.fetchrow(
        f'UPDATE "{schema}".dead_letters SET state = $2{resolved} '
        f"WHERE id = $1 AND state IN ('parked', 'replay') RETURNING state", letter_id, state)
    if row is not None:
        return row["state"]
    return await db.fetchval(f'SELECT state FROM "{schema}".dead_letters WHERE id = $1',
                             letter_id)


# -- the API ---------------------------------------------------------------------------------

router = APIRouter(prefix="/v1/ops/dead-letters", tags=["operations"])


class DeadLetter(BaseModel):
    read_model: str  # the schema of the read model or reaction that parked it
    id: int
    stream: str
    position: int
    error: str
    attempts: int
    parked_at: str
    state: str
    type: str | None
    subject: str | None


class Outcome(BaseModel):
    read_model: str
    id: int
    state: str


def _require_admin(who: Any) -> None:
    if who.role != "admin":
        raise Forbidden("only an admin sees and replays dead letters")


def _runner(request: Request, schema: str) -> Any:
    for runner in request.app.state.runners:
        if runner.schema == schema:
            return runner
    raise NotFound(f"this service has no read model or reaction '{schema}'", field="read_model")


def _out(letter: dict[str, Any]) -> dict[str, Any]:
    return {"read_model": letter["schema"],
            **{k: v for k, v in letter.items() if k != "schema"}}


@router.get("", response_model=list[DeadLetter], name="list_dead_letters")
async def list_dead_letters(
    request: Request, who: CurrentPrincipal,
    state: Annotated[list[str] | None, Query(description="parked and replay by default")] = None,
) -> list[dict[str, Any]]:
    """Messages this service's read models and reactions parked, oldest first."""
    _require_admin(who)
    if any(s not in STATES for s in state or ()):
        raise Invalid(f"state must be one of {', '.join(STATES)}", field="state")
    schemas = [r.schema for r in request.app.state.runners]
    letters = await list_letters(request.app.state.pool, schemas,
                                 tuple(state) if state else ("parked", "replay"))
    return [_out(x) for x in letters]


@router.post("/{read_model}/{letter_id}/replay", response_model=Outcome,
             name="replay_dead_letter")
async def replay_dead_letter(request: Request, who: CurrentPrincipal, read_model: str,
                             letter_id: RowId) -> dict[str, Any]:
    """Apply a parked message now, once. Replaying it again changes nothing."""
    _require_admin(who)
    try:
        state = await _runner(request, read_model).replay(letter_id)
    except LookupError as exc:
        raise NotFound(str(exc), field="letter_id") from None
    return {"read_model": read_model, "id": letter_id, "state": state}


@router.post("/{read_model}/{letter_id}/drop", response_model=Outcome, name="drop_dead_letter")
async def drop_dead_letter(request: Request, who: CurrentPrincipal, read_model: str,
                           letter_id: RowId) -> dict[str, Any]:
    """Give up on a parked message for good (the row stays, marked dropped)."""
    _require_admin(who)
    _runner(request, read_model)
    state = await mark(request.app.state.pool, read_model, letter_id, "dropped")
    if state is None:
        raise NotFound(f"no dead letter {letter_id} in {read_model}", field="letter_id")
    return {"read_model": read_model, "id": letter_id, "state": state}
