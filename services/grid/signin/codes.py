"""Residents sign in with their phone and a one-time code. The phone never leaves this
module in clear: a resident is known by an HMAC of it under the data key (`resident_sub`),
and a code is kept only as an HMAC too, so neither the tables nor a token reveal either."""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import logging
import re
import secrets
from typing import TYPE_CHECKING, Protocol

from shared.errors import Invalid

if TYPE_CHECKING:
    from shared.settings import Settings

log = logging.getLogger("gongzhi.grid.signin")

CODE_DIGITS = 6
_PHONE = re.compile(r"^1[3-9][0-9]{9}$")  # a mainland mobile number


class CodeSender(Protocol):
    """Delivers a one-time code (an SMS gateway in production). May block: it is called off
    the event loop. Raising refuses the request; the code is not kept."""

    def send(self, phone: str, code: str) -> None: ...


class LogCodeSender:
    """Development and tests: the code goes to the service log, where the developer reads it."""

    def send(self, phone: str, code: str) -> None:
        log.warning("one-time sign-in code for %s: %s (development: not sent by SMS)",
                    mask(phone), code)


def load_sender(settings: Settings) -> CodeSender | None:
    """The configured sender; None (no resident sign-in) in production without one."""
    name = settings.otp_sender or ("log" if settings.env != "production" else None)
    if name is None:
        return None
    if name == "log":
        if settings.env == "production":
            raise RuntimeError("GONGZHI_OTP_SENDER=log would write residents' sign-in codes "
                               "to the log; configure a real sender in production")
        return LogCodeSender()
    module, _, attr = name.partition(":")
    if not attr:
        raise RuntimeError(f"GONGZHI_OTP_SENDER={name!r}: expected 'package.module:factory'")
    return getattr(importlib.import_module(module), attr)(settings)


def normal_phone(raw: str) -> str:
    phone = re.sub(r"[\s-]", "", raw)
    phone = re.sub(r"^(\+?86)", "", phone) if len(phone) > 11 else phone
    if not _PHONE.match(phone):
        raise Invalid(f"'{raw}' is not a mobile number like 13800001111", field="phone")
    return phone


def mask(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _mac(data_key: str, purpose: str, value: str) -> bytes:
    key = base64.urlsafe_b64decode(data_key)
    return hmac.new(key, f"gongzhi/{purpose}/{value}".encode(), hashlib.sha256).digest()


def resident_sub(data_key: str, phone: str) -> str:
    """A resident's stable subject: the same phone always gives the same sub, and the sub
    gives no phone back without the key."""
    return "r-" + base64.b32encode(_mac(data_key, "resident", phone)[:15]).decode().lower()


def code_digest(data_key: str, sub: str, code: str) -> str:
    """Keyed, so a copy of the table cannot be brute-forced over the million codes."""
    return _mac(data_key, "code", f"{sub}:{code}").hex()


def key_digest(data_key: str, kind: str, value: str) -> str:
    """Throttle keys name a login or an address; stored keyed-hashed, never in clear."""
    return _mac(data_key, "throttle", f"{kind}:{value}").hex()
