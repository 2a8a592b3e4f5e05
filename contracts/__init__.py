"""Gongzhi's public event contracts: every event type a service publishes, in one place.

Each public type (`gongzhi.issue.raised.v1`) is a frozen, keyword-only dataclass in the module
of the service that emits it (`contracts/issues.py`, `grid.py`, `evaluation.py`,
`volunteers.py`), registered here with its version, service, aggregate, a one-line summary and
whether it concerns departments (the CloudEvents `departments` extension). Consumers read
`payload(envelope)` instead of `envelope.data[...]`, and name types by `IssueRaised.TYPE`
instead of string literals.

A payload is the event's data as published: the aggregate's event fields less the ones that
never leave the service (sealed contact details, the request fingerprint), plus `actor`.
Decoding ignores fields it does not know (an older reader of a newer producer) and gives an
absent optional field its default, so those fallbacks live in the contract, not in every
consumer. A changed meaning is a new version with an upcaster (`upcaster`), applied in one
place of decoding (`shared/bus/envelope.py` `from_stored`), so every transport reads the
current version only.

Nothing here imports the services or the infrastructure: the contracts are what services,
docs (docs/events.md) and the AsyncAPI document are built from.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, NotRequired, Protocol, TypedDict, TypeVar, dataclass_transform

SERVICES = ("issues", "grid", "evaluation", "volunteers")
_TYPE = re.compile(r"^gongzhi\.(?P<aggregate>[a-z_]+)\.(?P<event>[a-z_]+)\.v(?P<version>[0-9]+)$")


class Actor(TypedDict):
    """Who caused the event (the token's subject, role and name; a department's code for
    department staff). Absent on events a policy or watcher stored on no one's behalf."""

    sub: str
    role: str
    name: str
    department: NotRequired[str]


class ContractError(ValueError):
    """An event that does not meet its contract: a consumer parks it (dead letters) rather
    than guess. A ValueError, as every undecodable message is to the runner."""


class _Event(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def data(self) -> dict[str, Any]: ...
    @property
    def time(self) -> str: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class Payload:
    """The base of every event's data. Subclasses are made dataclasses by `contract`."""

    TYPE: ClassVar[str]
    CONTRACT: ClassVar[Contract]

    actor: Actor | None = None

    @classmethod
    def of(cls: type[P], envelope: _Event) -> P:
        """This payload type's reading of an envelope of its type (or an older one that
        upcasts to it): `IssueRaised.of(e).reporter`."""
        p = payload(envelope)
        if not isinstance(p, cls):
            raise ContractError(f"{envelope.type} is not {cls.TYPE}")
        return p

    def departments_concerned(self) -> list[str]:
        """The departments this event concerns (the CloudEvents `departments` extension);
        only contracts registered with `concerns_departments=True` override this."""
        return []

    def to_data(self) -> dict[str, Any]:
        """The JSON object published as the CloudEvent's data (absent actor left out)."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if data.get("actor") is None:
            data.pop("actor", None)
        return data


P = TypeVar("P", bound=Payload)


@dataclass(frozen=True, slots=True)
class Contract:
    """One public event type and what it promises."""

    type: str  # gongzhi.<aggregate>.<event>.v<N>, the CloudEvents type and stored topic
    version: int
    service: str  # the emitting service: the Kafka topic is <namespace>.<service>
    aggregate: str  # the aggregate whose id is the CloudEvents subject
    summary: str  # one line, for docs and the AsyncAPI document
    concerns_departments: bool
    payload: type[Payload]
    upcast_from: tuple[str, ...] = ()  # older types an upcaster turns into this one

    @property
    def fields(self) -> tuple[str, ...]:
        """The payload's field names, `actor` included."""
        return tuple(f.name for f in dataclasses.fields(self.payload))

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(self.payload)
                     if f.default is dataclasses.MISSING
                     and f.default_factory is dataclasses.MISSING)

    def decode(self, data: Mapping[str, Any]) -> Payload:
        known = {name: data[name] for name in self.fields if name in data}
        missing = [name for name in self.required if name not in known]
        if missing:
            raise ContractError(f"{self.type} lacks {', '.join(missing)}")
        return self.payload(**known)


