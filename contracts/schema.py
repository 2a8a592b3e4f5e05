"""A contract's payload type as a JSON Schema (draft 7, which AsyncAPI's schema object
extends), so the AsyncAPI document (contracts/asyncapi.py) says what each event's `data`
holds from the very types consumers decode it into, never from a second description.

The rules, in the order a reader of the schema needs them:
- a dataclass or TypedDict is an `object` whose `properties` are its fields; a dataclass field
  without a default (or a TypedDict key that is required) is `required`: an optional field
  was added later, and old events lack it (docs/events.md);
- `X | None` is `X` or `null`; `Literal[...]` and `Enum` are an `enum`;
- `list[X]`, `tuple[X, ...]`, `set[X]` are arrays; `dict[str, X]` an object of `X` values;
- `Any` (and `object`) allow anything: the contract did not pin that value down;
- a description comes from `field(metadata={"description": ...})` or from a string in
  `Annotated[X, "…"]`; a dataclass's or TypedDict's own docstring describes the object.

Nested dataclasses and TypedDicts are written inline, or, given a `definitions` dict, once
there under their class name and referred to by `$ref` (the AsyncAPI document's
`components/schemas`: `Actor` is in every event); two different classes of one name get
`Name`, `Name_2`, … so they never collide.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import inspect
import types
import typing
import uuid
from collections.abc import Callable
from typing import Any

Schema = dict[str, Any]

_SCALARS: dict[Any, Schema] = {
    str: {"type": "string"},
    bool: {"type": "boolean"},  # before int: bool is an int to isinstance, not to JSON
    int: {"type": "integer"},
    float: {"type": "number"},
    type(None): {"type": "null"},
    # JSON carries these as strings (ISO 8601, decimal text such as an area "84.50")
    datetime.datetime: {"type": "string", "format": "date-time"},
    datetime.date: {"type": "string", "format": "date"},
    decimal.Decimal: {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"},
    uuid.UUID: {"type": "string", "format": "uuid"},
}


class UnsupportedType(TypeError):
    """A payload annotation this module cannot say in JSON Schema: better a loud failure
    when the document is generated than a message that promises nothing."""


class Definitions:
    """Named object schemas collected while writing others, for `$ref`s to `prefix` + name."""

    def __init__(self, prefix: str = "#/components/schemas/") -> None:
        self.prefix = prefix
        self.schemas: dict[str, Schema] = {}
        self._names: dict[type, str] = {}

    def ref(self, cls: type, write: Callable[[type], Schema]) -> Schema:
        if cls not in self._names:
            name, n = cls.__name__, 1
            while name in self.schemas:
                n += 1
                name = f"{cls.__name__}_{n}"
            self._names[cls] = name
            self.schemas[name] = {}  # reserved first: a type that refers to itself ends here
            self.schemas[name] = write(cls)
        return {"$ref": self.prefix + self._names[cls]}


def payload_schema(payload: type, definitions: Definitions | None = None) -> Schema:
    """The JSON Schema of a payload type (a dataclass, usually frozen and keyword-only); its
    nested named types go to `definitions` when given."""
    return _Writer(definitions).object(payload)


def schema_of(annotation: Any, definitions: Definitions | None = None) -> Schema:
    return _Writer(definitions).schema(annotation)


class _Writer:
    """Writes one schema; nested named types inline, or into `definitions` when given."""

    def __init__(self, definitions: Definitions | None) -> None:
        self.definitions = definitions

    def schema(self, annotation: Any) -> Schema:
        annotation, description = _unannotated(annotation)
        schema = self._bare(annotation)
        if description:
            schema = {**schema, "description": description}
        return schema

    def object(self, cls: type) -> Schema:
        return self._dataclass(cls) if dataclasses.is_dataclass(cls) else self._typeddict(cls)

    def _bare(self, t: Any) -> Schema:
        if t is Any or t is object:
            return {}
        if t in _SCALARS:
            return dict(_SCALARS[t])
        if isinstance(t, type) and issubclass(t, enum.Enum):
            return {"enum": [m.value for m in t]}
        if (dataclasses.is_dataclass(t) and isinstance(t, type)) or _is_typeddict(t):
            if self.definitions is None:
                return self.object(t)
            return self.definitions.ref(t, self.object)
        origin, args = typing.get_origin(t), typing.get_args(t)
        if origin is typing.Literal:
            return {"enum": list(args)}
        if origin in (typing.Union, types.UnionType):
            return _union([self.schema(a) for a in args])
        if origin in (list, set, frozenset) or (origin is tuple and len(args) == 2
                                                 and args[1] is Ellipsis):
            return {"type": "array", "items": self.schema(args[0]) if args else {}}
        if origin is tuple:
            return {"type": "array", "items": [self.schema(a) for a in args],
                    "minItems": len(args), "maxItems": len(args)}
        if origin is dict or t is dict:
            if args and args[0] is not str and not _is_str_enum(args[0]):
                raise UnsupportedType(f"JSON object keys are strings, not {args[0]!r}")
            return {"type": "object",
                    "additionalProperties": self.schema(args[1]) if args else {}}
        if t is list:
            return {"type": "array"}
        raise UnsupportedType(f"no JSON Schema for {t!r}")

    def _dataclass(self, cls: type) -> Schema:
        hints = typing.get_type_hints(cls, include_extras=True)
        properties: Schema = {}
        required: list[str] = []
        for f in dataclasses.fields(cls):
            prop = self.schema(hints[f.name])
            if text := f.metadata.get("description") or f.metadata.get("doc"):
                prop = {**prop, "description": str(text)}
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                required.append(f.name)
            elif f.default is not dataclasses.MISSING and _plain_json(f.default):
                prop = {**prop, "default": _json_value(f.default)}
            properties[f.name] = prop
        return _object(cls, properties, required)

    def _typeddict(self, cls: type) -> Schema:
        hints = typing.get_type_hints(cls, include_extras=True)
        properties = {name: self.schema(hint) for name, hint in hints.items()}
        return _object(cls, properties,
                       [n for n, hint in hints.items() if _key_required(cls, hint)])


def _union(options: list[Schema]) -> Schema:
    nullable = {"type": "null"} in options
    others = [o for o in options if o != {"type": "null"}]
    if nullable and len(others) == 1 and set(others[0]) == {"enum"}:
        return {"enum": [*others[0]["enum"], None]}
    if nullable and len(others) == 1 and set(others[0]) <= {"type", "format", "pattern"} \
            and isinstance(others[0].get("type"), str):
        return {**others[0], "type": [others[0]["type"], "null"]}  # the common `str | None`
    return {"oneOf": options}


def _key_required(cls: type, hint: Any) -> bool:
    """From the key's own mark: Python 3.11 fills `__required_keys__` wrongly when the
    annotations are strings (`from __future__ import annotations`)."""
    origin = typing.get_origin(hint)
    if origin is typing.NotRequired:
        return False
    if origin is typing.Required:
        return True
    return bool(getattr(cls, "__total__", True))


def _object(cls: type, properties: Schema, required: list[str]) -> Schema:
    schema: Schema = {"type": "object", "title": cls.__name__, "properties": properties}
    if required:
        schema["required"] = required
    doc = vars(cls).get("__doc__")  # its own, not dict's inherited one
    doc = inspect.cleandoc(doc) if isinstance(doc, str) else None
    if doc and not doc.startswith(f"{cls.__name__}("):  # dataclass's generated signature
        schema["description"] = doc
    # Fields may be added without a new version (docs/events.md): consumers ignore the rest.
    schema["additionalProperties"] = True
    return schema


def _unannotated(t: Any) -> tuple[Any, str | None]:
    while typing.get_origin(t) in (typing.Required, typing.NotRequired):
        t = typing.get_args(t)[0]  # a TypedDict key's marks: __required_keys__ says the same
    if typing.get_origin(t) is typing.Annotated:
        base, *extras = typing.get_args(t)
        texts = [e for e in extras if isinstance(e, str)]
        return base, (texts[0] if texts else None)
    return t, None


def _is_typeddict(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, dict) and hasattr(t, "__required_keys__")


def _is_str_enum(t: Any) -> bool:
    return (isinstance(t, type) and issubclass(t, enum.Enum) and issubclass(t, str)) \
        or typing.get_origin(t) is typing.Literal


def _plain_json(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | enum.Enum)


def _json_value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value
