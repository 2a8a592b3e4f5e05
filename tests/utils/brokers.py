"""Start Kafka and Zipkin for tests through the same deploy/ scripts a person uses. If one
cannot start, the error (with the script's log tail) fails the tests that need it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.utils.ports import free_port_block, kafka_port

DEPLOY = Path(__file__).parents[2] / "deploy"


def _run(script: str, *args: str, env: dict[str, str]) -> None:
    done = subprocess.run([str(DEPLOY / script), *args], env=os.environ | env,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"deploy/{script} {' '.join(args)} failed ({done.returncode}):\n"
                           f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


class Broker:
    def __init__(self, state: Path) -> None:
        port = kafka_port()
        self.env = {"GONGZHI_KAFKA_DIR": str(state), "KAFKA_PORT": str(port)}
        self.bootstrap = f"127.0.0.1:{port}"

    def start(self) -> Broker:
        _run("kafka.sh", "start", env=self.env)
        return self

    def stop(self) -> None:
        _run("kafka.sh", "stop", env=self.env)


class Zipkin:
    def __init__(self, state: Path) -> None:
        self.port = free_port_block(1)
        self.env = {"GONGZHI_ZIPKIN_DIR": str(state), "ZIPKIN_PORT": str(self.port)}
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> Zipkin:
        _run("zipkin.sh", "start", env=self.env)
        return self

    def stop(self) -> None:
        _run("zipkin.sh", "stop", env=self.env)
