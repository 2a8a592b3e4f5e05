"""Staff passwords: argon2id hashes, and what a password must be.

Parameters are OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane) rather than
argon2-cffi's default 64 MiB and 4 lanes: a grid service runs on two cores, and fifty people
signing in at once at 64 MiB each would cost it more than three gigabytes. Hashes made with
other parameters still verify, and are re-hashed with these at the next sign-in."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.errors import Invalid

# The demo city's development password (gongzhi/demo/README.md). Never accepted in production:
# a database seeded in development and promoted keeps working only once each is changed.
DEMO_PASSWORD = "gongzhi-demo"
MIN_LENGTH, MAX_LENGTH = 8, 128

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the login is unknown, so a wrong login costs what a wrong password
# does and the timing tells nobody which logins exist.
_DUMMY = _hasher.hash("gongzhi: no such login")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored)


def check_new_password(password: str, login: str, env: str) -> None:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise Invalid(f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters",
                      field="password")
    if password.strip().lower() == login.lower():
        raise Invalid("a password must differ from the login", field="password")
    if env == "production" and is_default(password):
        raise Invalid("the demo password is refused in production", field="password")


def is_default(password: str) -> bool:
    return password == DEMO_PASSWORD
