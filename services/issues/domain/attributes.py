"""A category's attributes: the extra questions a report of that kind answers (the floor a
lift is stuck at, how bad a noise is). They are defined in the category catalog in Open311
GeoReport v2's own form, so Open311 can serve them as a service definition unchanged, and a
report's answers are checked here before they are stored on the issue's Raised event.

A definition: {code, datatype, required, description, order, datatype_description?,
values?: [{key, name}]}; datatypes are the spec's: string, number, datetime, text,
singlevaluelist, multivaluelist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.errors import Invalid

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LISTS = ("singlevaluelist", "multivaluelist")
MAX_TEXT = 2000


def check_definitions(attributes: list[dict[str, Any]]) -> None:
    """A catalog item's attribute definitions are usable (422 naming the field otherwise)."""
    codes = set()
    for attribute in attributes:
        code = attribute.get("code")
        if not isinstance(code, str) or not code or code in codes:
            raise Invalid("each attribute needs a code of its own", field="attributes")
        codes.add(code)
        if attribute.get("datatype") not in DATATYPES:
            raise Invalid(f"attribute '{code}': datatype is one of {', '.join(DATATYPES)}",
                          field="attributes")
        if attribute["datatype"] in LISTS and not attribute.get("values"):
            raise Invalid(f"attribute '{code}' is a list: give its values", field="attributes")


def answers(definitions: list[dict[str, Any]], given: dict[str, list[str]]
            ) -> dict[str, Any]:
    """The report's answers, checked against the definitions: a number as a number, a list
    choice as its key, a multivaluelist as a list of keys. Unknown codes are refused rather
    than dropped, so a client learns its form is out of date."""
    by_code = {d["code"]: d for d in definitions}
    for code in given:
        if code not in by_code:
            raise Invalid(f"this service has no attribute '{code}'", field=f"attribute[{code}]")
    out: dict[str, Any] = {}
    for code, definition in by_code.items():
        values = [v.strip() for v in given.get(code, []) if v.strip()]
        if not values:
            if definition.get("required"):
                raise Invalid(f"attribute '{code}' is required: {definition['description']}",
                              field=f"attribute[{code}]")
            continue
        out[code] = _value(definition, values)
    return out


def _value(definition: dict[str, Any], values: list[str]) -> Any:
    code, datatype = definition["code"], definition["datatype"]
    field = f"attribute[{code}]"
    if datatype != "multivaluelist" and len(values) > 1:
        raise Invalid(f"attribute '{code}' takes one value", field=field)
    if datatype in LISTS:
        keys = [str(v["key"]) for v in definition["values"]]
        for value in values:
            if value not in keys:
                raise Invalid(f"attribute '{code}' is one of {', '.join(keys)}", field=field)
        return values if datatype == "multivaluelist" else values[0]
    value = values[0]
    if len(value) > MAX_TEXT:
        raise Invalid(f"attribute '{code}' is longer than {MAX_TEXT} characters", field=field)
    if datatype == "number":
        try:
            number = float(value)
        except ValueError:
            raise Invalid(f"attribute '{code}' is a number", field=field) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise Invalid(f"attribute '{code}' is a number", field=field)
        return int(number) if number.is_integer() else number
    if datatype == "datetime":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise Invalid(f"attribute '{code}' is a W3C datetime", field=field) from None
    return value
