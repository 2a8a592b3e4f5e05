"""The category catalog (理事的依据): which kinds of problem an issue can be filed under, and
for each sub-item its default handling level, the departments responsible, and the hours
allowed to acknowledge and to resolve.

The catalog is data an administrator changes, so it is an aggregate with a history of its
own: it starts from the file beside this module (seed 004's seven top categories) and every
change after that is an event. Items are retired, never deleted: old issues keep their code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.issues.domain.attributes import check_definitions
from shared.domain import Meta, TieredAggregate
from shared.errors import IllegalTransition, Invalid, NotFound
from shared.tiers import LEVELS

_FILE = Path(__file__).with_name("categories.json")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}\.[a-z][a-z0-9_]{0,31}$")
# A top category's own code is accepted on an issue (a resident may not know the sub-item);
# it is handled at the community with these allowances until someone triages it finer.
TOP_RULE = {"level": "community", "departments": [], "ack_hours": 24, "resolve_hours": 168}

def initial_catalog() -> list[dict[str, Any]]:
    return json.loads(_FILE.read_text(encoding="utf-8"))


def check_item(item: dict[str, Any]) -> None:
    """What makes a sub-item usable by triage; raised as 422 naming the field."""
    if not _CODE.match(item.get("code", "")):
        raise Invalid("a sub-item code is '<top>.<item>' in lower-case ASCII, e.g. "
                      "'environment.back_lane'", field="code")
    if item.get("level") not in LEVELS:
        raise Invalid(f"level must be one of {', '.join(LEVELS)}", field="level")
    ack, resolve = item.get("ack_hours"), item.get("resolve_hours")
    if not isinstance(ack, int | float) or ack <= 0:
        raise Invalid("ack_hours must be a positive number of hours", field="ack_hours")
    if not isinstance(resolve, int | float) or resolve < ack:
        raise Invalid("resolve_hours must be at least ack_hours", field="resolve_hours")
    if not str(item.get("name", "")).strip():
        raise Invalid("a sub-item needs a display name", field="name")
    check_definitions(item.get("attributes") or [])


class Catalog(TieredAggregate):
    """One per deployment (a city's catalog); its id is fixed so every replica finds it."""

    TOPIC = "gongzhi.catalog"
    ID = uuid5(NAMESPACE_URL, "https://gongzhi.dev/issues/catalog")

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.catalog.created.v1"  # required by eventsourcing; never emitted

    @event("Seeded", topic="gongzhi.catalog.seeded.v1")
    def __init__(self, *, id: UUID, tops: list[dict[str, Any]], tier: str, meta: Meta) -> None:
        self.tops: dict[str, dict[str, Any]] = {}
        for top in tops:
            self.tops[top["code"]] = {"code": top["code"], "name": top["name"], "items": {}}
            for item in top.get("items", []):
                self.tops[top["code"]]["items"][item["code"]] = {**item, "retired": False}

    # -- queries --------------------------------------------------------------------------

    def rule_for(self, code: str) -> dict[str, Any]:
        """The routing rule of a code that a new issue may use (422 otherwise)."""
        top, _, _ = code.partition(".")
        if code in self.tops:
            return {"code": code, "name": self.tops[code]["name"], **TOP_RULE}
        item = self.tops.get(top, {}).get("items", {}).get(code)
        if item is None:
            raise Invalid(f"unknown category '{code}'; GET /v1/categories lists them",
                          field="category")
        if item["retired"]:
            raise Invalid(f"category '{code}' is retired; GET /v1/categories lists the live "
                          "ones", field="category")
        return item

    def is_known(self, code: str) -> bool:
        try:
            self.rule_for(code)
        except Invalid:
            return False
        return True

    def name_of(self, code: str) -> str:
        top, _, _ = code.partition(".")
        item = self.tops.get(top, {}).get("items", {}).get(code)
        return item["name"] if item else self.tops.get(code, {}).get("name", code)

    def attributes_of(self, code: str) -> list[dict[str, Any]]:
        """The extra questions a report in this category answers (Open311's attributes)."""
        top, _, _ = code.partition(".")
        item = self.tops.get(top, {}).get("items", {}).get(code) or {}
        return sorted(item.get("attributes") or [], key=lambda a: a.get("order", 0))

    def as_list(self, include_retired: bool = False) -> list[dict[str, Any]]:
        return [
            {"code": t["code"], "name": t["name"],
             "items": [i for i in t["items"].values() if include_retired or not i["retired"]]}
            for t in self.tops.values()
        ]

    # -- commands -------------------------------------------------------------------------

    def set_item(self, item: dict[str, Any], top_name: str | None, reason: str,
                 meta: Meta) -> None:
        """Add a sub-item or change one; a new top category needs its display name."""
        check_item(item)
        top = item["code"].partition(".")[0]
        if top not in self.tops and not (top_name or "").strip():
            raise Invalid(f"'{top}' is a new top category: give its display name as top_name",
                          field="top_name")
        previous = self.tops.get(top, {}).get("items", {}).get(item["code"])
        clean = {k: item[k] for k in ("code", "name", "level", "departments", "ack_hours",
                                      "resolve_hours")}
        # An edit through the API does not name attributes: the item keeps the ones it has.
        if attributes := item.get("attributes", (previous or {}).get("attributes")):
            clean["attributes"] = attributes
        if previous and {k: previous.get(k) for k in clean} == clean and not previous["retired"]:
            raise IllegalTransition(f"category '{item['code']}' already reads exactly so")
        self._item_set(item=clean, top_name=top_name if top not in self.tops else None,
                       previous=({k: previous.get(k) for k in clean} if previous else None),
                       reason=reason, tier="", meta=meta)

    def retire_item(self, code: str, reason: str, meta: Meta) -> None:
        top = code.partition(".")[0]
        item = self.tops.get(top, {}).get("items", {}).get(code)
        if item is None:
            raise NotFound(f"no sub-item '{code}' in the catalog")
        if item["retired"]:
            raise IllegalTransition(f"category '{code}' is already retired")
        self._item_retired(code=code, reason=reason, tier="", meta=meta)

    # -- events ---------------------------------------------------------------------------

    @event("ItemSet", topic="gongzhi.catalog.item_set.v1")
    def _item_set(self, item: dict[str, Any], top_name: str | None,
                  previous: dict[str, Any] | None, reason: str, tier: str, meta: Meta) -> None:
        top = item["code"].partition(".")[0]
        if top not in self.tops:
            self.tops[top] = {"code": top, "name": top_name, "items": {}}
        self.tops[top]["items"][item["code"]] = {**item, "retired": False}

    @event("ItemRetired", topic="gongzhi.catalog.item_retired.v1")
    def _item_retired(self, code: str, reason: str, tier: str, meta: Meta) -> None:
        self.tops[code.partition(".")[0]]["items"][code]["retired"] = True
