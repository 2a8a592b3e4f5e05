"""Kafka and Zipkin for `gongzhi up --transport kafka`, through the deploy/ scripts."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


@dataclass(frozen=True)
class LocalBrokers:
    home: Path
    kafka_port: int
    zipkin_port: int

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def zipkin_url(self) -> str:
        return f"http://127.0.0.1:{self.zipkin_port}"

    def _env(self) -> dict[str, str]:
        return os.environ | {
            "GONGZHI_KAFKA_DIR": str(self.home / "kafka"), "KAFKA_PORT": str(self.kafka_port),
            "GONGZHI_ZIPKIN_DIR": str(self.home / "zipkin"), "ZIPKIN_PORT": str(self.zipkin_port),
        }

    def start(self) -> None:
        for script in ("kafka.sh", "zipkin.sh"):
            subprocess.run([str(DEPLOY / script), "start"], env=self._env(), check=True)

    def stop(self) -> None:
        for script in ("zipkin.sh", "kafka.sh"):
            subprocess.run([str(DEPLOY / script), "stop"], env=self._env(), check=False)

    def service_env(self) -> dict[str, str]:
        """What each service process needs to use them."""
        return {
            "GONGZHI_TRANSPORT": "kafka",
            "GONGZHI_KAFKA_BOOTSTRAP": self.bootstrap,
            "OTEL_TRACES_EXPORTER": os.environ.get("OTEL_TRACES_EXPORTER", "zipkin"),
            "OTEL_EXPORTER_ZIPKIN_ENDPOINT": f"{self.zipkin_url}/api/v2/spans",
        }
