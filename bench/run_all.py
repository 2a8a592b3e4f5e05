"""Run every benchmark in turn (`make bench`); paste the output into docs/benchmarks.md."""

from __future__ import annotations

import subprocess
import sys

for module in ("bench.http_commands", "bench.projection_throughput", "bench.kafka_throughput",
               "bench.reactions", "bench.read_model_versions", "bench.console"):
    print(f"\n== {module}", flush=True)
    subprocess.run([sys.executable, "-m", module], check=True)
