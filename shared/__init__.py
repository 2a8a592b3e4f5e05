"""Gongzhi's common package: what every service stands on.

settings, the event store wiring, the bus (consumer interface and its transports), the
projection runner, the relay, auth, problem responses and telemetry. Nothing service-specific
lives here.
"""
