"""/v1/auth: signing in to the console. Staff and department staff with a login and
password tied to the person registry; residents with their phone and a one-time code. The
session is the same JWT an API token is, carried in an HttpOnly cookie, with a CSRF secret
the page echoes in `X-CSRF-Token` on every change (shared/http.py checks it).

Also `PUT /v1/people/{staff_id}/login`: who sets a person's login and password.
"""

from __future__ import annotations

import hmac
import ipaddress
import math
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import asyncpg
import jwt
from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from services.grid.api.people import MANAGERS, _places
from services.grid.application import GridApplication
from services.grid.domain.person import STAFF_ID_PATTERN, Person
from services.grid.signin import codes, passwords, store, throttle
from shared.auth import Principal, verify
from shared.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unavailable,
)
from shared.http import CurrentPrincipal, ReadPool, ServiceApp
from shared.sessions import COOKIE, end_session, principal_from_cookie, session_id, start_session
from shared.settings import Settings

router = APIRouter(prefix="/v1/auth", tags=["sign-in"])
people = APIRouter(prefix="/v1/people", tags=["sign-in"])

Grid = Annotated[GridApplication, ServiceApp]
SESSION_SECONDS = 12 * 3600
CHOICE_SECONDS = 300
CHOICE_ISSUER = "gongzhi-choice"  # not auth.ISSUER: a choice token is never a bearer token
CODE_LIFETIME = timedelta(minutes=5)
CODE_RESEND_AFTER = timedelta(seconds=60)
CODE_ATTEMPTS = 5
RESIDENT_HOME_LEVELS = ("community", "grid", "compound", "building", "unit")
LOGIN_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{2,63}$"


# -- bodies ---------------------------------------------------------------------------------

class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginBody(Strict):
    login: str = Field(min_length=1, max_length=64, examples=["u-km-heping-g03"])
    password: str = Field(min_length=1, max_length=passwords.MAX_LENGTH)


class ChooseBody(Strict):
    choice: str = Field(min_length=1, max_length=4096)
    index: int = Field(ge=0)


class CodeBody(Strict):
    phone: str = Field(min_length=1, max_length=20, examples=["13800001111"])


class VerifyBody(Strict):
    phone: str = Field(min_length=1, max_length=20)
    code: str = Field(pattern=r"^[0-9]{6}$")
    # Required on a resident's first sign-in: the community (or grid, compound, building,
    # unit) they live in. Given later, it moves them there.
    home: str | None = Field(default=None, max_length=270)


class SetLoginBody(Strict):
    login: str = Field(pattern=LOGIN_PATTERN, examples=["13800001111", "lijuan"])
    password: str = Field(min_length=1, max_length=passwords.MAX_LENGTH)
    current_password: str | None = Field(default=None, max_length=passwords.MAX_LENGTH)


class SessionOut(BaseModel):
    sub: str
    role: str
    scope: str
    department: str | None
    name: str
    csrf: str | None  # echo it in X-CSRF-Token; null when the caller used a bearer token
    expires_in: int | None = None  # seconds the cookie's token lives: refresh before then


class RoleChoice(BaseModel):
    role: str
    scope: str  # the node the role is held at
    department: str | None
    label: str  # the node's name, for the person to recognise it


class ChoiceOut(BaseModel):
    name: str
    roles: list[RoleChoice]
    choice: str  # POST it to /v1/auth/choose with the index of the role, within 5 minutes


class CodeSentOut(BaseModel):
    expires_in: int
    resend_in: int


class LoginSetOut(BaseModel):
    staff_id: str
    login: str
    set_at: str
    set_by: str


# -- helpers --------------------------------------------------------------------------------

def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _clock_now(grid: GridApplication) -> datetime:
    return grid.clock.now()


def client_address(request: Request, settings: Settings) -> str:
    """The caller's address; behind a trusted proxy (the console), the one it forwarded."""
    peer = request.client.host if request.client else "unknown"
    # Only the last hop is the proxy's own word: earlier values (or an earlier header the
    # browser sent itself) are whatever the client claimed.
    forwarded = request.headers.getlist("x-forwarded-for")
    if forwarded and is_trusted_proxy(peer, settings.trusted_proxies):
        return forwarded[-1].split(",")[-1].strip() or peer
    return peer


