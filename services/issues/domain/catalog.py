"""The category catalog: which kinds of problem an issue can be filed under.

For now the catalog is the data file beside this module; making it administrator-editable
data with its own history is the triage work that follows the spine.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

_FILE = Path(__file__).with_name("categories.json")


@cache
def catalog() -> list[dict]:
    return json.loads(_FILE.read_text(encoding="utf-8"))


@cache
def category_codes() -> frozenset[str]:
    codes = set()
    for top in catalog():
        codes.add(top["code"])
        codes.update(item["code"] for item in top.get("items", []))
    return frozenset(codes)


def is_known(code: str) -> bool:
    return code in category_codes()
