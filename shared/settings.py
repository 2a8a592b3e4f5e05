"""Settings shared by every service and the CLI, read from the environment.

Secrets are never defaulted in code: in development they are generated once and kept under
the Gongzhi home folder (so `gongzhi up` and `gongzhi token` agree); outside development a
service refuses to start without them.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GONGZHI_", extra="ignore")

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    home: Path = Path(".gongzhi")
    env: Literal["development", "test", "production"] = "development"
    transport: Literal["embedded", "kafka"] = "embedded"
    jwt_secret: str | None = None
    data_key: str | None = None  # urlsafe base64 of 32 bytes: AES-256-GCM for contact details
    max_body_bytes: int = 64 * 1024
    # A request whose response has not started by then is answered 503 + Retry-After, and
    # its command, if not yet running, is never executed (shared/deadline.py).
    request_deadline_seconds: float = 4.0
    consumer_batch_size: int = 500
    consumer_poll_seconds: float = 0.5
    dead_letter_after: int = 3
    # A reaction waits this long for what it needs (a tier-tree copy catching up) before
    # its event is parked; transient failures (database down, conflicts) are retried for ever.
    reaction_patience_seconds: float = 600.0
    kafka_bootstrap: str = "127.0.0.1:9092"
    # Prefix of topics (`<ns>.<service>`) and consumer groups (`<ns>.<read model>`): several
    # districts, or test runs, can share one cluster without reading each other's events.
    kafka_namespace: str = "gongzhi"
    kafka_partitions: int = 6
    kafka_replication: int = 1  # 3 on a real cluster (topics then get min.insync.replicas 2)
    relay_batch_size: int = 1000
    emergency_deadline_factor: float = 0.5  # emergency mode shortens every deadline beneath it
    watch_seconds: float = 5.0  # how often deadline watchers look
    rating_window_days: int = 7  # a resolution may be rated this long after it; then "not rated"
    # An "unsatisfied" rating reopens an issue this many times; after that the tier above
    # supervises it instead (a resident cannot keep an issue open for ever alone).
    max_reopenings: int = 1
    # Where operators read traces (Zipkin locally; Jaeger works too): the console links each
    # dead letter and failing delivery to `<tracing_ui_url>/zipkin/traces/<trace id>`.
    tracing_ui_url: str = "http://127.0.0.1:9411"
    # How residents' one-time sign-in codes are sent: "log" (the service log; refused in
    # production) or "package.module:factory", called with these settings, returning a
    # CodeSender (services/grid/signin/codes.py). Unset: "log" outside production, and in
    # production residents cannot sign in until one is configured.
    otp_sender: str | None = None
    # Peers whose X-Forwarded-For is believed (the console's proxy): throttling counts failed
    # sign-ins per client address, and behind a proxy every request comes from the proxy.
    trusted_proxies: str = "127.0.0.1,::1"
    # How long one console session token lives before grid must re-mint it (a session lasts
    # 12 hours in all): the longest a token copied before sign-out, or held by someone whose
    # role was relieved, is still accepted by the services.
    session_token_seconds: int = Field(default=300, ge=5, le=12 * 3600)
    # Hosts webhooks may be sent to although they are local or private (and over plain
    # http), comma-separated; none by default (services/grid/webhook_urls.py).
    webhook_allow_hosts: str = ""

    def secret(self, name: Literal["jwt_secret", "data_key"]) -> str:
        value = getattr(self, name)
        if value:
            return value
        if self.env == "production":
            raise RuntimeError(f"GONGZHI_{name.upper()} must be set outside development")
        return self._dev_secrets[name]

    @cached_property
    def _dev_secrets(self) -> dict[str, str]:
        path = self.home / "secrets.json"
        if path.exists():
            return json.loads(path.read_text())
        path.parent.mkdir(parents=True, exist_ok=True)
        generated = {
            "jwt_secret": secrets.token_urlsafe(32),
            "data_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        }
        # Write-then-rename so two processes starting together never read half a file.
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(generated))
        tmp.chmod(0o600)
        if path.exists():
            tmp.unlink()
            return json.loads(path.read_text())
        tmp.replace(path)
        return generated
