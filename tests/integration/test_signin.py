"""Signing in to the console over HTTP on the real PostgreSQL: staff passwords tied to the
person registry, choosing among several roles, residents' one-time codes, the session cookie
and its CSRF check, sign-out, throttling on the injected clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from gongzhi.demo.seed import seed, seed_logins
from services.grid.bootstrap import create_app
from services.grid.signin.passwords import DEMO_PASSWORD
from shared.clock import ManualClock
from shared.db import create_pool
from shared.settings import Settings
from tests.conftest import DATA_KEY
from tests.utils.city import register_small_city
from tests.utils.serve import serve
from tests.utils.tokens import bearer
from tests.utils.wait import eventually
from tests.utils.whistles import ADMIN, DEPARTMENTS

HEPING = "km.guandu.taihe.heping"
G03 = f"{HEPING}.g03"
COMMUNITY = bearer("community_staff", HEPING, sub="c-01")
PASSWORD = "correct horse battery"
PHONE = "13800001111"


class Codes:
    """A CodeSender that keeps what it sent, as an SMS gateway's test double would."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, code: str) -> None:
        self.sent.append((phone, code))

    def last(self) -> str:
        return self.sent[-1][1]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))


@pytest.fixture
def codes() -> Codes:
    return Codes()


@pytest.fixture
async def api(settings: Settings, clock: ManualClock,
              codes: Codes) -> AsyncIterator[httpx.AsyncClient]:
    register_small_city(settings.database_url)
    async with serve(create_app(settings, clock=clock, code_sender=codes)) as client:
        await eventually(lambda: client.get(f"/v1/nodes/{G03}", headers=ADMIN),
                         lambda r: r.status_code == 200)
        yield client


async def person(api: httpx.AsyncClient, staff_id: str, *roles: tuple[str, str, str | None],
                 login: str | None = None, password: str = PASSWORD) -> None:
    """Register someone holding `roles` (role, node, department) with a login."""
    r = await api.post("/v1/people", json={"staff_id": staff_id, "name": "李娟",
                                           "home": roles[0][1]}, headers=ADMIN)
    assert r.status_code == 201, r.text
    for role, node, department in roles:
        r = await api.post(f"/v1/people/{staff_id}/roles", headers=ADMIN,
                           json={"role": role, "node": node, "department": department})
        assert r.status_code == 200, r.text
    r = await api.put(f"/v1/people/{staff_id}/login", headers=ADMIN,
                      json={"login": login or staff_id, "password": password})
    assert r.status_code == 200, r.text


async def login(api: httpx.AsyncClient, name: str, password: str = PASSWORD) -> httpx.Response:
    return await api.post("/v1/auth/login", json={"login": name, "password": password})


async def asyncpg_pool(settings: Settings) -> asyncpg.Pool:
    return await create_pool(settings.database_url, max_size=1)


def problem(r: httpx.Response, status: int, field: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    if field:
        assert body.get("field") == field or field in str(body.get("errors")), body
    return body


async def test_one_role_signs_in_with_a_cookie_session_and_signs_out(
        api: httpx.AsyncClient) -> None:
    await person(api, "u-g03", ("grid_worker", G03, None), login="LiJuan")
    r = await login(api, " lijuan ")  # logins are case- and space-insensitive
    assert r.status_code == 200, r.text
    session = r.json()
    assert session == {"sub": "u-g03", "role": "grid_worker", "scope": G03,
                       "department": None, "name": "李娟", "csrf": session["csrf"],
                       "expires_in": 300}  # the token lives minutes; grid refreshes it
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("gz_session=")
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/"):
        assert attribute.lower() in cookie.lower(), cookie
    assert "secure" not in cookie.lower()  # only in production (HTTPS)

    me = await api.get("/v1/auth/me")
    assert me.status_code == 200 and me.json() == {
        k: v for k, v in session.items() if k != "expires_in"}
    # The session opens what the role's token would: the grid worker's own grid.
    assert (await api.get(f"/v1/nodes/{G03}/roles")).status_code == 200

    out = await api.post("/v1/auth/logout")
    assert out.status_code == 204
    assert 'gz_session=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers[
        "set-cookie"]
    problem(await api.get("/v1/auth/me"), 401)
    # A bearer token still answers /me, with no CSRF value: it is no browser session.
    me = await api.get("/v1/auth/me", headers=COMMUNITY)
    assert me.json()["role"] == "community_staff" and me.json()["csrf"] is None


