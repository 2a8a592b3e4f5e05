"""A failed start leaves nothing running: `gongzhi up --transport kafka` whose broker cannot
start (its port is taken) exits non-zero and stops the embedded PostgreSQL it had started."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from tests.utils.platform import GONGZHI, user_env
from tests.utils.ports import free_port_block, kafka_port


def test_gongzhi_up_whose_broker_fails_leaves_no_postgresql_behind(tmp_path: Path) -> None:
    home = tmp_path / "gz"
    port = kafka_port()
    with socket.socket() as taken:  # someone else's server on the broker's port
        taken.bind(("127.0.0.1", port))
        taken.listen()
        done = subprocess.run(
            [*GONGZHI, "up", "--home", str(home), "--no-demo", "--transport", "kafka",
             "--kafka-port", str(port), "--zipkin-port", str(free_port_block(1)),
             "--base-port", str(free_port_block(5) + 1)],
            capture_output=True, text=True, env=user_env(), timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert f"127.0.0.1:{port} is already in use" in output
    assert (home / "pg").is_dir(), output  # PostgreSQL had been started…
    assert not (home / "pg" / "postmaster.pid").exists(), output  # …and is stopped again
    assert not list(home.glob("kafka/node-*/kafka.pid")), output