REGISTRY: dict[str, Contract] = {}


@dataclass(frozen=True, slots=True)
class Upcaster:
    """One step from an older type to a newer: `step(data, stored_time)` returns the newer
    data (`stored_time`, when the event was stored, stands in for a missing business time)."""

    from_type: str
    to_type: str
    step: Callable[[dict[str, Any], str], dict[str, Any]]


UPCASTERS: dict[str, Upcaster] = {}


@dataclass_transform(kw_only_default=True, frozen_default=True)
def contract(type: str, summary: str, *, concerns_departments: bool = False,
             service: str | None = None) -> Callable[[type[P]], type[P]]:
    """Register a payload class as the contract of `type` (and make it a frozen, kw-only
    dataclass). The service is the module's (`contracts.grid` → grid); the aggregate and the
    version are read from the type string."""
    m = _TYPE.match(type)
    if m is None:
        raise ValueError(f"{type!r} is not gongzhi.<aggregate>.<event>.v<N>")

    def register(cls: type[P]) -> type[P]:
        cls = dataclass(frozen=True, kw_only=True, slots=True)(cls)
        if type in REGISTRY:
            raise ValueError(f"{type} is registered twice")
        emitter = service or cls.__module__.rsplit(".", 1)[-1]
        if emitter not in SERVICES:
            raise ValueError(f"{type}: unknown service {emitter!r}")
        c = Contract(type=type, version=int(m["version"]), service=emitter,
                     aggregate=m["aggregate"], summary=summary,
                     concerns_departments=concerns_departments, payload=cls)
        cls.TYPE = type
        cls.CONTRACT = c
        REGISTRY[type] = c
        return cls

    return register


def upcaster(from_type: str, to: type[Payload]) -> Callable[
        [Callable[[dict[str, Any], str], dict[str, Any]]],
        Callable[[dict[str, Any], str], dict[str, Any]]]:
    """Register `step` as turning `from_type`'s data into `to`'s (one version up)."""

    def register(step: Callable[[dict[str, Any], str], dict[str, Any]]) -> Callable[
            [dict[str, Any], str], dict[str, Any]]:
        if from_type in UPCASTERS or from_type in REGISTRY:
            raise ValueError(f"{from_type} is already a contract or upcast")
        UPCASTERS[from_type] = Upcaster(from_type, to.TYPE, step)
        c = to.CONTRACT
        REGISTRY[to.TYPE] = to.CONTRACT = dataclasses.replace(  # type: ignore[misc]
            c, upcast_from=(*c.upcast_from, from_type))
        return step

    return register


def upcast(type: str, data: dict[str, Any], stored_time: str) -> tuple[str, dict[str, Any]]:
    """The current type and data of an event stored as `type` (unchanged when current)."""
    while (step := UPCASTERS.get(type)) is not None:
        type, data = step.to_type, step.step(dict(data), stored_time)
    return type, data


def payload(envelope: _Event) -> Payload:
    """The typed payload of an envelope. An older type is upcast first (the log's decoding
    already does that; a message from an older relay may still carry one). Raises
    ContractError for a type no contract knows or data that does not meet its contract."""
    type, data = envelope.type, envelope.data
    if type in UPCASTERS:
        type, data = upcast(type, data, envelope.time)
    c = REGISTRY.get(type)
    if c is None:
        raise ContractError(f"no contract for {type!r}")
    return c.decode(data)


def current_type(type: str) -> str:
    """The type an event stored as `type` is read as (itself when current)."""
    while (step := UPCASTERS.get(type)) is not None:
        type = step.to_type
    return type


def read(envelope: _Event, *types: type[P]) -> P | None:
    """The envelope's payload if it is one of `types`, else None, undecoded: a consumer
    decodes only what it handles, so an event it ignores can never fail it."""
    wanted = current_type(envelope.type)
    if any(cls.TYPE == wanted for cls in types):
        return payload(envelope)  # type: ignore[return-value]
    return None


def of_service(service: str) -> list[Contract]:
    return [c for c in REGISTRY.values() if c.service == service]


# The contracts themselves: importing the package registers every public type.
for _service in SERVICES:
    importlib.import_module(f"contracts.{_service}")