async def test_a_session_is_refreshed_until_signed_out_or_its_role_relieved(
        api: httpx.AsyncClient) -> None:
    await person(api, "u-g03", ("grid_worker", G03, None))
    csrf = (await login(api, "u-g03")).json()["csrf"]
    echo = {"X-CSRF-Token": csrf}
    problem(await api.post("/v1/auth/refresh"), 403)  # a change like any: the CSRF value
    fresh = await api.post("/v1/auth/refresh", headers=echo)
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["csrf"] == csrf and fresh.json()["expires_in"] == 300
    assert fresh.headers["set-cookie"].startswith("gz_session=")
    copied = api.cookies["gz_session"]

    assert (await api.post("/v1/auth/logout")).status_code == 204
    # The copy still carries a valid signature, but grid will not refresh it again: every
    # service refuses it once it expires (tests/browser/test_signout_console.py).
    api.cookies.set("gz_session", copied)
    problem(await api.post("/v1/auth/refresh", headers=echo), 401)

    # A session whose role is relieved meanwhile is refused at its next refresh.
    api.cookies.clear()
    csrf = (await login(api, "u-g03")).json()["csrf"]
    r = await api.post("/v1/people/u-g03/roles/relieve", headers=ADMIN, json={
        "role": "grid_worker", "node": G03, "reason": "moved away"})
    assert r.status_code == 200, r.text
    body = problem(await api.post("/v1/auth/refresh", headers={"X-CSRF-Token": csrf}), 401)
    assert "no longer holds grid_worker" in body["detail"]
    # So is one whose login was removed.
    await person(api, "u-c01", ("community_staff", HEPING, None))
    api.cookies.clear()
    csrf = (await login(api, "u-c01")).json()["csrf"]
    assert (await api.delete("/v1/people/u-c01/login", headers=ADMIN)).status_code == 204
    body = problem(await api.post("/v1/auth/refresh", headers={"X-CSRF-Token": csrf}), 401)
    assert "login was removed" in body["detail"]
    # A bearer token is no session: there is nothing to refresh.
    api.cookies.clear()
    problem(await api.post("/v1/auth/refresh", headers=COMMUNITY), 401)


async def test_several_roles_choose_one(api: httpx.AsyncClient) -> None:
    await person(api, "u-two", ("community_staff", HEPING, None),
                 ("info_officer", G03, None))
    r = await login(api, "u-two")
    assert r.status_code == 200 and "set-cookie" not in r.headers  # no session yet
    offer = r.json()
    assert offer["roles"] == [
        {"role": "community_staff", "scope": HEPING, "department": None, "label": "和平路社区"},
        {"role": "info_officer", "scope": G03, "department": None, "label": "第三网格"}]
    problem(await api.post("/v1/auth/choose", json={"choice": offer["choice"], "index": 2}),
            422, "index")
    problem(await api.post("/v1/auth/choose",
                           json={"choice": offer["choice"] + "x", "index": 0}), 401)
    # The choice is no bearer token.
    problem(await api.get("/v1/auth/me",
                          headers={"Authorization": f"Bearer {offer['choice']}"}), 401)

    r = await api.post("/v1/auth/choose", json={"choice": offer["choice"], "index": 1})
    assert r.status_code == 200, r.text
    assert (r.json()["role"], r.json()["scope"]) == ("info_officer", G03)
    assert (await api.get("/v1/auth/me")).json()["role"] == "info_officer"

    # Relieved in between: the offer no longer holds.
    r = await api.post("/v1/people/u-two/roles/relieve", headers=ADMIN, json={
        "role": "community_staff", "node": HEPING, "reason": "调任"})
    assert r.status_code == 200, r.text
    problem(await api.post("/v1/auth/choose", json={"choice": offer["choice"], "index": 0}),
            409)


