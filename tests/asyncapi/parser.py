"""Run the AsyncAPI project's own parser (@asyncapi/parser, installed by `make install` from
tests/asyncapi/package-lock.json) on a document, through node: nothing is fetched."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
ERROR = 0  # the parser's severities: 0 error, 1 warning, 2 information, 3 hint


def diagnostics(document: Mapping[str, Any], workdir: Path) -> list[dict[str, Any]]:
    assert (HERE / "node_modules" / "@asyncapi" / "parser").is_dir(), \
        "run `make install`: it installs @asyncapi/parser into tests/asyncapi/node_modules"
    path = workdir / "asyncapi.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(["node", str(HERE / "validate.js"), str(path)], cwd=HERE,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["diagnostics"]


def errors(document: Mapping[str, Any], workdir: Path) -> list[dict[str, Any]]:
    return [d for d in diagnostics(document, workdir) if d["severity"] == ERROR]
