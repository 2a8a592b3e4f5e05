"""Sign-in's pure rules: throttling waits, phone numbers, residents' subjects, code digests,
code senders, passwords."""

from __future__ import annotations

import base64
import logging
import os
from datetime import timedelta

import pytest

from services.grid.api.signin import is_trusted_proxy
from services.grid.signin import codes, passwords
from services.grid.signin.throttle import ADDRESS, LOGIN
from shared.errors import Invalid
from shared.settings import Settings

KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
OTHER_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_blocks_start_at_the_fifth_failure_double_and_stop_at_an_hour() -> None:
    assert [LOGIN.block_for(n) for n in (1, 4)] == [None, None]
    assert LOGIN.block_for(5) == timedelta(minutes=1)
    assert LOGIN.block_for(6) == timedelta(minutes=2)
    assert LOGIN.block_for(8) == timedelta(minutes=8)
    assert LOGIN.block_for(500) == timedelta(hours=1)
    assert ADDRESS.block_for(19) is None and ADDRESS.block_for(20) == timedelta(minutes=1)


@pytest.mark.parametrize("raw", ["13800001111", "+86 138 0000 1111", "8613800001111",
                                 "138-0000-1111"])
def test_mobile_numbers_are_normalised(raw: str) -> None:
    assert codes.normal_phone(raw) == "13800001111"


@pytest.mark.parametrize("raw", ["12345", "23800001111", "1380000111", "138000011112",
                                 "phone"])
def test_what_is_not_a_mobile_number_is_refused_by_field(raw: str) -> None:
    with pytest.raises(Invalid) as refused:
        codes.normal_phone(raw)
    assert refused.value.extra["field"] == "phone"


def test_a_residents_subject_is_stable_keyed_and_hides_the_number() -> None:
    sub = codes.resident_sub(KEY, "13800001111")
    assert sub == codes.resident_sub(KEY, "13800001111")
    assert sub != codes.resident_sub(KEY, "13800001112")
    assert sub != codes.resident_sub(OTHER_KEY, "13800001111")
    assert sub.startswith("r-") and "1111" not in sub and len(sub) == 26


def test_code_digests_depend_on_code_subject_and_key() -> None:
    d = codes.code_digest(KEY, "r-a", "123456")
    assert d == codes.code_digest(KEY, "r-a", "123456")
    assert len({d, codes.code_digest(KEY, "r-a", "123457"),
                codes.code_digest(KEY, "r-b", "123456"),
                codes.code_digest(OTHER_KEY, "r-a", "123456")}) == 4
    assert all(len(codes.new_code()) == 6 and codes.new_code().isdigit() for _ in range(50))


def test_the_log_sender_writes_the_code_with_a_masked_number(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="gongzhi.grid.signin"):
        codes.LogCodeSender().send("13800001111", "042424")
    assert "042424" in caplog.text and "138****1111" in caplog.text
    assert "13800001111" not in caplog.text


class _Gateway:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, phone: str, code: str) -> None:  # pragma: no cover - never sends here
        raise AssertionError("not in this test")


def gateway(settings: Settings) -> _Gateway:
    return _Gateway(settings)


def test_which_sender_each_environment_gets() -> None:
    assert isinstance(codes.load_sender(Settings(env="development")), codes.LogCodeSender)
    assert codes.load_sender(Settings(env="production")) is None
    with pytest.raises(RuntimeError, match="log"):
        codes.load_sender(Settings(env="production", otp_sender="log"))
    named = codes.load_sender(Settings(env="production",
                                       otp_sender=f"{__name__}:gateway"))
    assert isinstance(named, _Gateway) and named.settings.env == "production"
    with pytest.raises(RuntimeError, match="module:factory"):
        codes.load_sender(Settings(otp_sender="no_colon_here"))


def test_passwords_hash_verify_and_obey_the_rules() -> None:
    stored = passwords.hash_password("correct horse")
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert passwords.verify_password(stored, "correct horse")
    assert not passwords.verify_password(stored, "wrong horse")
    assert not passwords.verify_password(None, "correct horse")  # unknown login
    assert not passwords.verify_password("not a hash", "correct horse")
    assert not passwords.needs_rehash(stored)
    from argon2 import PasswordHasher

    assert passwords.needs_rehash(PasswordHasher(memory_cost=8 * 1024).hash("x"))
    for bad, login in (("short", "li"), ("x" * 129, "li"), ("lijuan-01", "LiJuan-01")):
        with pytest.raises(Invalid) as refused:
            passwords.check_new_password(bad, login, "development")
        assert refused.value.extra["field"] == "password"
    passwords.check_new_password(passwords.DEMO_PASSWORD, "li", "development")
    with pytest.raises(Invalid, match="production"):
        passwords.check_new_password(passwords.DEMO_PASSWORD, "li", "production")


def test_trusted_proxies_are_addresses_or_networks() -> None:
    trusted = "127.0.0.1,::1,172.16.0.0/12"
    assert is_trusted_proxy("127.0.0.1", trusted) and is_trusted_proxy("::1", trusted)
    assert is_trusted_proxy("172.18.0.5", trusted)
    assert not is_trusted_proxy("203.0.113.9", trusted)
    assert not is_trusted_proxy("testclient", trusted)  # not an address at all
