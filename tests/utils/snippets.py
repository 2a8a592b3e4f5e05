"""The fenced code blocks of README.md and docs/*.md, with the marker written above each.

A block is either run by tests/system/test_docs_snippets.py or marked, on the line just above
it (blank lines between are allowed), as not meant to run and why:

    <!-- snippet: not run — a diagram of the write path -->

(docs/contributing.md). A marker without a reason is no marker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)")
MARKER = re.compile(r"^\s*<!--\s*snippet:\s*(.*?)\s*-->\s*$")
NOT_RUN = re.compile(r"^not run\s*[—–:-]+\s*(\S.{9,})$")  # a reason of ten characters or more


@dataclass(frozen=True)
class Snippet:
    doc: str  # relative to the repository root, e.g. "docs/subscribing.md"
    line: int  # of the opening fence, 1-based
    lang: str  # the info string's first word; "" when there is none
    text: str
    marker: str | None  # what the `<!-- snippet: … -->` above it says, if there is one

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"

    @property
    def not_run_because(self) -> str | None:
        m = NOT_RUN.match(self.marker or "")
        return m.group(1) if m else None


def documents(root: Path = ROOT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def snippets_in(path: Path, root: Path = ROOT) -> list[Snippet]:
    found: list[Snippet] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, lang = opening.groups()
        body: list[str] = []
        j = i + 1
        # A closing fence is the same character, at least as long, with nothing after it.
        while j < len(lines) and not re.match(rf"^ {{0,3}}{fence[0]}{{{len(fence)},}}\s*$",
                                              lines[j]):
            body.append(lines[j])
            j += 1
        if j == len(lines):
            raise ValueError(f"{path.relative_to(root)}:{i + 1}: a code block never closed")
        found.append(Snippet(str(path.relative_to(root)), i + 1, lang, "\n".join(body) + "\n",
                             _marker_above(lines, i)))
        i = j + 1
    return found


def all_snippets(root: Path = ROOT) -> list[Snippet]:
    return [s for doc in documents(root) for s in snippets_in(doc, root)]


def _marker_above(lines: list[str], fence: int) -> str | None:
    k = fence - 1
    while k >= 0 and not lines[k].strip():
        k -= 1
    m = MARKER.match(lines[k]) if k >= 0 else None
    return m.group(1) if m else None
