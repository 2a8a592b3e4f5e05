"""The tier tree's vocabulary: levels, dotted node paths, ancestry.

A path encodes its ancestry (`km.guandu.taihe` is under `km.guandu`), so roll-ups and scope
checks need no tree lookups; whether a node exists is the tier read model's business.
"""

from __future__ import annotations

import re

LEVELS = ("city", "district", "street", "community", "grid", "compound", "building", "unit")
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}

_LABEL = r"[a-z][a-z0-9_]{0,31}"
PATH_PATTERN = rf"^{_LABEL}(\.{_LABEL}){{0,{len(LEVELS) - 1}}}$"
_PATH_RE = re.compile(PATH_PATTERN)


def is_valid_path(path: str) -> bool:
    return bool(_PATH_RE.match(path))


def parent_of(path: str) -> str | None:
    head, sep, _ = path.rpartition(".")
    return head if sep else None


def ancestors_and_self(path: str) -> list[str]:
    """`a.b.c` -> [`a`, `a.b`, `a.b.c`]: every node a figure at `path` rolls up to."""
    labels = path.split(".")
    return [".".join(labels[: i + 1]) for i in range(len(labels))]


def is_within(path: str, scope: str) -> bool:
    """True when `path` is `scope` or lies beneath it."""
    return path == scope or path.startswith(scope + ".")


def escape_like(text: str) -> str:
    """`text` as a literal inside a LIKE pattern (PostgreSQL's default escape is `\\`): user
    input never becomes a wildcard, so `%` matches a percent sign and nothing else."""
    return text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")


def subtree_like(path: str) -> str:
    """A LIKE pattern matching the strict descendants of `path`, whatever `path` holds."""
    return escape_like(path) + ".%"