async def test_wrong_passwords_are_throttled_then_forgiven_after_the_wait(
        api: httpx.AsyncClient, clock: ManualClock) -> None:
    await person(api, "u-g03", ("grid_worker", G03, None))
    problem(await login(api, "nobody"), 401)  # an unknown login looks like a wrong password
    for _ in range(5):
        assert problem(await login(api, "u-g03", "wrong password"), 401)["detail"] == (
            "wrong login or password")
    # Throttled now, even with the right password.
    r = await login(api, "u-g03")
    problem(r, 429)
    assert r.headers["Retry-After"] == "60"
    clock.advance(timedelta(seconds=30))
    assert (await login(api, "u-g03")).headers["Retry-After"] == "30"

    # The window passes; one more failure in a row blocks twice as long.
    clock.advance(timedelta(seconds=31))
    problem(await login(api, "u-g03", "still wrong"), 401)
    r = await login(api, "u-g03")
    assert r.status_code == 429 and r.headers["Retry-After"] == "120"

    clock.advance(timedelta(seconds=121))
    assert (await login(api, "u-g03")).status_code == 200
    # A success clears the count: one slip is a 401 again, not a block.
    problem(await login(api, "u-g03", "a slip"), 401)
    assert (await login(api, "u-g03")).status_code == 200


async def test_throttling_also_counts_per_client_address(api: httpx.AsyncClient) -> None:
    await person(api, "u-g03", ("grid_worker", G03, None))
    attacker = {"X-Forwarded-For": "203.0.113.9"}  # as the console's proxy forwards it
    for i in range(20):  # one address trying many logins
        r = await api.post("/v1/auth/login", headers=attacker,
                           json={"login": f"guess-{i}", "password": "x"})
        assert r.status_code == 401
    r = await api.post("/v1/auth/login", headers=attacker,
                       json={"login": "u-g03", "password": PASSWORD})
    assert r.status_code == 429
    other = await api.post("/v1/auth/login", headers={"X-Forwarded-For": "198.51.100.7"},
                           json={"login": "u-g03", "password": PASSWORD})
    assert other.status_code == 200


