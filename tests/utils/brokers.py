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
    """One KRaft node, or with `nodes=3` the cluster deploy/kafka.sh makes (RF 3,
    min.insync.replicas 2), whose nodes can be killed and restarted one at a time."""

    def __init__(self, state: Path, nodes: int = 1, env: dict[str, str] | None = None) -> None:
        port = kafka_port(nodes)
        self.nodes = nodes
        self.env = {"GONGZHI_KAFKA_DIR": str(state), "KAFKA_PORT": str(port), **(env or {})}
        self.bootstrap = ",".join(f"127.0.0.1:{port + i}" for i in range(nodes))
        self.state = state

    def start(self) -> Broker:
        _run("kafka.sh", "start", *(["--cluster"] if self.nodes > 1 else []), env=self.env)
        return self

    def stop(self) -> None:
        _run("kafka.sh", "stop", env=self.env)

    def kill_node(self, node: int) -> None:
        _run("kafka.sh", "kill-node", str(node), env=self.env)

    def start_node(self, node: int) -> None:
        _run("kafka.sh", "start-node", str(node), env=self.env)

    def running(self) -> set[int]:
        done = subprocess.run([str(DEPLOY / "kafka.sh"), "status"], env=os.environ | self.env,
                              capture_output=True, text=True, timeout=60)
        return {int(line.split()[1].rstrip(":")) for line in done.stdout.splitlines()
                if line.startswith("node ") and ": running" in line}


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
