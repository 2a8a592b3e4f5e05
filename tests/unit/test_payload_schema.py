"""A contract's payload type becomes the JSON Schema the AsyncAPI document gives its data
(contracts/schema.py): required exactly where a field has no default, nested types inline."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, make_dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, NotRequired, TypedDict

import pytest

from contracts.schema import Definitions, UnsupportedType, payload_schema


class Verdict(enum.StrEnum):
    SATISFIED = "satisfied"
    UNSATISFIED = "unsatisfied"


class Assignee(TypedDict):
    kind: Literal["grid_worker", "department"]
    id: str
    name: NotRequired[str]


@dataclass(frozen=True, kw_only=True)
class Proposal:
    """One proposal put to a vote."""

    id: str
    title: str
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class Payload:
    node: Annotated[str, "the tier node path"]
    round: int
    verdict: Verdict
    assignee: Assignee
    proposals: list[Proposal]
    summons: dict[str, str]
    area: Decimal
    passed: bool
    note: str = field(default="", metadata={"description": "free text"})
    photos: tuple[str, ...] = ()
    consultation_id: str | None = None
    form: Literal["forum", "council"] | None = None
    extra: Any = None


SCHEMA = payload_schema(Payload)
PROPS = SCHEMA["properties"]


def test_a_field_without_a_default_is_required_and_one_with_a_default_is_not() -> None:
    assert SCHEMA["type"] == "object"
    assert SCHEMA["required"] == ["node", "round", "verdict", "assignee", "proposals", "summons",
                                  "area", "passed"]
    assert PROPS["note"] == {"type": "string", "description": "free text", "default": ""}
    assert PROPS["consultation_id"] == {"type": ["string", "null"], "default": None}


def test_scalars_enums_and_literals() -> None:
    assert PROPS["round"] == {"type": "integer"}
    assert PROPS["passed"] == {"type": "boolean"}
    assert PROPS["verdict"] == {"enum": ["satisfied", "unsatisfied"]}
    assert PROPS["form"]["enum"] == ["forum", "council", None]
    assert PROPS["area"]["type"] == "string" and "pattern" in PROPS["area"]
    assert PROPS["node"] == {"type": "string", "description": "the tier node path"}
    assert PROPS["extra"] == {"default": None}  # Any: the contract does not pin it down


def test_nested_dataclasses_typeddicts_lists_and_dicts_are_written_inline() -> None:
    proposal = PROPS["proposals"]["items"]
    assert PROPS["proposals"]["type"] == "array"
    assert proposal["title"] == "Proposal" and proposal["required"] == ["id", "title"]
    assert proposal["description"] == "One proposal put to a vote."
    assignee = PROPS["assignee"]
    assert assignee["required"] == ["kind", "id"]  # NotRequired keys are optional
    assert assignee["properties"]["kind"] == {"enum": ["grid_worker", "department"]}
    assert PROPS["summons"] == {"type": "object", "additionalProperties": {"type": "string"}}
    assert PROPS["photos"]["items"] == {"type": "string"}


def test_a_dataclass_without_a_docstring_gets_no_generated_signature_as_description() -> None:
    assert "description" not in SCHEMA  # dataclass's own "Payload(node, …)" says nothing


def test_a_type_json_cannot_carry_fails_loudly() -> None:
    @dataclass
    class Bad:
        keyed: dict[int, str]

    with pytest.raises(UnsupportedType):
        payload_schema(Bad)

    @dataclass
    class Opaque:
        thing: bytes

    with pytest.raises(UnsupportedType):
        payload_schema(Opaque)


def test_given_definitions_nested_types_are_written_once_and_namesakes_kept_apart() -> None:
    # another class named like the TypedDict above (made here: string annotations of a
    # class inside a function could not be resolved)
    namesake = make_dataclass("Assignee", [("team", str)])
    other_type = make_dataclass("Other", [("first", namesake), ("again", list[namesake])])

    definitions = Definitions()
    payload = payload_schema(Payload, definitions)
    other = payload_schema(other_type, definitions)
    assert payload["properties"]["assignee"] == {"$ref": "#/components/schemas/Assignee"}
    assert other["properties"]["first"] == {"$ref": "#/components/schemas/Assignee_2"}
    assert other["properties"]["again"]["items"] == other["properties"]["first"]
    assert definitions.schemas["Assignee_2"]["required"] == ["team"]
    assert definitions.schemas["Proposal"]["required"] == ["id", "title"]
