"""The four services as the launcher knows them: a name, a port, an ASGI factory."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port_offset: int

    @property
    def factory(self) -> str:
        return f"services.{self.name}.bootstrap:create_app"


SERVICES = (
    ServiceSpec("issues", 0),
    ServiceSpec("grid", 1),
    ServiceSpec("volunteers", 2),
    ServiceSpec("evaluation", 3),
)
