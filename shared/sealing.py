"""Resident contact details are sealed (AES-256-GCM) before they enter an event.

The event store, the notification log and every copy on the bus hold only the sealed form;
only a service holding the data key, answering someone in the handling chain, opens it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_PREFIX = "gz1:"  # a version tag, so the key or cipher can change without guessing


class Sealer:
    def __init__(self, key_b64: str) -> None:
        key = base64.urlsafe_b64decode(key_b64)
        if len(key) != 32:
            raise ValueError("the data key must be 32 bytes (urlsafe base64)")
        self._aead = AESGCM(key)
        # A key of its own for digests, derived from the data key, so the AES key is used
        # for nothing but sealing.
        self._digest_key = hmac.new(key, b"gongzhi digest v1", hashlib.sha256).digest()

    def digest(self, text: str) -> str:
        """A keyed digest (HMAC-SHA256): equal texts give equal digests, but without the data
        key no one can test guesses against it (a phone number has only ~10^11 values)."""
        mac = hmac.new(self._digest_key, text.encode(), hashlib.sha256).hexdigest()
        return "k1:" + mac

    def seal(self, value: dict[str, str]) -> str:
        nonce = os.urandom(12)
        blob = self._aead.encrypt(nonce, json.dumps(value, ensure_ascii=False).encode(), None)
        return _PREFIX + base64.urlsafe_b64encode(nonce + blob).decode()

    def open(self, sealed: str) -> dict[str, str]:
        if not sealed.startswith(_PREFIX):
            raise ValueError("not a sealed value")
        raw = base64.urlsafe_b64decode(sealed[len(_PREFIX) :])
        return json.loads(self._aead.decrypt(raw[:12], raw[12:], None))