def is_trusted_proxy(peer: str, trusted: str) -> bool:
    """`trusted`: comma-separated addresses or networks (a container network: 172.16.0.0/12)."""
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(entry.strip(), strict=False)
               for entry in trusted.split(",") if entry.strip())


async def _start_session(response: Response, request: Request, who: Principal) -> SessionOut:
    """A session lasts SESSION_SECONDS, kept in grid's table; its token only
    `session_token_seconds`, re-minted by /v1/auth/refresh while the session is live."""
    settings = _settings(request)
    ttl = settings.session_token_seconds
    session = start_session(response, request.app.state.jwt_secret,
                            secure=settings.env == "production", ttl_seconds=ttl, sub=who.sub,
                            role=who.role, scope=who.scope, name=who.name,
                            department=who.department)
    assert session.csrf is not None
    now = _wall_now()
    await store.session_started(request.app.state.pool, session_id(session.csrf), who.sub,
                                who.role, who.scope, now, now + timedelta(seconds=SESSION_SECONDS))
    return _session_out(session, ttl)


def _session_out(session: Principal, ttl: int) -> SessionOut:
    return SessionOut(sub=session.sub, role=session.role, scope=session.scope,
                      department=session.department, name=session.name, csrf=session.csrf,
                      expires_in=ttl)


def _wall_now() -> datetime:
    """Sessions keep wall-clock time, not grid's injected clock: they end with their tokens,
    whose expiry every service checks against the wall clock."""
    return datetime.fromtimestamp(time.time(), UTC)


def _as_principal(person: Person, role: dict[str, Any]) -> Principal:
    """Exactly what `gongzhi token` would mint for the role: its node is the scope."""
    return Principal(sub=person.staff_id, role=role["role"], scope=role["node"],
                     name=person.name, department=role.get("department"))


def _normal_login(raw: str) -> str:
    return raw.strip().lower()


def _choice_token(secret: str, person: Person) -> str:
    roles = [{"role": r["role"], "node": r["node"], "department": r.get("department")}
             for r in person.roles]
    now = int(time.time())
    return jwt.encode({"iss": CHOICE_ISSUER, "sub": person.staff_id, "roles": roles,
                       "iat": now, "exp": now + CHOICE_SECONDS}, secret, algorithm="HS256")


async def _person(grid: GridApplication, staff_id: str) -> Person:
    return await run_in_threadpool(grid.get_person, staff_id)


# -- staff ----------------------------------------------------------------------------------

@router.post("/login", response_model=SessionOut | ChoiceOut, name="login",
             responses={401: {"description": "wrong login or password"},
                        429: {"description": "too many failures in a row: see Retry-After"}})
async def login(body: LoginBody, request: Request, response: Response, pool: ReadPool,
                grid: Grid) -> SessionOut | ChoiceOut:
    """Sign in with a login and password. One current role: the session cookie is set and
    the session returned. Several: the roles and a `choice` token for /v1/auth/choose."""
    settings = _settings(request)
    key = settings.secret("data_key")
    name = _normal_login(body.login)
    login_key = codes.key_digest(key, "login", name)
    address_key = codes.key_digest(key, "address", client_address(request, settings))
    now = _clock_now(grid)
    await throttle.check(pool, [login_key, address_key], now)
    account = await store.login_by_name(pool, name)
    stored = account["password_hash"] if account else None
    if not await run_in_threadpool(passwords.verify_password, stored, body.password):
        await throttle.failed(pool, login_key, throttle.LOGIN, now)
        await throttle.failed(pool, address_key, throttle.ADDRESS, now)
        raise Unauthorized("wrong login or password")
    assert account is not None and stored is not None
    await throttle.cleared(pool, login_key)
    if settings.env == "production" and passwords.is_default(body.password):
        raise Forbidden("this account still has the demo password, which production refuses: "
                        "ask an administrator to set a new one")
    if await run_in_threadpool(passwords.needs_rehash, stored):
        new = await run_in_threadpool(passwords.hash_password, body.password)
        await store.rehash(pool, account["staff_id"], stored, new)
    person = await _person(grid, account["staff_id"])
    if not person.roles:
        raise Forbidden(f"{person.staff_id} holds no role now; ask the community or street "
                        "to assign one")
    if len(person.roles) == 1:
        return await _start_session(response, request, _as_principal(person, person.roles[0]))
    labels = await run_in_threadpool(lambda: [grid.get_node(r["node"]).name
                                              for r in person.roles])
    return ChoiceOut(
        name=person.name, choice=_choice_token(request.app.state.jwt_secret, person),
        roles=[RoleChoice(role=r["role"], scope=r["node"], department=r.get("department"),
                          label=label) for r, label in zip(person.roles, labels, strict=True)])


