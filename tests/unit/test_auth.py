"""Tokens and scopes."""

from __future__ import annotations

import jwt
import pytest

from shared import auth
from shared.errors import Forbidden, Unauthorized

SECRET = "s" * 32


def test_a_minted_token_verifies_to_its_principal() -> None:
    token = auth.mint(SECRET, sub="u1", role="street_staff", scope="km.guandu.taihe", name="王")
    who = auth.verify(SECRET, token)
    assert (who.sub, who.role, who.scope) == ("u1", "street_staff", "km.guandu.taihe")
    assert who.name == "王"


def test_scope_covers_the_subtree_only() -> None:
    who = auth.verify(SECRET, auth.mint(SECRET, sub="u", role="community_staff",
                                        scope="km.guandu.taihe.heping"))
    assert who.covers("km.guandu.taihe.heping.g03.y017")
    assert not who.covers("km.guandu.taihe.hepingxi")  # a sibling sharing a prefix
    with pytest.raises(Forbidden, match="outside that scope"):
        who.require_scope("km.guandu.taihe.minhang", "resolve issues")


@pytest.mark.parametrize("bad", [
    lambda: auth.mint("other-secret" * 3, sub="u", role="admin", scope="km"),
    lambda: auth.mint(SECRET, sub="u", role="admin", scope="km", ttl_seconds=-10),
    lambda: jwt.encode({"sub": "u", "role": "admin", "scope": "km", "iss": "gongzhi"}, SECRET),
    lambda: "not-a-jwt",
])
def test_bad_tokens_are_unauthorized(bad) -> None:
    with pytest.raises(Unauthorized):
        auth.verify(SECRET, bad())


def test_minting_refuses_unknown_roles_and_bad_scopes() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        auth.mint(SECRET, sub="u", role="mayor", scope="km")
    with pytest.raises(ValueError, match="tier path"):
        auth.mint(SECRET, sub="u", role="admin", scope="KM/Guandu")
    with pytest.raises(ValueError, match="department"):
        auth.mint(SECRET, sub="u", role="department_staff", scope="km")


@pytest.mark.parametrize("role", ["party_member", "volunteer", "courier"])
def test_serving_roles_are_known_but_not_staff(role: str) -> None:
    who = auth.verify(SECRET, auth.mint(SECRET, sub="p-1", role=role, scope="wn.huayin"))
    assert who.role == role and not who.is_staff