async def test_a_cookie_session_must_echo_its_csrf_value_to_change_anything(
        api: httpx.AsyncClient) -> None:
    await person(api, "u-c01", ("community_staff", HEPING, None))
    csrf = (await login(api, "u-c01")).json()["csrf"]
    newcomer = {"staff_id": "u-new", "name": "新人", "home": G03}
    body = problem(await api.post("/v1/people", json=newcomer), 403)
    assert "X-CSRF-Token" in body["detail"]
    problem(await api.post("/v1/people", json=newcomer, headers={"X-CSRF-Token": "forged"}),
            403)
    r = await api.post("/v1/people", json=newcomer, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    # Reading needs no header; and the session carries the role's limits (not another
    # community's people).
    assert (await api.get("/v1/people/u-new")).status_code == 200
    problem(await api.post("/v1/people", headers={"X-CSRF-Token": csrf}, json={
        "staff_id": "u-far", "name": "远方", "home": "km.guandu.taihe.minhang"}), 403)


async def test_a_department_session_sees_only_what_its_token_would(
        api: httpx.AsyncClient) -> None:
    for d in DEPARTMENTS:
        assert (await api.post("/v1/departments", json=d, headers=ADMIN)).status_code == 201
    await eventually(lambda: api.get("/v1/departments", headers=ADMIN),
                     lambda r: len(r.json()) == len(DEPARTMENTS))
    await person(api, "u-gaj", ("department_staff", "km.guandu", "km-gaj"))
    session = (await login(api, "u-gaj")).json()
    assert (session["role"], session["scope"], session["department"]) == (
        "department_staff", "km.guandu", "km-gaj")
    token = bearer("department_staff", "km.guandu", sub="u-gaj", department="km-gaj")
    for code in ("km-gaj", "km-cgj"):
        by_cookie = await api.get(f"/v1/departments/{code}/board")
        by_token = await api.get(f"/v1/departments/{code}/board", headers=token)
        assert by_cookie.status_code == by_token.status_code, code
    assert (await api.get("/v1/departments/km-gaj/board")).status_code == 200
    problem(await api.get("/v1/departments/km-cgj/board"), 403)


async def test_a_resident_signs_in_with_a_one_time_code(
        api: httpx.AsyncClient, clock: ManualClock, codes: Codes) -> None:
    problem(await api.post("/v1/auth/otp", json={"phone": "12345"}), 422, "phone")
    r = await api.post("/v1/auth/otp", json={"phone": "+86 138 0000 1111"})
    assert r.status_code == 202 and r.json() == {"expires_in": 300, "resend_in": 60}
    assert codes.sent == [(PHONE, codes.last())] and len(codes.last()) == 6
    problem(await api.post("/v1/auth/otp", json={"phone": PHONE}), 429)  # resend too soon

    code = codes.last()
    verify = {"phone": PHONE, "code": code}
    # First sign-in: the home node is required, and the code survives being asked for it.
    assert problem(await api.post("/v1/auth/otp/verify", json=verify), 422, "home")[
        "first_sign_in"] is True
    problem(await api.post("/v1/auth/otp/verify", json=verify | {"home": "km.guandu"}),
            422, "home")  # a district is no home
    problem(await api.post("/v1/auth/otp/verify", json=verify | {"home": f"{HEPING}.g99"}),
            422, "home")
    r = await api.post("/v1/auth/otp/verify", json=verify | {"home": G03})
    assert r.status_code == 200, r.text
    session = r.json()
    assert (session["role"], session["scope"]) == ("resident", G03)
    assert session["sub"].startswith("r-") and PHONE not in session["sub"]
    token = r.cookies["gz_session"]
    assert PHONE not in token and "1111" not in str(session)
    assert (await api.get("/v1/auth/me")).json()["sub"] == session["sub"]
    problem(await api.post("/v1/auth/otp/verify", json=verify), 401)  # used once only

    # Later sign-ins reuse the home; the sub is stable.
    api.cookies.clear()
    clock.advance(timedelta(minutes=2))
    assert (await api.post("/v1/auth/otp", json={"phone": PHONE})).status_code == 202
    r = await api.post("/v1/auth/otp/verify", json={"phone": PHONE, "code": codes.last()})
    assert r.status_code == 200, r.text
    assert (r.json()["sub"], r.json()["scope"]) == (session["sub"], G03)

    # A code expires after 5 minutes.
    clock.advance(timedelta(minutes=2))
    await api.post("/v1/auth/otp", json={"phone": PHONE})
    clock.advance(timedelta(minutes=5, seconds=1))
    problem(await api.post("/v1/auth/otp/verify", json={"phone": PHONE,
                                                        "code": codes.last()}), 401)


async def test_one_address_cannot_have_codes_sent_to_many_phones(
        api: httpx.AsyncClient, codes: Codes) -> None:
    sender = {"X-Forwarded-For": "203.0.113.9"}
    for i in range(10):
        r = await api.post("/v1/auth/otp", headers=sender, json={"phone": f"1390000{i:04d}"})
        assert r.status_code == 202, r.text
    r = await api.post("/v1/auth/otp", headers=sender, json={"phone": "13900009999"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert len(codes.sent) == 10
    elsewhere = await api.post("/v1/auth/otp", headers={"X-Forwarded-For": "198.51.100.7"},
                               json={"phone": "13900009999"})
    assert elsewhere.status_code == 202


async def test_wrong_codes_are_throttled_like_passwords(
        api: httpx.AsyncClient, clock: ManualClock, codes: Codes) -> None:
    await api.post("/v1/auth/otp", json={"phone": PHONE})
    right = codes.last()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        problem(await api.post("/v1/auth/otp/verify", json={
            "phone": PHONE, "code": wrong, "home": G03}), 401)
    r = await api.post("/v1/auth/otp/verify", json={"phone": PHONE, "code": right,
                                                    "home": G03})
    assert r.status_code == 429 and r.headers["Retry-After"] == "60"
    # Five misses also burnt the code itself: after the wait, a new one is needed.
    clock.advance(timedelta(seconds=61))
    problem(await api.post("/v1/auth/otp/verify", json={"phone": PHONE, "code": right,
                                                        "home": G03}), 401)


async def test_who_may_set_a_login_and_password(api: httpx.AsyncClient) -> None:
    await person(api, "u-g03", ("grid_worker", G03, None))
    await person(api, "u-street", ("street_staff", "km.guandu.taihe", None))
    # Community staff may set their grid worker's login, not a street leader's.
    r = await api.put("/v1/people/u-g03/login", headers=COMMUNITY,
                      json={"login": PHONE, "password": "another password"})
    assert r.status_code == 200 and r.json()["login"] == PHONE
    assert (await login(api, PHONE, "another password")).status_code == 200
    problem(await api.put("/v1/people/u-street/login", headers=COMMUNITY,
                          json={"login": "street", "password": "taken over!"}), 403)
    problem(await api.put("/v1/people/u-street/login", headers=ADMIN,
                          json={"login": PHONE, "password": "long enough"}), 409, "login")
    problem(await api.put("/v1/people/u-street/login", headers=ADMIN,
                          json={"login": "street", "password": "short"}), 422, "password")
    problem(await api.put("/v1/people/nobody/login", headers=ADMIN,
                          json={"login": "nobody", "password": "long enough"}), 404)

    # The person themself, signed in, with the current password (and the CSRF header).
    csrf = (await login(api, PHONE, "another password")).json()["csrf"]
    mine = {"X-CSRF-Token": csrf}
    problem(await api.put("/v1/people/u-g03/login", headers=mine,
                          json={"login": PHONE, "password": "my own choice"}),
            422, "current_password")
    problem(await api.put("/v1/people/u-g03/login", headers=mine, json={
        "login": PHONE, "password": "my own choice", "current_password": "wrong"}), 403)
    r = await api.put("/v1/people/u-g03/login", headers=mine, json={
        "login": PHONE, "password": "my own choice", "current_password": "another password"})
    assert r.status_code == 200 and r.json()["set_by"] == "u-g03"
    problem(await login(api, PHONE, "another password"), 401)
    assert (await login(api, PHONE, "my own choice")).status_code == 200
    # Nobody else's.
    problem(await api.put("/v1/people/u-street/login", headers=mine, json={
        "login": "x-street", "password": "my own choice", "current_password": "x"}), 403)

    # Reading the login (never the password), and taking it away.
    assert (await api.get("/v1/people/u-g03/login")).json()["login"] == PHONE  # their own
    seen = await api.get("/v1/people/u-g03/login", headers=COMMUNITY)
    assert seen.json() == {"staff_id": "u-g03", "login": PHONE, "set_at": seen.json()["set_at"],
                           "set_by": "u-g03"}
    problem(await api.get("/v1/people/u-street/login", headers=COMMUNITY), 403)
    problem(await api.delete("/v1/people/u-street/login", headers=COMMUNITY), 403)
    assert (await api.delete("/v1/people/u-g03/login", headers=COMMUNITY)).status_code == 204
    problem(await login(api, PHONE, "my own choice"), 401)
    problem(await api.get("/v1/people/u-g03/login", headers=COMMUNITY), 404)
    problem(await api.delete("/v1/people/u-g03/login", headers=COMMUNITY), 404)



async def test_the_demo_city_signs_in_with_the_development_password(
        settings: Settings) -> None:
    report = seed(settings.database_url, DATA_KEY)
    assert report.logins == report.people == 55
    assert seed(settings.database_url, DATA_KEY).logins == 0  # seeding again changes nothing
    async with serve(create_app(settings)) as api:
        r = await login(api, "u-km-gaj-01", DEMO_PASSWORD)
        assert r.status_code == 200, r.text
        assert (r.json()["role"], r.json()["department"]) == ("department_staff", "km-gaj")
        roles = (await login(api, "u-km-heping-c01", DEMO_PASSWORD)).json()["roles"]
        assert {r["role"] for r in roles} == {"community_staff", "info_officer"}


async def test_production_refuses_the_demo_password_and_logging_codes(
        settings: Settings) -> None:
    with pytest.raises(RuntimeError, match="no-demo"):
        seed(settings.database_url, DATA_KEY, env="production")
    register_small_city(settings.database_url)
    production = settings.model_copy(update={"env": "production"})
    async with serve(create_app(production)) as api:
        await eventually(lambda: api.get(f"/v1/nodes/{G03}", headers=ADMIN),
                         lambda r: r.status_code == 200)
        await person(api, "u-g03", ("grid_worker", G03, None))
        problem(await api.put("/v1/people/u-g03/login", headers=ADMIN, json={
            "login": "u-g03", "password": DEMO_PASSWORD}), 422, "password")
        # An account given the demo password before production (a promoted database).
        await person(api, "u-g04", ("grid_worker", G03, None), login="placeholder")
        async with (await asyncpg_pool(settings)) as pool:
            await pool.execute("DELETE FROM grid_signin.logins WHERE staff_id = 'u-g04'")
        assert seed_logins(settings.database_url, ["u-g04"]) == 1
        problem(await login(api, "u-g04", DEMO_PASSWORD), 403)
        # No code sender named: residents cannot sign in, and the codes go to no log.
        problem(await api.post("/v1/auth/otp", json={"phone": PHONE}), 503)
    with pytest.raises(RuntimeError, match="log"):
        create_app(production.model_copy(update={"otp_sender": "log"}))
