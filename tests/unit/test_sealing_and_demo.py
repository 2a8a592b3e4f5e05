"""Sealed contact details, and the demo city's data."""

from __future__ import annotations

import base64
import os
import runpy
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from shared.sealing import Sealer

KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_sealing_round_trips_and_hides_the_plaintext() -> None:
    sealer = Sealer(KEY)
    sealed = sealer.seal({"phone": "13800001111"})
    assert "13800001111" not in sealed
    assert sealer.open(sealed) == {"phone": "13800001111"}
    assert sealer.seal({"phone": "1"}) != sealer.seal({"phone": "1"})  # fresh nonce each time


def test_another_key_cannot_open() -> None:
    sealed = Sealer(KEY).seal({"phone": "1"})
    other = Sealer(base64.urlsafe_b64encode(os.urandom(32)).decode())
    with pytest.raises(InvalidTag):
        other.open(sealed)


def test_the_demo_city_obeys_the_tree_rules() -> None:
    checker = Path(__file__).parents[2] / "gongzhi" / "demo" / "check_demo.py"
    assert runpy.run_path(str(checker))["main"](["check_demo.py"]) == 0