@router.post("/choose", response_model=SessionOut, name="choose_role")
async def choose(body: ChooseBody, request: Request, response: Response,
                 grid: Grid) -> SessionOut:
    """Start the session as one of the roles a login offered (by its index)."""
    try:
        claims = jwt.decode(body.choice, request.app.state.jwt_secret, algorithms=["HS256"],
                            issuer=CHOICE_ISSUER, options={"require": ["exp", "sub", "roles"]})
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"the choice is not valid ({exc}); sign in again") from None
    offered = claims["roles"]
    if body.index >= len(offered):
        raise Invalid(f"index {body.index} is out of range: {len(offered)} roles were offered",
                      field="index")
    chosen = offered[body.index]
    person = await _person(grid, claims["sub"])
    if not person.holds(chosen["role"], chosen["node"]):
        raise Conflict(f"{person.staff_id} no longer holds {chosen['role']} at "
                       f"'{chosen['node']}'; sign in again")
    return await _start_session(response, request, _as_principal(person, chosen))


# -- residents ------------------------------------------------------------------------------

@router.post("/otp", status_code=202, response_model=CodeSentOut, name="send_code",
             responses={429: {"description": "a code was sent less than a minute ago, or too "
                                             "many failures: see Retry-After"},
                        503: {"description": "no code sender is configured"}})
async def send_code(body: CodeBody, request: Request, pool: ReadPool,
                    grid: Grid) -> CodeSentOut:
    """Send a resident a 6-digit one-time code, valid 5 minutes (in development: to the
    service log)."""
    settings = _settings(request)
    sender: codes.CodeSender | None = request.app.state.code_sender
    phone = codes.normal_phone(body.phone)
    if sender is None:
        raise Unavailable("residents cannot sign in yet: no one-time code sender is "
                          "configured (GONGZHI_OTP_SENDER)")
    key = settings.secret("data_key")
    sub = codes.resident_sub(key, phone)
    now = _clock_now(grid)
    address = client_address(request, settings)
    sends_key = codes.key_digest(key, "sends", address)
    await throttle.check(pool, [codes.key_digest(key, "phone", sub),
                                codes.key_digest(key, "address", address), sends_key], now)
    live = await store.live_code(pool, sub)
    if live is not None and now < live["issued_at"] + CODE_RESEND_AFTER:
        wait = max(1, math.ceil((live["issued_at"] + CODE_RESEND_AFTER - now).total_seconds()))
        raise TooManyRequests(f"a code was sent {int((now - live['issued_at']).total_seconds())}"
                              f" s ago; ask again in {wait} s", retry_after=wait)
    code = codes.new_code()
    # Every code sent counts against the address, so one client cannot make the platform
    # text a thousand numbers (an SMS costs money and annoys whoever receives it).
    await throttle.failed(pool, sends_key, throttle.SENDS, now)
    await run_in_threadpool(sender.send, phone, code)
    await store.store_code(pool, sub, codes.code_digest(key, sub, code), now,
                           now + CODE_LIFETIME)
    return CodeSentOut(expires_in=int(CODE_LIFETIME.total_seconds()),
                       resend_in=int(CODE_RESEND_AFTER.total_seconds()))


