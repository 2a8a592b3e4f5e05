"""The processes the launcher runs: a name, a port, an ASGI factory."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port_offset: int
    app_factory: str = ""

    @property
    def factory(self) -> str:
        return self.app_factory or f"services.{self.name}.bootstrap:create_app"


SERVICES = (
    ServiceSpec("issues", 0),
    ServiceSpec("grid", 1),
    ServiceSpec("volunteers", 2),
    ServiceSpec("evaluation", 3),
)
# The web console sits just below the services (8000 beside 8001…8004): one origin for the
# browser, passing /api/<service>/… through to them.
CONSOLE = ServiceSpec("console", -1, "console.app:create_app")
