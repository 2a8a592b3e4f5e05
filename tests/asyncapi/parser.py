"""Run the AsyncAPI project's own parser (@asyncapi/parser, installed by `make install` from
tests/asyncapi/package-lock.json) on documents, through node: nothing is fetched."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
ERROR = 0  # the parser's severities: 0 error, 1 warning, 2 information, 3 hint


def errors(documents: Mapping[str, Mapping[str, Any]], workdir: Path) -> dict[str, list[Any]]:
    """Each named document's diagnostics of severity error, from one node process (it
    starts slowly on a busy machine)."""
    assert (HERE / "node_modules" / "@asyncapi" / "parser").is_dir(), \
        "run `make install`: it installs @asyncapi/parser into tests/asyncapi/node_modules"
    paths = {}
    for name, document in documents.items():
        paths[name] = workdir / f"{name}.asyncapi.json"
        paths[name].write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(["node", str(HERE / "validate.js"), *map(str, paths.values())],
                          cwd=HERE, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    return {name: [d for d in found[str(path)] if d["severity"] == ERROR]
            for name, path in paths.items()}
