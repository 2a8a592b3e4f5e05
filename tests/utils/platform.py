"""The platform as a user starts it: `gongzhi up` in a subprocess on the embedded default,
with tokens from `gongzhi token`; stopped with Ctrl-C, which must end it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.utils.ports import free_port_block

GONGZHI = [sys.executable, "-m", "gongzhi.cli"]
SERVICES = ("issues", "grid", "volunteers", "evaluation")  # in port order


def user_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # embedded, as new
    return env | extra


@dataclass
class RunningPlatform:
    home: Path
    base: int
    env: dict[str, str]
    printed: str = ""
    output: str = ""  # everything it printed, once stopped

    def url(self, service: str) -> str:
        if service == "console":
            return f"http://127.0.0.1:{self.base - 1}"  # just below the services
        return f"http://127.0.0.1:{self.base + SERVICES.index(service)}"

    def token(self, role: str, scope: str, *extra: str) -> dict[str, str]:
        out = subprocess.run([*GONGZHI, "token", "--role", role, "--scope", scope, *extra,
                              "--home", str(self.home)], capture_output=True, text=True,
                             check=True, env=self.env).stdout.strip()
        return {"Authorization": f"Bearer {out}"}


@contextmanager
def gongzhi_up(tmp_path: Path, *args: str, start_timeout: float = 240,
               **env: str) -> Iterator[RunningPlatform]:
    """`args` are more options of `gongzhi up`; `env` more environment variables."""
    block = free_port_block(len(SERVICES) + 1)  # the console takes the port below the services
    platform = RunningPlatform(tmp_path / "gz", block + 1, user_env(**env))
    up = subprocess.Popen(
        [*GONGZHI, "up", "--home", str(platform.home), "--base-port", str(platform.base),
         *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=platform.env)

    def stop() -> None:
        up.send_signal(signal.SIGINT)
        platform.output = platform.printed + up.communicate(timeout=120)[0]

    try:
        platform.printed = read_until(up, "Press Ctrl-C", timeout=start_timeout)
        yield platform
    except BaseException:
        stop()
        raise
    stop()
    assert up.returncode == 0, platform.output


def read_until(process: subprocess.Popen, marker: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError("gongzhi up exited early:\n" + "".join(seen))
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"no {marker!r} within {timeout}s:\n" + "".join(seen))