@router.post("/otp/verify", response_model=SessionOut, name="verify_code")
async def verify_code(body: VerifyBody, request: Request, response: Response, pool: ReadPool,
                      grid: Grid) -> SessionOut:
    """Sign a resident in with the code. The first time, name a home node (`home`): a
    community or a node beneath it; it is kept for later sign-ins."""
    settings = _settings(request)
    key = settings.secret("data_key")
    phone = codes.normal_phone(body.phone)
    sub = codes.resident_sub(key, phone)
    phone_key = codes.key_digest(key, "phone", sub)
    address_key = codes.key_digest(key, "address", client_address(request, settings))
    now = _clock_now(grid)
    await throttle.check(pool, [phone_key, address_key], now)
    live = await store.live_code(pool, sub)
    digest = codes.code_digest(key, sub, body.code)
    if live is None or live["expires_at"] <= now or not hmac.compare_digest(
            live["digest"], digest):
        if live is not None:
            await store.code_missed(pool, sub, CODE_ATTEMPTS)
        await throttle.failed(pool, phone_key, throttle.PHONE, now)
        await throttle.failed(pool, address_key, throttle.ADDRESS, now)
        raise Unauthorized("wrong or expired code; ask for a new one if it is over 5 minutes old")
    named = (body.home or "").strip() or None  # a form's empty field names nothing
    home = named or await store.resident_home(pool, sub)
    if home is None:
        # The code stays valid: the page asks for the home node and sends the code again.
        raise Invalid("first sign-in: name your home node (your community, or your grid, "
                      "compound, building or unit)", field="home", first_sign_in=True)
    if named is not None:
        await _check_home(grid, named)
    if not await store.burn_code(pool, sub, digest):
        raise Unauthorized("that code was just used; ask for a new one")
    await throttle.cleared(pool, phone_key)
    await store.signed_in_resident(pool, sub, home, now)
    return await _start_session(response, request,
                          Principal(sub=sub, role="resident", scope=home, name=""))


async def _check_home(grid: GridApplication, path: str) -> None:
    try:
        node = await run_in_threadpool(grid._live_node, path)
    except NotFound as exc:
        raise Invalid(exc.detail, field="home") from None
    if node.level not in RESIDENT_HOME_LEVELS:
        raise Invalid(f"'{path}' is a {node.level}; a resident's home is a community or a "
                      "node beneath it", field="home")


# -- the session ----------------------------------------------------------------------------

# GET /v1/auth/me is every service's (shared/http.py): the same SessionOut shape.


@router.post("/refresh", response_model=SessionOut, name="refresh_session")
async def refresh(request: Request, response: Response, grid: Grid, pool: ReadPool) -> SessionOut:
    """A fresh token for a live session (the console asks well before its token expires):
    401 once the session was signed out or has run its 12 hours, or when its role was
    relieved meanwhile. Only a session can be refreshed, never a bearer token."""
    who = principal_from_cookie(request, request.app.state.jwt_secret)
    if who is None or who.csrf is None:
        raise Unauthorized("no session to refresh: sign in")
    sid = session_id(who.csrf)
    now = _wall_now()
    live = await store.live_session(pool, sid, now)
    if live is None:
        raise Unauthorized("the session has ended: sign in again")
    if who.role != "resident" and not await _still_holds(grid, who):
        await store.session_ended(pool, sid, now)
        raise Unauthorized(f"{who.sub} no longer holds {who.role} at '{who.scope}': sign in "
                           "again")
    if who.role != "resident" and await store.login_of(pool, who.sub) is None:
        await store.session_ended(pool, sid, now)
        raise Unauthorized(f"{who.sub} can no longer sign in: their login was removed")
    ttl = min(_settings(request).session_token_seconds,
              math.floor((live["ends_at"] - now).total_seconds()))
    if ttl < 1:
        raise Unauthorized("the session has ended: sign in again")
    session = start_session(response, request.app.state.jwt_secret,
                            secure=_settings(request).env == "production", ttl_seconds=ttl,
                            csrf=who.csrf, sub=who.sub, role=who.role, scope=who.scope,
                            name=who.name, department=who.department)
    return _session_out(session, ttl)


async def _still_holds(grid: GridApplication, who: Principal) -> bool:
    try:
        person = await _person(grid, who.sub)
    except NotFound:
        return False
    return person.holds(who.role, who.scope)


@router.post("/logout", status_code=204, name="logout")
async def logout(request: Request, response: Response, pool: ReadPool) -> Response:
    """End the session: grid refreshes it no more, so a copy of its token is refused
    everywhere once it expires (within `session_token_seconds`). Anyone may, without the
    CSRF header: it only ever ends the caller's own session."""
    token = request.cookies.get(COOKIE)
    if token:
        try:
            who = verify(request.app.state.jwt_secret, token)
        except Unauthorized:
            who = None  # expired or forged: nothing to end
        if who is not None and who.csrf:
            await store.session_ended(pool, session_id(who.csrf), _wall_now())
    response.status_code = 204
    end_session(response)
    return response


