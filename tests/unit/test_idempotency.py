"""shared/idempotency.py on its own: which stored events count as an earlier attempt."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from shared import idempotency
from shared.errors import Conflict


def _event(stamp: dict | None, sub: str = "c-01") -> SimpleNamespace:
    meta = {"actor": {"sub": sub}} | ({"idempotency": stamp} if stamp else {})
    return SimpleNamespace(meta=meta)


@contextmanager
def _request(key: str, body: bytes) -> Iterator[None]:
    """One request's context, its body read."""
    with idempotency.command(key, "POST", "/v1/issues/x/acknowledge", b"") as digest:
        digest.update(body)
        yield


def test_an_earlier_attempt_of_the_same_request_is_found() -> None:
    with _request("k-1", b"{}"):
        stamp = idempotency.current().stamp("c-01")
    with _request("k-1", b"{}"):
        idempotency.current().stamp("c-01")
        assert idempotency.done_before([_event(None), _event(stamp)])
        assert not idempotency.done_before([_event(stamp, sub="someone-else")])
        assert not idempotency.done_before([_event({**stamp, "key": "k-2"})])


def test_the_key_on_another_request_is_a_conflict_naming_the_header() -> None:
    with _request("k-1", b'{"note": "a"}'):
        stamp = idempotency.current().stamp("c-01")
    with _request("k-1", b'{"note": "b"}'):
        idempotency.current().stamp("c-01")
        with pytest.raises(Conflict) as refused:
            idempotency.done_before([_event(stamp)])
        assert refused.value.extra["field"] == "Idempotency-Key"


def test_a_request_never_takes_its_own_changes_for_an_earlier_attempt() -> None:
    with _request("k-1", b"{}"):
        stamp = idempotency.current().stamp("c-01")
        assert not idempotency.done_before([_event(stamp)])


def test_without_a_key_nothing_is_looked_for() -> None:
    assert idempotency.current() is None
    assert not idempotency.done_before([_event({"key": "k", "request": "r", "attempt": "a"})])
    assert idempotency.valid_key(b" k-1 ") == "k-1"
    assert idempotency.valid_key(b"x" * 129) is None
    assert idempotency.valid_key("钥匙".encode()) is None
