"""The volunteers Application. It owns no aggregates yet; its log and schema exist so the
service starts, is followed like any other, and grows without a migration."""

from __future__ import annotations

from shared.eventstore import ServiceApplication


class VolunteersApplication(ServiceApplication):
    name = "volunteers"