# -- who sets a login -----------------------------------------------------------------------

def may_set_login(who: Principal, person: Person) -> bool:
    """Setting a password takes the account over, so the manager must have authority over
    every place the person serves, not just one: community staff cannot take over the
    account of a district leader who happens to live in their community."""
    if who.role == "admin":
        return True
    return who.role in MANAGERS and all(who.covers(p) for p in _places(person))


StaffIdPath = Annotated[str, Path(pattern=STAFF_ID_PATTERN)]


async def _managed(grid: GridApplication, who: Principal, staff_id: str, doing: str) -> Person:
    person = await _person(grid, staff_id)
    if not may_set_login(who, person):
        raise Forbidden(f"a {who.role} scoped to '{who.scope}' may not {doing} of {staff_id}: "
                        "admins, and city to community staff over every place the person "
                        "serves, may")
    return person


@people.get("/{staff_id}/login", response_model=LoginSetOut, name="get_login")
async def get_login(staff_id: StaffIdPath, who: CurrentPrincipal, pool: ReadPool,
                    grid: Grid) -> LoginSetOut:
    """A person's login name and when and by whom it was last set (never the password):
    for whoever may set it, and for the person themself."""
    if who.sub != staff_id or who.role == "resident":
        await _managed(grid, who, staff_id, "read the login")
    account = await store.login_of(pool, staff_id)
    if account is None:
        raise NotFound(f"{staff_id} has no login")
    return LoginSetOut(staff_id=staff_id, login=account["login"],
                       set_at=account["set_at"].isoformat(), set_by=account["set_by"])


@people.delete("/{staff_id}/login", status_code=204, name="remove_login")
async def remove_login(staff_id: StaffIdPath, who: CurrentPrincipal, pool: ReadPool,
                       grid: Grid) -> Response:
    """Take a person's sign-in away (they left, or the account is suspected taken over).
    Sessions already started run out on their own (12 hours at most)."""
    await _managed(grid, who, staff_id, "remove the login")
    if not await store.remove_login(pool, staff_id):
        raise NotFound(f"{staff_id} has no login")
    return Response(status_code=204)


@people.put("/{staff_id}/login", response_model=LoginSetOut, name="set_login")
async def set_login(staff_id: StaffIdPath, body: SetLoginBody, who: CurrentPrincipal,
                    request: Request, pool: ReadPool, grid: Grid) -> LoginSetOut:
    """Give a person a login (a name or their phone) and password: a manager over all the
    places they serve, or the person themself with their current password."""
    person = await _person(grid, staff_id)
    settings = _settings(request)
    login_name = _normal_login(body.login)
    if not may_set_login(who, person):
        if who.sub != staff_id or who.role == "resident":
            raise Forbidden(f"a {who.role} scoped to '{who.scope}' may not set the login of "
                            f"{staff_id}: admins, and city to community staff over every place "
                            "the person serves, may; or the person with their password")
        await _check_current_password(pool, grid, settings, staff_id, body.current_password)
    passwords.check_new_password(body.password, login_name, settings.env)
    hashed = await run_in_threadpool(passwords.hash_password, body.password)
    now = _clock_now(grid)
    if not await store.set_login(pool, staff_id, login_name, hashed, now, who.sub):
        raise Conflict(f"the login '{login_name}' belongs to someone else", field="login")
    return LoginSetOut(staff_id=staff_id, login=login_name, set_at=now.isoformat(),
                       set_by=who.sub)


async def _check_current_password(pool: asyncpg.Pool, grid: GridApplication,
                                  settings: Settings, staff_id: str,
                                  current: str | None) -> None:
    if current is None:
        raise Invalid("to change your own password, send your current one",
                      field="current_password")
    account = await store.login_of(pool, staff_id)
    if account is None:
        raise Forbidden("you have no password yet: ask your community or street to set one")
    login_key = codes.key_digest(settings.secret("data_key"), "login", account["login"])
    now = _clock_now(grid)
    await throttle.check(pool, [login_key], now)
    if not await run_in_threadpool(passwords.verify_password, account["password_hash"],
                                   current):
        await throttle.failed(pool, login_key, throttle.LOGIN, now)
        raise Forbidden("the current password is wrong", field="current_password")
